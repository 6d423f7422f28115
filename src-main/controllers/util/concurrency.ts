// Bounded parallelism for controllers that fan out API calls (kube's workqueue.ParallelizeUntil):
// enough requests in flight to hide latency, few enough not to flood a 2-core API server.

/** Runs fn over items with at most `limit` calls in flight; rejects with the first error after all settle. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let firstError: unknown;
  let failed = false;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        if (!failed) {
          failed = true;
          firstError = e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw firstError;
}

/** A set that forgets its oldest entries beyond `max` (kube's LRU absentOwnerCache). */
export class BoundedSet<T> {
  private readonly items = new Set<T>();
  constructor(private readonly max: number) {}
  add(v: T): void {
    this.items.delete(v);
    this.items.add(v);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value as T);
  }
  has(v: T): boolean {
    return this.items.has(v);
  }
  get size(): number {
    return this.items.size;
  }
}
