// Kube's slowStartBatch: run `count` calls in batches of 1, 2, 4, ... (all calls of a batch in
// parallel) and stop at the first batch with a failure. A ReplicaSet asking for 500 pods in a
// namespace whose quota admits none makes one failing request, not 500.

export interface SlowStartResult {
  /** Calls that succeeded. */
  successes: number;
  /** The first error, when a batch failed. */
  error?: unknown;
}

export async function slowStartBatch(count: number, initialBatchSize: number, fn: () => Promise<void>): Promise<SlowStartResult> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, Math.max(1, initialBatchSize)); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    let error: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') successes++;
      else error ??= r.reason;
    }
    remaining -= batch;
    if (error !== undefined) return { successes, error };
  }
  return { successes };
}
