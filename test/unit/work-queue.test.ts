import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src-main/api/clock.js';
import { WorkQueue } from '../../src-main/client/workQueue.js';

// The controllers' work queue (client-go's rate-limited delaying queue) on a ManualClock: delays
// and retries happen when the test moves time, never by sleeping.

/** Lets every promise chain that is ready run to its end (all microtasks run before an immediate). */
const settle = () => new Promise<void>((r) => setImmediate(r));

/** A sync whose calls the test finishes by hand. */
class ManualSync {
  readonly runs: string[] = [];
  private readonly pending = new Map<string, { resolve: () => void; reject: (e: Error) => void }[]>();
  private readonly running = new Set<string>();
  overlap = false;

  readonly sync = (key: string): Promise<void> => {
    if (this.running.has(key)) this.overlap = true;
    this.running.add(key);
    this.runs.push(key);
    return new Promise<void>((resolve, reject) => {
      const list = this.pending.get(key) ?? [];
      list.push({
        resolve: () => {
          this.running.delete(key);
          resolve();
        },
        reject: (e) => {
          this.running.delete(key);
          reject(e);
        },
      });
      this.pending.set(key, list);
    });
  };

  count(key: string): number {
    return this.runs.filter((k) => k === key).length;
  }

  async finish(key: string, error?: Error): Promise<void> {
    const call = this.pending.get(key)?.shift();
    if (!call) throw new Error(`no running sync of ${key}`);
    if (error) call.reject(error);
    else call.resolve();
    await settle();
  }
}

/** A WorkQueue on a ManualClock at `t0`, run by `workers` ManualSync workers; the failures it reports land in `errors`. */
function running(t0: number, opts: { workers?: number; baseDelayMs?: number; maxDelayMs?: number } = {}) {
  const { workers = 4, ...delays } = opts;
  const clock = new ManualClock(t0);
  const q = new WorkQueue({ clock, ...delays });
  const s = new ManualSync();
  const errors: string[] = [];
  const done = q.run(workers, s.sync, (key, err) => errors.push(`${key}: ${(err as Error).message}`));
  return { clock, q, s, errors, done };
}

describe('WorkQueue', () => {
  it('dedupes queued keys and never runs one key on two workers; a re-add while running runs it once more after', async () => {
    const { q, s, done } = running(0);
    q.add('a');
    q.add('a');
    q.add('b');
    await settle();
    expect(s.runs).toEqual(['a', 'b']);
    q.add('a'); // while 'a' runs
    q.add('a');
    await settle();
    expect(s.count('a')).toBe(1);
    await s.finish('a');
    expect(s.count('a')).toBe(2);
    await s.finish('a');
    await s.finish('b');
    expect(s.runs).toEqual(['a', 'b', 'a']);
    expect(s.overlap).toBe(false);
    q.shutDown();
    await done;
  });

  it('retries a failing key after base, 2x base, 4x base ... up to the maximum, and starts over once it succeeds', async () => {
    const { clock, q, s, errors, done } = running(0, { workers: 1, baseDelayMs: 100, maxDelayMs: 300 });
    /** How many times k has run once `ms` more have passed on the clock. */
    const runsAfter = async (ms: number) => {
      clock.advance(ms);
      await settle();
      return s.count('k');
    };
    q.add('k');
    await settle();
    await s.finish('k', new Error('transient'));
    expect(errors).toEqual(['k: transient']);
    expect(q.retries('k')).toBe(1);
    expect(await runsAfter(99)).toBe(1);
    expect(await runsAfter(1)).toBe(2);

    await s.finish('k', new Error('again'));
    expect(await runsAfter(199)).toBe(2);
    expect(await runsAfter(1)).toBe(3);

    await s.finish('k', new Error('again')); // 400 ms is capped at 300
    expect(await runsAfter(300)).toBe(4);

    await s.finish('k');
    expect(q.retries('k')).toBe(0);
    q.add('k');
    await settle();
    await s.finish('k', new Error('new trouble'));
    expect(await runsAfter(100)).toBe(6); // back to the base delay
    await s.finish('k');
    q.shutDown();
    await done;
  });

  it('adds a key after its delay on the clock, keeping the earlier time when added for later twice', async () => {
    const { clock, q, s, done } = running(1000);
    q.addAfter('x', 500);
    q.addAfter('x', 2000); // later: the 500 ms stands
    expect(clock.pendingTimers).toBe(1);
    clock.advance(499);
    await settle();
    expect(s.runs).toEqual([]);
    clock.advance(1);
    await settle();
    expect(s.runs).toEqual(['x']);
    await s.finish('x');

    q.addAfter('y', 1000);
    q.addAfter('y', 100); // sooner: replaces the 1000 ms
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    await settle();
    expect(s.runs).toEqual(['x', 'y']);
    await s.finish('y');
    clock.advance(10_000);
    await settle();
    expect(s.runs).toEqual(['x', 'y']);

    q.addAfter('z', 0); // no delay: at once
    await settle();
    expect(s.runs).toEqual(['x', 'y', 'z']);
    await s.finish('z');
    q.shutDown();
    await done;
  });

  it('on shutdown drops pending delays, ignores new keys and resolves run once the workers return', async () => {
    const r = running(0);
    const { clock, q, s } = r;
    let finished = false;
    const done = r.done.then(() => {
      finished = true;
    });
    q.add('busy');
    q.addAfter('later', 1000);
    await settle();
    q.shutDown();
    expect(clock.pendingTimers).toBe(0);
    q.add('ignored');
    clock.advance(5000);
    await settle();
    expect(finished).toBe(false); // 'busy' is still running
    await s.finish('busy');
    await done;
    expect(finished).toBe(true);
    expect(s.runs).toEqual(['busy']);
  });
});
