import type { Event, KubeObject } from '../api/types.js';
import { ApiClient, isNotFound } from './apiClient.js';

// Kubernetes Events as components record them (client-go's record package): one Event per
// (object, type, reason, message, source); a repeat bumps count and lastTimestamp instead of
// creating another. Recording never throws: events are best-effort, as in Kubernetes.

export type EventType = 'Normal' | 'Warning';

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstTimestamp: string;
}

function nowISO(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EventRecorder {
  private readonly seen = new Map<string, Seen>();
  private seq = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly component: string,
    private readonly host?: string,
  ) {}

  event(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    void this.record(obj, type, reason, message, fieldPath).catch(() => {});
  }

  async record(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): Promise<void> {
    const m = obj.metadata;
    const namespace = m.namespace || 'default';
    const key = [obj.kind, namespace, m.name, m.uid, fieldPath ?? '', type, reason, message].join('\u0000');
    const now = nowISO();
    const prev = this.seen.get(key);
    if (prev) {
      prev.count++;
      try {
        await this.client.patch('events', prev.namespace, prev.name, { count: prev.count, lastTimestamp: now }, 'merge');
        return;
      } catch (e) {
        if (!isNotFound(e)) throw e;
        this.seen.delete(key); // expired or deleted: start a new one
      }
    }
    // Unique, sortable names like Kubernetes' <object>.<hex nanoseconds>.
    const name = `${m.name}.${(Date.now() * 1000 + (this.seq++ % 1000)).toString(16)}`;
    const ev: Event = {
      metadata: { name, namespace },
      involvedObject: { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      reportingComponent: this.component,
      reportingInstance: this.host ?? this.component,
    };
    this.seen.set(key, { name, namespace, count: 1, firstTimestamp: now });
    if (this.seen.size > 4096) this.seen.delete(this.seen.keys().next().value!);
    await this.client.create('events', namespace, ev);
  }
}
