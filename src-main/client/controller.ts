import { systemClock, type Clock, type TimerHandle } from '../api/clock.js';
import type { Logger } from '../api/log.js';
import { isConflict, type ApiClient } from './apiClient.js';
import { EventRecorder } from './eventRecorder.js';
import type { InformerFactory } from './informer.js';
import { WorkQueue, type WorkQueueOptions } from './workQueue.js';
import type { ControllerOptions } from './controllerOptions.js';

// What every control loop gets and provides. Controllers are plain API clients: they read
// through shared informers and write back through the API server, never to the store.

export interface ControllerContext {
  client: ApiClient;
  informers: InformerFactory;
  options: ControllerOptions;
  /** The one source of time: every delay, deadline and periodic pass reads it. */
  clock: Clock;
  /** An event recorder reporting as `component` (kube's event source, e.g. "deployment-controller"). */
  recorder(component: string): EventRecorder;
  /** The process's logger; each controller names itself on it (BaseController.log). */
  log: Logger;
}

/**
 * The contract every controller in controllers/<name>/ follows (the shape of kube's
 * pkg/controller/deployment/deployment_controller.go):
 *
 * - `name` is kube-controller-manager's name for it (cmd/kube-controller-manager/names), the
 *   component of its log records. Its Events carry kube's event source for it, which is the
 *   same string except where kube differs ("endpoint-controller", "endpoint-slice-controller",
 *   "node-controller").
 * - The constructor takes the context (and optional tuning) and touches no informer.
 * - `init()` obtains its informers from `ctx.informers` and registers handlers and indexes. The
 *   manager calls it for every controller before the shared informers start, so handlers see
 *   the initial list.
 * - `run()` starts `ctx.options.workers` workers on each of its queues, once the informers have
 *   synced.
 * - A sync that throws is retried with per-key backoff. Conflicts (409) and a cache known to be
 *   behind our own writes (StaleCacheError) are expected races: requeued quietly. Anything else
 *   is logged the first time and every tenth retry.
 * - `stop()` shuts queues and timers down and returns the run promise, which resolves once every
 *   worker and periodic pass has returned, so shutdown can wait for in-flight syncs.
 * - Time comes from `ctx.clock` only (never Date.now or setTimeout), so tests move it by hand.
 *
 * BaseController implements all of this; a controller extends it and writes `init()` and its
 * syncs. (The scheduler implements this interface too, with a `stop()` that does not wait.)
 */
export interface Controller {
  readonly name: string;
  init(): void;
  run(): void;
  stop(): void | Promise<void>;
}

/** Our own informer has not yet seen a write we made: retry shortly instead of acting on stale data. */
export class StaleCacheError extends Error {}

/** Races a retry resolves by itself: nothing to report. */
export function isExpectedRace(err: unknown): boolean {
  return err instanceof StaleCacheError || isConflict(err);
}

/** Workers per queue (kube's --concurrent-*-syncs; one value for every controller here). */
export function workerCount(options: ControllerOptions): number {
  return Math.max(1, Math.floor(options.workers));
}

interface QueueRun {
  queue: WorkQueue;
  sync: (key: string) => Promise<void>;
  /** What its keys are, for log lines ("pod", "node"); none for the controller's main queue. */
  what: string | undefined;
}

export abstract class BaseController implements Controller {
  abstract readonly name: string;
  // ES private fields: a subclass's own fields can never collide with these.
  readonly #queues: QueueRun[] = [];
  readonly #timers = new Set<TimerHandle>();
  readonly #passes = new Set<Promise<void>>();
  #workers: Promise<void> | undefined;
  #stopped = false;
  #log: Logger | undefined;

  constructor(protected readonly ctx: ControllerContext) {}

  abstract init(): void;

  /** A queue on the context's clock, processed by `sync` once run() starts its workers. */
  protected newQueue(sync: (key: string) => Promise<void>, opts: Omit<WorkQueueOptions, 'clock'> = {}, what?: string): WorkQueue {
    const queue = new WorkQueue({ ...opts, clock: this.ctx.clock });
    this.#queues.push({ queue, sync, what });
    return queue;
  }

  run(): void {
    if (this.#workers) return;
    const workers = workerCount(this.ctx.options);
    this.#workers = Promise.all(
      this.#queues.map(({ queue, sync, what }) =>
        queue.run(workers, sync, (key, err) => {
          if (isExpectedRace(err)) return;
          if (queue.retries(key) % 10 !== 0) return;
          this.log.warn('sync failed', { [what ?? 'key']: key, err, retries: queue.retries(key) });
        }),
      ),
    ).then(() => undefined);
  }

  stop(): Promise<void> {
    this.#stopped = true;
    for (const { queue } of this.#queues) queue.shutDown();
    for (const t of this.#timers) this.ctx.clock.clearTimeout(t);
    this.#timers.clear();
    return Promise.all([this.#workers, ...this.#passes]).then(() => undefined);
  }

  /** The context's logger named after this controller (made on first use: `name` is a subclass field). */
  protected get log(): Logger {
    return (this.#log ??= this.ctx.log.with(this.name));
  }

  /**
   * Runs `pass` every `periodMs` until stop(), the first time after `firstDelayMs`. The period
   * counts from the start of a pass; a pass that overruns it is logged and followed at once.
   */
  protected every(periodMs: number, what: string, pass: () => Promise<void>, firstDelayMs = periodMs): void {
    const schedule = (delay: number) => {
      if (this.#stopped) return;
      const handle = this.ctx.clock.setTimeout(() => {
        this.#timers.delete(handle);
        const start = this.ctx.clock.now();
        const running: Promise<void> = pass()
          .catch((err) => this.log.warn('periodic pass failed', { pass: what, err }))
          .finally(() => {
            this.#passes.delete(running);
            const took = this.ctx.clock.now() - start;
            if (took > periodMs) this.log.info('periodic pass overran its period', { pass: what, tookMs: took, periodMs });
            schedule(Math.max(0, periodMs - took));
          });
        this.#passes.add(running);
      }, delay);
      this.#timers.add(handle);
    };
    schedule(firstDelayMs);
  }
}

export function makeContext(client: ApiClient, informers: InformerFactory, options: ControllerOptions, log: Logger, clock: Clock = systemClock): ControllerContext {
  const recorders = new Map<string, EventRecorder>();
  return {
    client,
    informers,
    options,
    clock,
    log,
    recorder(component: string) {
      let r = recorders.get(component);
      if (!r) recorders.set(component, (r = new EventRecorder(client, component, undefined, { clock })));
      return r;
    },
  };
}
