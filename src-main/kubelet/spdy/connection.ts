import { FrameReader, GOAWAY, MAX_DATA_LENGTH, RST, SpdyProtocolError, dataHeader, encodeGoAway, encodePing, encodeRstStream, encodeSynReply, type Frame } from './frames.js';
import { HeaderDeflater, HeaderInflater, type HeaderMap } from './headerBlock.js';

// The server side of a SPDY/3.1 connection as Kubernetes' kubelet runs one for port-forward
// (apimachinery's httpstream/spdy over moby/spdystream): the client opens every stream
// (SYN_STREAM, odd ids, increasing); the server answers each with SYN_REPLY, or RST_STREAM CANCEL
// when the stream handler refuses it; DATA flows both ways, FIN half-closes, RST_STREAM ends a
// stream; PINGs from the client are echoed; GOAWAY ends the connection once its streams are done.
// SETTINGS, WINDOW_UPDATE and unknown control frames are ignored, as spdystream does (it does no
// flow control). Any framing or header-block violation ends the connection with GOAWAY
// PROTOCOL_ERROR, which is where Go's framer stops reading too.
//
// Memory: the reader holds at most one control frame; a peer that sends faster than the streams'
// consumers take it is stopped with pauseInput() (hold()); output beyond what the transport
// accepts is refused by write() returning false, and the producer waits for onceDrain().

/** What carries the connection's bytes: a raw upgraded socket, or a WebSocket tunnel. */
export interface SpdyTransport {
  /** Sends bytes; false once the peer is not keeping up (wait for onceDrain). */
  send(b: Buffer): boolean;
  onceDrain(cb: () => void): void;
  pauseInput(): void;
  resumeInput(): void;
  /** Flushes what was sent, then closes. */
  end(): void;
}

export interface SpdyConnectionOptions {
  /**
   * Checks a new stream's headers. A string refuses the stream (RST_STREAM CANCEL, as
   * apimachinery resets a stream its handler rejects); otherwise it is answered with SYN_REPLY
   * and handed to onStream.
   */
  accept(headers: HeaderMap): string | undefined;
  onStream(stream: SpdyStream): void;
  onClose?(): void;
  /** No frame either way for this long closes the connection (kubelet's --streaming-connection-idle-timeout, 4 h). */
  idleTimeoutMs?: number;
  /** Streams open at once; more are refused (RST_STREAM REFUSED_STREAM). */
  maxStreams?: number;
}

const DEFAULT_IDLE_MS = 4 * 60 * 60 * 1000;
const DEFAULT_MAX_STREAMS = 1000;

export class SpdyStream {
  /** Set by the consumer. */
  onData: (b: Buffer) => void = () => {};
  /** The client half-closed (FIN): no more data comes. */
  onEnd: () => void = () => {};
  /** The stream was reset (by the client, or because the connection went away). */
  onReset: () => void = () => {};
  remoteClosed = false;
  localClosed = false;
  reset = false;

  constructor(
    private readonly conn: SpdyConnection,
    readonly id: number,
    readonly headers: HeaderMap,
  ) {}

  /** The header's first value ('' when absent), as Go's http.Header.Get reads it. */
  header(name: string): string {
    return this.headers.get(name.toLowerCase())?.[0] ?? '';
  }

  /** Sends data; false when the caller should wait for onceDrain(). */
  write(data: Buffer): boolean {
    if (this.localClosed || this.reset) return true;
    return this.conn.sendData(this.id, data, false);
  }

  /** Half-closes this side (an empty DATA frame with FIN). */
  end(): void {
    if (this.localClosed || this.reset) return;
    this.localClosed = true;
    this.conn.sendData(this.id, Buffer.alloc(0), true);
    this.conn.settle(this);
  }

  /** Ends the stream at once (RST_STREAM). */
  resetStream(status: number = RST.Cancel): void {
    if (this.reset) return;
    this.reset = true;
    this.conn.sendReset(this.id, status);
    this.conn.forget(this.id);
  }

  onceDrain(cb: () => void): void {
    this.conn.onceDrain(cb);
  }

  /** Stops reading the connection until the returned function is called. */
  hold(): () => void {
    return this.conn.hold();
  }
}

export class SpdyConnection {
  private readonly reader = new FrameReader();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new HeaderDeflater();
  private readonly streams = new Map<number, SpdyStream>();
  private lastStreamId = 0;
  private goneAway = false;
  private closed = false;
  private holds = 0;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly drainWaiters: (() => void)[] = [];
  private draining = false;

  constructor(
    private readonly transport: SpdyTransport,
    private readonly o: SpdyConnectionOptions,
  ) {
    this.armIdle(this.o.idleTimeoutMs ?? DEFAULT_IDLE_MS);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Bytes from the client. */
  receive(chunk: Buffer): void {
    if (this.closed) return;
    this.lastActivity = Date.now();
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      return this.fail(e);
    }
    for (const f of frames) {
      if (this.closed) return;
      try {
        this.handle(f);
      } catch (e) {
        return this.fail(e);
      }
    }
  }

  /** The transport is gone (peer closed or errored): every stream is reset. */
  terminated(): void {
    if (this.closed) return;
    this.closed = true;
    this.teardown();
  }

  /** Ends the connection: GOAWAY, then the transport closes once flushed. */
  close(status: number = GOAWAY.Ok): void {
    if (this.closed) return;
    this.closed = true;
    this.transport.send(encodeGoAway(this.lastStreamId, status));
    this.transport.end();
    this.teardown();
  }

  // ---- used by streams ----

  sendData(id: number, data: Buffer, fin: boolean): boolean {
    if (this.closed) return true;
    this.lastActivity = Date.now();
    let ok = true;
    let at = 0;
    do {
      const n = Math.min(MAX_DATA_LENGTH, data.length - at);
      const last = at + n >= data.length;
      ok = this.transport.send(dataHeader(id, n, fin && last)) && ok;
      if (n) ok = this.transport.send(data.subarray(at, at + n)) && ok;
      at += n;
    } while (at < data.length);
    return ok;
  }

  sendReset(id: number, status: number): void {
    if (this.closed) return;
    this.transport.send(encodeRstStream(id, status));
  }

  onceDrain(cb: () => void): void {
    if (this.closed) return;
    this.drainWaiters.push(cb);
    if (this.draining) return;
    this.draining = true;
    this.transport.onceDrain(() => {
      this.draining = false;
      for (const w of this.drainWaiters.splice(0)) w();
    });
  }

  hold(): () => void {
    if (this.holds++ === 0 && !this.closed) this.transport.pauseInput();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holds === 0 && !this.closed) this.transport.resumeInput();
    };
  }

  /** A stream both sides have finished is dropped. */
  settle(s: SpdyStream): void {
    if (s.localClosed && s.remoteClosed) this.forget(s.id);
  }

  forget(id: number): void {
    this.streams.delete(id);
    if (this.goneAway && this.streams.size === 0) this.close();
  }

  // ---- frames ----

  private handle(f: Frame): void {
    switch (f.type) {
      case 'syn_stream':
        return this.synStream(f);
      case 'syn_reply':
      case 'headers':
        // Nothing to do with them, but the compression context must follow every block.
        this.inflater.decompress(f.headerBlock);
        return;
      case 'data': {
        const s = this.streams.get(f.streamId);
        // Data for a stream that is gone is dropped, as spdystream drops it.
        if (!s || s.remoteClosed || s.reset) return;
        if (f.data.length) s.onData(f.data);
        if (f.fin) this.remoteFin(s);
        return;
      }
      case 'rst_stream': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.reset = true;
        this.streams.delete(f.streamId);
        s.onReset();
        if (this.goneAway && this.streams.size === 0) this.close();
        return;
      }
      case 'ping':
        // Client pings have odd ids; an even one would answer a ping of ours, and we send none.
        if (f.id & 1) this.transport.send(encodePing(f.id));
        return;
      case 'goaway':
        this.goneAway = true;
        if (this.streams.size === 0) this.close();
        return;
      default:
        return;
    }
  }

  private synStream(f: Extract<Frame, { type: 'syn_stream' }>): void {
    const headers = this.inflater.decompress(f.headerBlock);
    // spdystream's validateStreamId: client streams are odd and always increase.
    if (!(f.streamId & 1) || f.streamId <= this.lastStreamId) {
      this.sendReset(f.streamId, RST.ProtocolError);
      return;
    }
    this.lastStreamId = f.streamId;
    if (this.goneAway) {
      this.sendReset(f.streamId, RST.RefusedStream);
      return;
    }
    if (this.streams.size >= (this.o.maxStreams ?? DEFAULT_MAX_STREAMS)) {
      this.sendReset(f.streamId, RST.RefusedStream);
      return;
    }
    if (this.o.accept(headers) !== undefined) {
      this.sendReset(f.streamId, RST.Cancel);
      return;
    }
    const s = new SpdyStream(this, f.streamId, headers);
    if (f.unidirectional) s.localClosed = true;
    this.streams.set(f.streamId, s);
    this.transport.send(encodeSynReply(f.streamId, this.deflater.compress([])));
    this.o.onStream(s);
    if (f.fin) this.remoteFin(s);
  }

  private remoteFin(s: SpdyStream): void {
    if (s.remoteClosed || s.reset) return;
    s.remoteClosed = true;
    s.onEnd();
    this.settle(s);
  }

  private fail(e: unknown): void {
    // Only protocol violations are expected here; anything else is a bug, but must still end
    // just this connection.
    this.close(e instanceof SpdyProtocolError ? GOAWAY.ProtocolError : GOAWAY.InternalError);
  }

  private teardown(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const all = [...this.streams.values()];
    this.streams.clear();
    this.drainWaiters.splice(0);
    for (const s of all) {
      if (s.reset) continue;
      s.reset = true;
      s.onReset();
    }
    this.o.onClose?.();
  }

  private armIdle(ms: number): void {
    const check = () => {
      if (this.closed) return;
      const left = this.lastActivity + ms - Date.now();
      if (left <= 0) return this.close();
      this.idleTimer = setTimeout(check, left);
      this.idleTimer.unref();
    };
    this.idleTimer = setTimeout(check, ms);
    this.idleTimer.unref();
  }
}
