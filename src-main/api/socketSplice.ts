import type { Duplex } from 'node:stream';

// Joins two byte streams into one connection, as a TCP proxy does: each side's bytes go to the
// other with back-pressure (pipe pauses a side whose peer is not reading), a half-close (FIN) is
// passed on so the other direction keeps flowing until its own end, and a side that fails or is
// torn down takes the other with it at once. Both sockets should allow half-open connections
// (net's allowHalfOpen; an http.Server's sockets do), or a peer's FIN would also end their writes.

/** How long a side whose peer has closed may take to flush its last bytes before it is destroyed. */
const FLUSH_GRACE_MS = 10_000;

export function splice(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const destroyBoth = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', destroyBoth);
  b.on('error', destroyBoth);
  const onClose = (closed: Duplex, other: Duplex) => () => {
    if (other.destroyed) return;
    // Both halves ended in order: the other side has already been ended by pipe and only needs
    // to flush. Anything else (a reset, a destroy) cuts the whole connection.
    if (!(closed.readableEnded && closed.writableFinished)) return other.destroy();
    other.end();
    // A peer that never reads would hold the socket open: give up after a while.
    setTimeout(() => other.destroy(), FLUSH_GRACE_MS).unref();
  };
  a.once('close', onClose(a, b));
  b.once('close', onClose(b, a));
}
