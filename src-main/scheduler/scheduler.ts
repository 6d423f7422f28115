import type { Node, Pod, PodCondition } from '../api/types.js';
import { ApiClient, ApiRequestError, isNotFound, resourcePath } from '../client/apiClient.js';
import { EventRecorder } from '../client/eventRecorder.js';
import type { Informer } from '../client/informer.js';
import { resourceByKey } from '../api/resources.js';
import type { Controller, ControllerContext } from '../client/controller.js';
import type { Logger } from '../api/log.js';
import { SchedulerCache } from './cache.js';
import { Dispatcher, DroppedError } from './dispatcher.js';
import { fitErrorMessage } from './fitError.js';
import { Framework, type FrameworkOptions, type ScheduleResult } from './framework.js';
import { attemptSignature, buildLastAttempt, encodeLastAttempt, LAST_ATTEMPT_ANNOTATION, type LastAttempt } from './lastAttempt.js';
import { nodeSchedulingFingerprint } from './nodeFingerprint.js';
import { LoadMonitor } from './loadMonitor.js';
import { TokenBucket } from '../api/tokenBucket.js';
import { nowISO } from '../api/time.js';
import { isTerminal, newPodInfo, podKey } from './podInfo.js';
import { SchedulingQueue, type QueuedPod } from './queue.js';

// The scheduler (kube-scheduler's role). Pending pods wait in a queue; one synchronous cycle per
// pod runs the filter and score plugins over the cache of nodes and picks a node; the pod is
// assumed there at once and bound through pods/binding in the background, with a bounded number
// of bindings in flight, while the next pods are scheduled. A pod that fits nowhere gets
// PodScheduled=False/Unschedulable with kube's "0/N nodes are available: ..." message, a
// FailedScheduling event, and a backoff; a cluster change that lets it fit (a node added or
// changed, a pod gone) retries it at once.
//
// Every attempt's per-node outcome goes onto the pod as the scheduler.flotilla.dev/last-attempt
// annotation, riding along with a write the scheduler makes anyway where the API allows: in the
// Binding (Kubernetes copies a Binding's annotations onto the pod) and in the pods/status patch
// (Kubernetes' pod status strategy keeps metadata changes). When the API server drops it there, a
// merge patch on the pod follows; the scheduler checks per pod (on the bound pod the informer
// delivers, on the status patch's response), so an API server that keeps it costs no extra write.

export interface SchedulerOptions extends FrameworkOptions {
  /** Pods naming this scheduler (or none) are ours. */
  schedulerName?: string;
  /** Bindings in flight at once (kube binds in goroutines; 64 keeps the API server busy, not flooded). */
  maxBindingsInFlight?: number;
  /** Status patches and annotation patches in flight at once. */
  maxWritesInFlight?: number;
  /** Events in flight at once; beyond maxEventBacklog waiting, the oldest are dropped. */
  maxEventsInFlight?: number;
  maxEventBacklog?: number;
  /** While the API server is saturated, at most this many Normal events per second (default 50). */
  normalEventsPerSecondWhileBusy?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** An unchanged failure is rewritten to the pod at most this often (default 30 s). */
  rewriteUnchangedAfterMs?: number;
  /** How long one burst of scheduling cycles may hold the event loop (default 10 ms). */
  sliceMs?: number;
  /** The client for bindings and writes; by default a new pool with ctx.client's credentials. */
  client?: ApiClient;
}

export interface SchedulerStats {
  attempts: number;
  scheduled: number;
  unschedulable: number;
  bindErrors: number;
  writeErrors: number;
  eventsDropped: number;
  annotationsDropped: number;
  bindingsInFlight: number;
  pending: number;
  active: number;
  backingOff: number;
  nodes: number;
}

const KEY = LAST_ATTEMPT_ANNOTATION;

function isResponsible(pod: Pod, schedulerName: string): boolean {
  const name = pod.spec?.schedulerName;
  if (name && name !== schedulerName) return false;
  return !pod.metadata.deletionTimestamp && !isTerminal(pod);
}

/** kube's truncateMessage: an Event's message is limited to 1024 bytes. */
export function truncateEventMessage(message: string): string {
  const max = 1024;
  if (Buffer.byteLength(message) <= max) return message;
  const suffix = ' ...';
  return Buffer.from(message).subarray(0, max - suffix.length).toString('utf8').replace(/\uFFFD$/, '') + suffix;
}

/** What events and the recorder need: kind and apiVersion are missing on list items. */
function asPodRef(pod: Pod): Pod {
  return { ...pod, kind: 'Pod', apiVersion: 'v1' };
}

export class Scheduler implements Controller {
  readonly name = 'scheduler';
  readonly schedulerName: string;
  readonly cache = new SchedulerCache();
  readonly queue: SchedulingQueue;
  readonly framework: Framework;
  private readonly client: ApiClient;
  private readonly ownsClient: boolean;
  private readonly recorder: EventRecorder;
  private readonly bindings: Dispatcher;
  private readonly writes: Dispatcher;
  private readonly annotations: Dispatcher;
  private readonly events: Dispatcher;
  private readonly load = new LoadMonitor();
  private readonly busy: () => boolean;
  private readonly normalEventsWhileBusy: TokenBucket;
  private pods!: Informer<Pod>;
  private nodes!: Informer<Node>;
  private stopped = false;
  private running = false;
  private kickTimer: NodeJS.Timeout | undefined;
  private readonly sliceMs: number;
  private readonly rewriteAfterMs: number;
  /** Nodes that changed in a way that may let waiting pods fit; flushed once per tick. */
  private changedNodes = new Set<string>();
  private hintFlushScheduled = false;
  /** Binding annotations not yet seen on the bound pod: key -> {uid, value}. */
  private readonly pendingAnnotations = new Map<string, { uid: string; value: string }>();
  /** Failure writes still in flight per pod uid (a binding waits for them, so they cannot land after it). */
  private readonly pendingFailureWrites = new Map<string, Promise<unknown>>();
  private readonly counters = { attempts: 0, scheduled: 0, unschedulable: 0, bindErrors: 0, writeErrors: 0 };
  private readonly log: Logger;

  constructor(
    private readonly ctx: ControllerContext,
    opts: SchedulerOptions = {},
  ) {
    this.log = ctx.log.with(this.name);
    this.schedulerName = opts.schedulerName ?? 'default-scheduler';
    this.framework = new Framework(opts);
    this.queue = new SchedulingQueue({ initialBackoffMs: opts.initialBackoffMs, maxBackoffMs: opts.maxBackoffMs, clock: ctx.clock });
    this.bindings = new Dispatcher(opts.maxBindingsInFlight ?? 64);
    this.writes = new Dispatcher(opts.maxWritesInFlight ?? 16, 20_000);
    // Informational writes yield to the work: while many bindings are in flight or the event
    // loop (which the API server shares) is saturated, annotation patches wait (unless
    // thousands pile up) and events trickle; both catch up when the burst is over. A burst of
    // pods is created, bound and started as fast as the API server allows.
    const busy = (this.busy = () => this.bindings.running >= this.bindings.limit / 2 || this.load.saturated);
    const writesLimit = this.writes.limit;
    this.annotations = new Dispatcher(writesLimit, 20_000, () => (!busy() ? writesLimit : this.annotations.waiting > 5000 ? 1 : 0));
    const eventsLimit = opts.maxEventsInFlight ?? 4;
    this.events = new Dispatcher(eventsLimit, opts.maxEventBacklog ?? 2000, () => (busy() ? 1 : eventsLimit));
    this.normalEventsWhileBusy = new TokenBucket(opts.normalEventsPerSecondWhileBusy ?? 50);
    this.sliceMs = opts.sliceMs ?? 10;
    this.rewriteAfterMs = opts.rewriteUnchangedAfterMs ?? 30_000;
    // A connection pool of our own, sized for everything we keep in flight, so bindings never
    // queue behind other components' requests (or ours) for a socket.
    this.ownsClient = !opts.client;
    this.client =
      opts.client ??
      new ApiClient({
        ...ctx.client.config,
        userAgent: ctx.client.config.userAgent ?? `flotilla-${this.schedulerName}`,
        maxSockets: this.bindings.limit + this.writes.limit + this.annotations.limit + this.events.limit,
      });
    this.recorder = new EventRecorder(this.client, this.schedulerName);
  }

  init(): void {
    this.nodes = this.ctx.informers.informer<Node>('nodes');
    this.pods = this.ctx.informers.informer<Pod>('pods');
    this.nodes.addHandlers({
      onAdd: (n) => this.onNode(undefined, n),
      onUpdate: (o, n) => this.onNode(o, n),
      onDelete: (n) => this.cache.removeNode(n.metadata.name!),
    });
    this.pods.addHandlers({
      onAdd: (p) => this.onPod(p),
      onUpdate: (_o, p) => this.onPod(p),
      onDelete: (p) => this.onPodDeleted(p),
    });
  }

  run(): void {
    if (this.running) return;
    this.running = true;
    this.load.start();
    // When the load falls, waiting writes must not wait for the next binding to be started.
    this.kickTimer = setInterval(() => {
      this.annotations.kick();
      this.events.kick();
    }, 250);
    this.kickTimer.unref();
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.queue.close();
    this.load.stop();
    if (this.kickTimer) clearInterval(this.kickTimer);
    // Let in-flight requests finish on their own; new ones are not started.
    void Promise.all([this.bindings.whenIdle(), this.writes.whenIdle(), this.annotations.whenIdle()]).then(() => {
      if (this.ownsClient) this.client.close();
    });
  }

  stats(): SchedulerStats {
    return {
      ...this.counters,
      eventsDropped: this.events.dropped,
      annotationsDropped: this.annotations.dropped,
      bindingsInFlight: this.bindings.running,
      pending: this.queue.size,
      active: this.queue.activeLength,
      backingOff: this.queue.backoffLength,
      nodes: this.cache.nodeCount,
    };
  }

  /** Resolves when no binding, status or annotation write is in flight (for tests and benchmarks). */
  async whenIdle(): Promise<void> {
    await Promise.all([this.bindings.whenIdle(), this.writes.whenIdle(), this.annotations.whenIdle()]);
  }

  // ---- informer handlers ----

  private onNode(old: Node | undefined, node: Node): void {
    const name = node.metadata.name!;
    this.cache.setNode(node);
    if (!old || nodeSchedulingFingerprint(old) !== nodeSchedulingFingerprint(node)) this.noteNodeChange(name);
  }

  private onPod(pod: Pod): void {
    const key = podKey(pod);
    if (pod.spec?.nodeName) {
      this.queue.finish(key);
      const result = this.cache.upsertBoundPod(pod);
      if (result === 'removed') this.noteNodeChange(pod.spec.nodeName);
      this.checkBindingAnnotation(key, pod);
      return;
    }
    const place = this.cache.placeOf(key);
    if (place) {
      if (place.uid === pod.metadata.uid) return; // assumed: its binding is in flight
      this.cache.removePodKey(key); // a new pod under an old name
    }
    if (isResponsible(pod, this.schedulerName)) this.queue.addOrUpdate(pod, key);
    else this.queue.delete(key);
  }

  private onPodDeleted(pod: Pod): void {
    const key = podKey(pod);
    const place = this.cache.placeOf(key);
    if (place && place.uid === pod.metadata.uid) {
      const node = this.cache.removePodKey(key);
      if (node) this.noteNodeChange(node);
    }
    const qp = this.queue.get(key);
    if (qp && qp.pod.metadata.uid === pod.metadata.uid) this.queue.delete(key);
    if (this.pendingAnnotations.get(key)?.uid === pod.metadata.uid) this.pendingAnnotations.delete(key);
  }

  // ---- queueing hints ----

  private noteNodeChange(nodeName: string): void {
    this.changedNodes.add(nodeName);
    if (this.hintFlushScheduled || this.stopped) return;
    this.hintFlushScheduled = true;
    setImmediate(() => this.flushHints());
  }

  /**
   * Retries, right away, each backing-off pod that a changed node would now accept: the filters
   * are run for the pod against the changed nodes only, which is exact and cheap (kube's
   * queueing hints answer the same question per plugin and event).
   */
  private flushHints(): void {
    this.hintFlushScheduled = false;
    if (this.stopped || !this.changedNodes.size) return;
    const names = this.changedNodes;
    this.changedNodes = new Set();
    if (!this.queue.backoffLength) return;
    const nodes = [...names].map((n) => this.cache.get(n)).filter((n) => n !== undefined);
    const wake: QueuedPod[] = [];
    for (const qp of this.queue.backingOff()) {
      if (!qp.rejectors) continue; // backing off after an error: no change makes it sooner
      if (qp.rejectors.has('*')) {
        if (nodes.length) wake.push(qp);
        continue;
      }
      const info = (qp.info ??= newPodInfo(qp.pod));
      for (const ni of nodes) {
        if (this.framework.runFilters(info, ni) === null) {
          wake.push(qp);
          break;
        }
      }
    }
    for (const qp of wake) this.queue.activate(qp);
  }

  // ---- the scheduling loop ----

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.queue.activeLength) {
        await this.queue.whenActive();
        continue;
      }
      if (this.bindings.full) {
        await this.bindings.whenSlot();
        continue;
      }
      const deadline = performance.now() + this.sliceMs;
      let n = 0;
      while (!this.stopped && !this.bindings.full) {
        const qp = this.queue.pop();
        if (!qp) break;
        try {
          this.scheduleOne(qp);
        } catch (e) {
          this.log.error('scheduling cycle failed', { pod: qp.key, err: e, stack: (e as Error)?.stack });
          this.queue.backOff(qp, undefined);
        }
        if ((++n & 7) === 0 && performance.now() >= deadline) break;
      }
      // Let responses, watch events and the API server itself run between bursts.
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  /** One scheduling cycle (synchronous), then binding or failure handling in the background. */
  scheduleOne(qp: QueuedPod): void {
    const pi = (qp.info ??= newPodInfo(qp.pod));
    const now = this.queue.now();
    qp.attempts++;
    qp.lastAttemptAt = now;
    this.counters.attempts++;
    const result = this.framework.schedule(pi, this.cache);
    const attempt = buildLastAttempt(result, new Date(now));
    if (result.node) {
      this.cache.assume(pi, result.node);
      this.bind(qp, result.node, attempt);
    } else {
      this.counters.unschedulable++;
      this.queue.backOff(qp, result.rejectors);
      this.recordFailure(qp, fitErrorMessage(result.numAllNodes, result.filtered), attempt);
    }
  }

  // ---- binding ----

  private bind(qp: QueuedPod, nodeName: string, attempt: LastAttempt): void {
    const pod = qp.pod;
    const { key } = qp;
    const uid = pod.metadata.uid ?? '';
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    const value = encodeLastAttempt(attempt);
    this.pendingAnnotations.set(key, { uid, value });
    const body = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name, namespace: ns, ...(uid ? { uid } : {}), annotations: { [KEY]: value } },
      target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
    };
    const path = resourcePath(resourceByKey('pods')!, ns, name, 'binding');
    this.bindings
      .run(async () => {
        const earlier = this.pendingFailureWrites.get(uid);
        if (earlier) await earlier.catch(() => {});
        await this.client.request('POST', path, body);
      })
      .finally(() => {
        this.annotations.kick();
        this.events.kick();
      })
      .then(
        () => {
          this.counters.scheduled++;
          this.log.debug('bound pod', { pod: key, node: nodeName });
          if (this.queue.get(key) === qp) this.queue.finish(key);
          this.recordEvent(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`);
          // If the informer already showed the bound pod, the annotation check ran; else it will.
        },
        (err: unknown) => this.bindingFailed(qp, nodeName, err),
      );
  }

  private bindingFailed(qp: QueuedPod, nodeName: string, err: unknown): void {
    const pod = qp.pod;
    const { key } = qp;
    const uid = pod.metadata.uid;
    if (this.pendingAnnotations.get(key)?.uid === uid) this.pendingAnnotations.delete(key);
    const place = this.cache.placeOf(key);
    if (place?.assumed && place.uid === uid) this.cache.forget(key);
    if (place?.assumed) this.noteNodeChange(nodeName);
    if (this.stopped) return;
    // The informer's view decides what happens next: gone or bound elsewhere means done.
    const current = this.pods.getByKey(key);
    if (!current || current.metadata.uid !== uid || current.spec?.nodeName || isNotFound(err)) {
      if (this.queue.get(key) === qp) this.queue.finish(key);
      return;
    }
    this.counters.bindErrors++;
    const message = err instanceof ApiRequestError ? err.message : String((err as Error)?.message ?? err);
    this.log.warn('binding failed', { pod: key, node: nodeName, err: message });
    this.recordEvent(pod, 'Warning', 'FailedScheduling', truncateEventMessage(`binding rejected: running Bind plugin "DefaultBinder": ${message}`));
    // An error, not a verdict on the cluster: wait out the backoff, whatever changes meanwhile.
    this.queue.backOff(qp, undefined);
  }

  /** The informer shows `pod` bound: if our binding's annotation did not stick, patch it on. */
  private checkBindingAnnotation(key: string, pod: Pod): void {
    const pending = this.pendingAnnotations.get(key);
    if (!pending) return;
    this.pendingAnnotations.delete(key);
    if (pending.uid !== pod.metadata.uid) return;
    if (pod.metadata.annotations?.[KEY] === pending.value) return;
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    this.annotations.submit(
      () => this.client.patch('pods', ns, name, { metadata: { annotations: { [KEY]: pending.value } } }, 'merge'),
      (e) => this.writeFailed(key, e),
    );
  }

  // ---- failures ----

  private recordFailure(qp: QueuedPod, message: string, attempt: LastAttempt): void {
    const pod = qp.pod;
    this.recordEvent(pod, 'Warning', 'FailedScheduling', truncateEventMessage(message));
    const prev = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    const sameCondition = prev?.status === 'False' && prev.reason === 'Unschedulable' && prev.message === message;
    const sig = attemptSignature(attempt);
    const now = this.queue.now();
    const sameAttempt = qp.written?.sig === sig && now - qp.written.at < this.rewriteAfterMs;
    if (sameCondition && sameAttempt) return;
    qp.written = { sig, at: now };
    const uid = pod.metadata.uid ?? '';
    const write = this.writes.run(() => this.writeFailure(qp.key, uid, message, encodeLastAttempt(attempt), now));
    this.pendingFailureWrites.set(uid, write);
    write
      .catch((e) => this.writeFailed(qp.key, e))
      .finally(() => {
        if (this.pendingFailureWrites.get(uid) === write) this.pendingFailureWrites.delete(uid);
      });
  }

  /**
   * PodScheduled=False/Unschedulable and the last-attempt annotation in one pods/status merge
   * patch. The conditions list is rewritten whole from the freshest copy the informer has (only
   * the scheduler writes conditions of an unscheduled pod); a merge patch, unlike a strategic one,
   * can carry kube's `lastProbeTime: null`.
   */
  private async writeFailure(key: string, uid: string, message: string, value: string, now: number): Promise<void> {
    const current = this.pods.getByKey(key);
    // Scheduled since (or gone)? Then this news is stale.
    if (!current || current.metadata.uid !== uid || current.spec?.nodeName || this.cache.placeOf(key)) return;
    const conditions = [...(current.status?.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === 'PodScheduled');
    const prev = i >= 0 ? conditions[i] : undefined;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: prev?.status === 'False' && prev.lastTransitionTime ? prev.lastTransitionTime : nowISO(new Date(now)),
      reason: 'Unschedulable',
      message,
    };
    if (i >= 0) conditions[i] = condition;
    else conditions.push(condition);
    const ns = current.metadata.namespace!;
    const name = current.metadata.name!;
    const patch = { metadata: { annotations: { [KEY]: value } }, status: { conditions } };
    const updated = await this.client.patch<Pod>('pods', ns, name, patch, 'merge', 'status');
    if (updated?.metadata?.annotations?.[KEY] !== value) {
      await this.client.patch('pods', ns, name, { metadata: { annotations: { [KEY]: value } } }, 'merge');
    }
  }

  private writeFailed(key: string, e: unknown): void {
    if (isNotFound(e) || e instanceof DroppedError || this.stopped) return;
    this.counters.writeErrors++;
    this.log.warn('updating pod failed', { pod: key, err: e });
  }

  private recordEvent(pod: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.stopped) return;
    // While the API server is saturated, "Scheduled" events are sampled (kube's recorder also
    // drops under pressure); warnings always go out.
    if (type === 'Normal' && this.busy() && !this.normalEventsWhileBusy.take()) {
      this.events.dropped++;
      return;
    }
    const ref = asPodRef(pod);
    this.events.submit(() => this.recorder.record(ref, type, reason, message));
  }
}

export type { ScheduleResult };
