// Docker's multiplexed stream format (logs and exec of containers without a TTY): frames of an
// 8-byte header [stream, 0, 0, 0, size (uint32 BE)] followed by `size` bytes; stream 0 is stdin,
// 1 stdout, 2 stderr. Chunks from the socket may split a frame anywhere.

export type FrameHandler = (stream: 1 | 2, payload: Buffer) => void;

export class Demuxer {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: FrameHandler) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    while (this.buf.length >= 8) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < 8 + size) break;
      const kind = this.buf[0] === 2 ? 2 : 1;
      const payload = this.buf.subarray(8, 8 + size);
      this.buf = this.buf.subarray(8 + size);
      if (payload.length) this.onFrame(kind, payload);
    }
  }
}

/** Demuxes a complete buffer (the non-follow logs answer). */
export function demuxAll(data: Buffer): { stream: 1 | 2; payload: Buffer }[] {
  const out: { stream: 1 | 2; payload: Buffer }[] = [];
  new Demuxer((stream, payload) => out.push({ stream, payload })).push(data);
  return out;
}
