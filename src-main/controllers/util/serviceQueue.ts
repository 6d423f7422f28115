import { isConflict } from '../../client/apiClient.js';
import type { WorkQueue } from '../../client/workQueue.js';
import type { ControllerContext } from '../controller.js';

// The per-Service work loop the Endpoints and EndpointSlice controllers share.

/** Our own informer has not yet seen a write we made: retry shortly instead of acting on stale data. */
export class StaleCacheError extends Error {}

/**
 * Runs the queue's workers. Expected races (a stale cache, a 409) are retried quietly; a failure
 * that persists is logged every tenth retry.
 */
export function runServiceQueue(queue: WorkQueue, ctx: ControllerContext, name: string, sync: (key: string) => Promise<void>): void {
  void queue.run(Math.max(1, ctx.options.workers), sync, (key, err) => {
    if (err instanceof StaleCacheError || isConflict(err)) return;
    if (queue.retries(key) % 10 !== 0) return;
    ctx.log(`${name}: syncing ${key}: ${(err as Error).message}`);
  });
}
