import type { KubeObject, Namespace } from '../../api/types.js';
import { RESOURCES, qualifiedResource, resourceByKey, verbsOf, type ResourceDef } from '../../api/resources.js';
import { errorMessage } from '../../api/errors.js';
import { nowISO } from '../../api/time.js';
import { isConflict, isNotFound, resourcePath } from '../../client/apiClient.js';
import type { Informer } from '../../client/informer.js';
import { BaseController } from '../../client/controller.js';
import { forEachLimit } from '../util/concurrency.js';
import { addRemaining, deletionConditions, emptyReport, mergeConditions, remainingCount, type ContentReport, type NamespaceCondition } from './conditions.js';

// The namespace controller (kube's pkg/controller/namespace). `kubectl delete ns x` only marks the
// namespace Terminating; the API server keeps it while spec.finalizers holds "kubernetes". This
// loop deletes every namespaced object in it, waits until all are gone (pods bound to a node
// finish through their kubelet), then clears "kubernetes" through the finalize subresource and
// the API server removes the namespace.
//
// Kube re-runs its full pass (delete collection + list of every resource) after an estimate;
// here the shared informers say when something in a terminating namespace goes away, so the
// waiting phase reads the caches and only the final, confirming pass talks to the API server for
// every resource.

const FINALIZER_KUBERNETES = 'kubernetes';
const FANOUT = 4;
/** Longest wait between passes while content remains (deletions also wake the loop). */
const MAX_RECHECK_MS = 5000;
const MIN_RECHECK_MS = 1000;
/** Counts in condition messages are refreshed at most this often while content drains. */
const MESSAGE_REFRESH_MS = 2000;

export class NamespaceController extends BaseController {
  readonly name = 'namespace-controller';
  private readonly queue = this.newQueue((name) => this.sync(name), { baseDelayMs: 100, maxDelayMs: 30_000 });
  private namespaces!: Informer<Namespace>;
  private readonly resources: ResourceDef[] = RESOURCES.filter((r) => r.namespaced && verbsOf(r).includes('list') && verbsOf(r).includes('delete'));
  private readonly caches = new Map<string, Informer>();
  private readonly lastConditionWrite = new Map<string, number>();

  init(): void {
    this.namespaces = this.ctx.informers.informer<Namespace>('namespaces');
    const enqueue = (ns: Namespace) => {
      if (ns.metadata.deletionTimestamp) this.queue.add(ns.metadata.name!);
    };
    this.namespaces.addHandlers({ onAdd: enqueue, onUpdate: (_, ns) => enqueue(ns) });
    for (const r of this.resources) {
      // Events are created while a namespace terminates and are never waited for: read them live.
      if (r.key === 'events' || !verbsOf(r).includes('watch')) continue;
      const inf = this.ctx.informers.informer(r.key);
      inf.addHandlers({ onDelete: (o) => this.contentGone(o) });
      this.caches.set(r.key, inf);
    }
  }

  private contentGone(obj: KubeObject): void {
    const ns = obj.metadata.namespace;
    if (!ns) return;
    if (this.namespaces.get(undefined, ns)?.metadata.deletionTimestamp) this.queue.addAfter(ns, 50); // coalesce bursts
  }

  private async sync(name: string): Promise<void> {
    let ns: Namespace;
    try {
      ns = await this.ctx.client.get<Namespace>('namespaces', undefined, name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      this.lastConditionWrite.delete(name);
      return;
    }
    if (!ns.metadata.deletionTimestamp) {
      this.lastConditionWrite.delete(name);
      return;
    }
    const finalizers = ns.spec?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER_KUBERNETES)) return; // another finalizer's owner finishes it

    // Waiting phase: while the caches still hold content, delete what is not yet being deleted
    // and come back when something goes away.
    const cached = this.cachedContent(name);
    if (remainingCount(cached.report) > 0) {
      await forEachLimit(cached.undeleted, FANOUT, (r) => this.deleteCollection(r, name));
      const sinceWrite = this.ctx.clock.now() - (this.lastConditionWrite.get(name) ?? 0);
      const recent = sinceWrite < MESSAGE_REFRESH_MS;
      await this.updateConditions(ns, cached.report, recent);
      // If a refresh of the counts was put off, come back for it.
      this.queue.addAfter(name, recent ? Math.min(recheckDelay(cached.report), MESSAGE_REFRESH_MS - sinceWrite + 50) : recheckDelay(cached.report));
      return;
    }

    // Confirming pass, live: delete everything (including kinds no informer watches), then list.
    const report = await this.deleteAllContent(name);
    ns = (await this.updateConditions(ns, report)) ?? ns;
    if (report.failures.length) throw new Error(`deleting content of namespace ${name}: ${report.failures.join('; ')}`);
    if (remainingCount(report) > 0) {
      this.queue.addAfter(name, recheckDelay(report));
      return;
    }
    await this.finalize(ns, finalizers.filter((f) => f !== FINALIZER_KUBERNETES));
    this.lastConditionWrite.delete(name);
  }

  private cachedContent(ns: string): { report: ContentReport; undeleted: ResourceDef[] } {
    const report = emptyReport();
    const undeleted: ResourceDef[] = [];
    const now = this.ctx.clock.now();
    for (const r of this.resources) {
      const inf = this.caches.get(r.key);
      if (!inf) continue;
      const items = inf.list(ns);
      addRemaining(report, qualifiedResource(r), items, now);
      if (items.some((o) => !o.metadata.deletionTimestamp)) undeleted.push(r);
    }
    return { report, undeleted };
  }

  private async deleteAllContent(ns: string): Promise<ContentReport> {
    const report = emptyReport();
    await forEachLimit(this.resources, FANOUT, async (r) => {
      try {
        await this.deleteCollection(r, ns);
        const list = await this.ctx.client.list(r.key, ns);
        addRemaining(report, qualifiedResource(r), list.items, this.ctx.clock.now());
      } catch (e) {
        report.failures.push(`${qualifiedResource(r)}: ${errorMessage(e)}`);
      }
    });
    return report;
  }

  /** Deletes every object of one resource in the namespace (background propagation, like kube). */
  private async deleteCollection(r: ResourceDef, ns: string): Promise<void> {
    const opts = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
    if (verbsOf(r).includes('deletecollection')) {
      await this.ctx.client.request('DELETE', resourcePath(r, ns), opts);
      return;
    }
    const list = await this.ctx.client.list(r.key, ns);
    await forEachLimit(list.items, FANOUT, async (o) => {
      if (o.metadata.deletionTimestamp) return;
      try {
        await this.ctx.client.delete(r.key, ns, o.metadata.name!, { propagationPolicy: 'Background' });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    });
  }

  /** Writes kube's deletion conditions when they change; returns the updated namespace. */
  private async updateConditions(ns: Namespace, report: ContentReport, ignoreMessages = false): Promise<Namespace | undefined> {
    const existing = (ns.status?.conditions ?? []) as NamespaceCondition[];
    const now = this.ctx.clock.now();
    const conditions = mergeConditions(existing, deletionConditions(report), nowISO(now), ignoreMessages);
    if (!conditions) return undefined;
    this.lastConditionWrite.set(ns.metadata.name!, now);
    try {
      return await this.ctx.client.update<Namespace>('namespaces', { ...ns, status: { ...(ns.status ?? {}), phase: 'Terminating', conditions } }, 'status');
    } catch (e) {
      // Best effort: the next pass writes them again.
      if (isConflict(e) || isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async finalize(ns: Namespace, remaining: string[]): Promise<void> {
    const r = resourceByKey('namespaces')!;
    try {
      await this.ctx.client.request('PUT', resourcePath(r, undefined, ns.metadata.name, 'finalize'), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: ns.metadata.name, resourceVersion: ns.metadata.resourceVersion },
        spec: { finalizers: remaining },
      });
    } catch (e) {
      if (isNotFound(e)) return;
      throw e; // a conflict is retried with the namespace read again
    }
  }
}

/** Pods due to finish soon: look again then; otherwise deletion events wake us, this is a backstop. */
function recheckDelay(report: ContentReport): number {
  if (!report.estimateSeconds) return MAX_RECHECK_MS;
  return Math.min(MAX_RECHECK_MS, Math.max(MIN_RECHECK_MS, report.estimateSeconds * 1000));
}
