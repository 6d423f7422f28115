import type { Pod } from '../api/types.js';
import { Heap } from './heap.js';
import type { PodInfo } from './types.js';
import { systemClock, type Clock, type TimerHandle } from '../api/clock.js';

// The scheduling queue (kube's PriorityQueue, simplified). Every pending pod is in exactly one
// state:
//   active   - waiting in the active heap (higher spec.priority first, then first come)
//   backoff  - its last attempt failed; it becomes active when its backoff expires (1 s, doubling
//              per failed attempt up to 10 s) or earlier when the scheduler sees a cluster change
//              that lets it fit (queueing hints)
//   gated    - spec.schedulingGates is not empty; it waits for a pod update that removes them
//   inflight - popped for an attempt or being bound; the scheduler reports back how it ended

export type QueueState = 'active' | 'backoff' | 'gated' | 'inflight';

export interface QueuedPod {
  readonly key: string;
  pod: Pod;
  /** Cached PodInfo of `pod` (reset when the pod changes). */
  info: PodInfo | undefined;
  state: QueueState;
  /** Attempts so far (each failed one doubles the backoff). */
  attempts: number;
  lastAttemptAt: number;
  /** When a backoff ends. */
  readyAt: number;
  /** Filter plugins that rejected it last time; '*' = any node change may help; undefined = only the backoff ends it (errors). */
  rejectors: Set<string> | undefined;
  /** Signature and time of the last outcome written to the pod (status + annotation). */
  written?: { sig: string; at: number };
  /** @internal ordering and heap-entry validity. */
  seq: number;
  version: number;
}

interface Entry {
  qp: QueuedPod;
  version: number;
  priority: number;
  seq: number;
  at: number;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Time and timers for back-off (default: the wall clock). */
  clock?: Clock;
}

function priorityOf(pod: Pod): number {
  return typeof pod.spec?.priority === 'number' ? pod.spec.priority : 0;
}

function isGated(pod: Pod): boolean {
  const gates = pod.spec?.schedulingGates;
  return Array.isArray(gates) && gates.length > 0;
}

export class SchedulingQueue {
  private readonly pods = new Map<string, QueuedPod>();
  private readonly active = new Heap<Entry>((a, b) => (a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq));
  private readonly backoff = new Heap<Entry>((a, b) => a.at < b.at);
  private readonly waitingForHint = new Set<QueuedPod>();
  private activeCount = 0;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private waiters: (() => void)[] = [];
  private seq = 0;
  private closed = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly clock: Clock;

  constructor(opts: QueueOptions = {}) {
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.clock = opts.clock ?? systemClock;
  }

  now(): number {
    return this.clock.now();
  }

  /** kube's calculateBackoffDuration: initial * 2^(attempts-1), capped. */
  backoffDuration(attempts: number): number {
    let d = this.initialBackoffMs;
    for (let i = 1; i < attempts; i++) {
      d *= 2;
      if (d >= this.maxBackoffMs) return this.maxBackoffMs;
    }
    return Math.min(d, this.maxBackoffMs);
  }

  get size(): number {
    return this.pods.size;
  }

  /** Pods waiting in the active heap. */
  get activeLength(): number {
    return this.activeCount;
  }

  /** Pods backing off after a failed attempt. */
  get backoffLength(): number {
    return this.waitingForHint.size;
  }

  get(key: string): QueuedPod | undefined {
    return this.pods.get(key);
  }

  has(key: string): boolean {
    return this.pods.has(key);
  }

  /** A pending pod appeared (or changed): queue it, or refresh what the queue holds. */
  addOrUpdate(pod: Pod, key: string): void {
    if (this.closed) return;
    const qp = this.pods.get(key);
    if (!qp) {
      const fresh: QueuedPod = { key, pod, info: undefined, state: 'gated', attempts: 0, lastAttemptAt: 0, readyAt: 0, rejectors: undefined, seq: 0, version: 0 };
      this.pods.set(key, fresh);
      if (!isGated(pod)) this.activate(fresh);
      return;
    }
    const old = qp.pod;
    if (old === pod) return;
    const specChanged = old.metadata.uid !== pod.metadata.uid || JSON.stringify(old.spec) !== JSON.stringify(pod.spec);
    qp.pod = pod;
    if (specChanged) qp.info = undefined;
    if (old.metadata.uid !== pod.metadata.uid) {
      // Same name, new pod: it starts over.
      qp.attempts = 0;
      qp.written = undefined;
    }
    if (qp.state === 'inflight') return;
    if (isGated(pod)) {
      if (qp.state !== 'gated') this.park(qp);
      return;
    }
    // Our own status writes change only status and annotations: they must not trigger a retry.
    if (qp.state === 'gated' || (qp.state === 'backoff' && specChanged)) this.activate(qp);
  }

  delete(key: string): void {
    const qp = this.pods.get(key);
    if (!qp) return;
    this.pods.delete(key);
    if (qp.state === 'active') this.activeCount--;
    this.waitingForHint.delete(qp);
    qp.version++;
  }

  /** The next pod to try, now in state inflight. */
  pop(): QueuedPod | undefined {
    for (;;) {
      const e = this.active.pop();
      if (!e) return undefined;
      const qp = e.qp;
      if (qp.version !== e.version || qp.state !== 'active' || this.pods.get(qp.key) !== qp) continue;
      this.activeCount--;
      qp.state = 'inflight';
      qp.version++;
      return qp;
    }
  }

  /** Resolves when a pod is active (or the queue is closed). */
  whenActive(): Promise<void> {
    if (this.activeCount > 0 || this.closed) return Promise.resolve();
    return new Promise((r) => this.waiters.push(r));
  }

  /** An attempt failed (no node fits, or binding failed): back off, then try again. */
  backOff(qp: QueuedPod, rejectors: Set<string> | undefined): void {
    if (this.pods.get(qp.key) !== qp) return; // deleted meanwhile
    qp.rejectors = rejectors;
    if (qp.state === 'active') this.activeCount--;
    if (isGated(qp.pod)) {
      this.park(qp);
      return;
    }
    qp.state = 'backoff';
    qp.version++;
    qp.readyAt = qp.lastAttemptAt + this.backoffDuration(qp.attempts);
    this.waitingForHint.add(qp);
    this.backoff.push({ qp, version: qp.version, priority: 0, seq: 0, at: qp.readyAt });
    this.arm(qp.readyAt);
  }

  /** The pod is bound (or gone for good): the queue forgets it. */
  finish(key: string): void {
    this.delete(key);
  }

  /** Moves a pod to the active heap now (a hint said a cluster change lets it fit). */
  activate(qp: QueuedPod): void {
    if (this.closed || this.pods.get(qp.key) !== qp || qp.state === 'active' || qp.state === 'inflight') return;
    this.waitingForHint.delete(qp);
    qp.state = 'active';
    qp.version++;
    qp.seq = ++this.seq;
    this.activeCount++;
    this.active.push({ qp, version: qp.version, priority: priorityOf(qp.pod), seq: qp.seq, at: 0 });
    const w = this.waiters;
    if (w.length) {
      this.waiters = [];
      for (const f of w) f();
    }
  }

  /** Pods backing off, for the scheduler's queueing hints. */
  backingOff(): IterableIterator<QueuedPod> {
    return this.waitingForHint.values();
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.active.clear();
    this.backoff.clear();
    for (const w of this.waiters.splice(0)) w();
  }

  private park(qp: QueuedPod): void {
    if (qp.state === 'active') this.activeCount--;
    this.waitingForHint.delete(qp);
    qp.state = 'gated';
    qp.version++;
  }

  private arm(at: number): void {
    if (this.closed || at >= this.timerAt) return;
    this.clock.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.flushBackoff(), Math.max(0, at - this.now()));
  }

  private flushBackoff(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.now();
    for (;;) {
      const e = this.backoff.peek();
      if (!e) return;
      const live = e.qp.version === e.version && e.qp.state === 'backoff' && this.pods.get(e.qp.key) === e.qp;
      if (live && e.at > now) {
        this.arm(e.at);
        return;
      }
      this.backoff.pop();
      if (live) this.activate(e.qp);
    }
  }
}
