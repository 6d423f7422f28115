// The one way tests wait for something to become true. Tests never sleep to synchronise and never
// assert how long something took (speed belongs in bench/): they wait for a condition, and the
// deadline only decides when a test that is going to fail gives up.
//
// Where a watch can tell the test that something happened, prefer it (watchStream.ts,
// clientNode.ts recordWatch): it also proves in which order things happened.

/** What a check returns while the awaited thing has not happened yet. */
type Falsy = false | 0 | '' | null | undefined;

/** Long enough that only a broken component misses it on a slow, shared two-core machine. */
export const DEFAULT_WAIT_MS = 30_000;

/**
 * Polls `check` until it returns a truthy value and returns that value. A check that throws is
 * tried again (what it reads may not exist yet); if the deadline passes, the error names `what`
 * was awaited and the check's last error.
 */
export async function until<T>(what: string, check: () => T | Falsy | Promise<T | Falsy>, timeoutMs = DEFAULT_WAIT_MS, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as T;
      last = undefined;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last === undefined ? '' : `: ${last instanceof Error ? last.message : String(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
