import { sleep } from './stats.js';

// The benchmarks' one way to wait for a cluster to get somewhere (a pod Running, a Service
// answering): poll until the check gives a value, a throwing check counting as "not yet".

export async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined && v !== false) return v;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}
