import { systemClock, type PassiveClock } from '../api/clock.js';
import { nowISO } from '../api/time.js';
import { TokenBucket } from '../api/tokenBucket.js';
import type { Event, KubeObject } from '../api/types.js';
import { ApiClient, isNotFound } from './apiClient.js';

// Kubernetes Events as components record them (client-go's record package and its
// EventCorrelator, with the same defaults):
//   - aggregation: once 10 events with different messages but the same source, object, type and
//     reason arrive within 10 minutes, further ones are combined into a single event whose
//     message reads "(combined from similar events): <latest message>" and whose count grows
//     (a ReplicaSet creating 500 pods leaves ~10 "Created pod" events, not 500);
//   - deduplication: one Event per (object, type, reason, message, source); a repeat bumps count,
//     lastTimestamp (and message, for a combined event) with a patch instead of creating another;
//   - spam filter: at most 25 writes in a burst per (source, object), then one per 5 minutes
//     (a token bucket); the rest are dropped.
// Recording never throws: events are best-effort, as in Kubernetes.

export type EventType = 'Normal' | 'Warning';

export interface CorrelatorOptions {
  /** Distinct messages of similar events before they are combined (client-go: 10). */
  maxSimilarEvents?: number;
  /** How long similar events are remembered for aggregation (client-go: 600 s). */
  maxIntervalMs?: number;
  /** Writes allowed in a burst per source and object (client-go: 25). */
  spamBurst?: number;
  /** Refill of that budget, per second (client-go: 1/300). */
  spamQps?: number;
  /** Entries of each cache (client-go: 4096). */
  cacheSize?: number;
  clock?: PassiveClock;
}

/** What was written (or would have been) for a deduplication key. */
interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

interface Similar {
  messages: Set<string>;
  last: number;
}

export const COMBINED_PREFIX = '(combined from similar events): ';

/** A Map kept to `max` entries, least recently set first out (the LRU caches of client-go). */
class Lru<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}
  get(k: string): V | undefined {
    return this.map.get(k);
  }
  set(k: string, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }
  delete(k: string): void {
    this.map.delete(k);
  }
}

export class EventRecorder {
  private readonly seen: Lru<Seen>;
  private readonly similar: Lru<Similar>;
  private readonly spam: Lru<TokenBucket>;
  private readonly maxSimilar: number;
  private readonly maxIntervalMs: number;
  private readonly burst: number;
  private readonly qps: number;
  private readonly clock: PassiveClock;
  private seq = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly component: string,
    private readonly host?: string,
    opts: CorrelatorOptions = {},
  ) {
    const size = opts.cacheSize ?? 4096;
    this.seen = new Lru(size);
    this.similar = new Lru(size);
    this.spam = new Lru(size);
    this.maxSimilar = opts.maxSimilarEvents ?? 10;
    this.maxIntervalMs = opts.maxIntervalMs ?? 600_000;
    this.burst = opts.spamBurst ?? 25;
    this.qps = opts.spamQps ?? 1 / 300;
    this.clock = opts.clock ?? systemClock;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    void this.record(obj, type, reason, message, fieldPath).catch(() => {});
  }

  async record(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const m = obj.metadata;
    const namespace = m.namespace || 'default';
    const nowMs = this.clock.now();
    const now = nowISO(nowMs);
    const source = [this.component, this.host ?? '', obj.kind, namespace, m.name, m.uid, obj.apiVersion].join('\u0000');

    // Aggregation (client-go's EventAggregator, keyed by source, object, type and reason).
    const similarKey = [source, type, reason].join('\u0000');
    let similar = this.similar.get(similarKey);
    if (!similar || nowMs - similar.last > this.maxIntervalMs) similar = { messages: new Set(), last: nowMs };
    similar.messages.add(message);
    similar.last = nowMs;
    this.similar.set(similarKey, similar);
    let key = [source, fieldPath ?? '', type, reason, message].join('\u0000');
    if (similar.messages.size >= this.maxSimilar) {
      similar.messages.delete(similar.messages.values().next().value!); // don't grow past max
      key = similarKey;
      message = COMBINED_PREFIX + message;
    }

    // Deduplication (client-go's eventLogger): a repeat becomes a patch of the first one.
    let seen = this.seen.get(key);
    const repeat = seen !== undefined;
    if (seen) seen.count++;
    // Unique, sortable names like Kubernetes' <object>.<hex nanoseconds>.
    else seen = { name: `${m.name}.${(nowMs * 1000 + (this.seq++ % 1000)).toString(16)}`, namespace, count: 1, firstTimestamp: now };
    this.seen.set(key, seen);

    // Spam filter (client-go's EventSourceObjectSpamFilter): a token bucket per source and object.
    let bucket = this.spam.get(source);
    if (!bucket) bucket = new TokenBucket(this.qps, this.burst, this.clock);
    this.spam.set(source, bucket);
    if (!bucket.take()) return;

    if (repeat) {
      const patch: Record<string, unknown> = { count: seen.count, lastTimestamp: now };
      if (key === similarKey) patch.message = message;
      try {
        await this.client.patch('events', seen.namespace, seen.name, patch, 'merge');
        return;
      } catch (e) {
        // Deleted, or never written (its first write was dropped): create it, as client-go does.
        if (!isNotFound(e)) throw e;
      }
    }
    const ev: Event = {
      metadata: { name: seen.name, namespace },
      involvedObject: { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: seen.firstTimestamp,
      lastTimestamp: now,
      count: seen.count,
      reportingComponent: this.component,
      reportingInstance: this.host ?? this.component,
    };
    await this.client.create('events', namespace, ev);
  }
}
