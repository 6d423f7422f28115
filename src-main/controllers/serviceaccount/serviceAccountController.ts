import type { KubeObject, Namespace } from '../../api/types.js';
import { ApiRequestError, isAlreadyExists, isNotFound } from '../../client/apiClient.js';
import type { Informer } from '../../client/informer.js';
import { BaseController } from '../../client/controller.js';

// The service account controller (kube's pkg/controller/serviceaccount): every active namespace
// has a `default` ServiceAccount, recreated if someone deletes it.

const DEFAULT_SA = 'default';

export class ServiceAccountController extends BaseController {
  readonly name = 'serviceaccount-controller';
  private readonly queue = this.newQueue((ns) => this.sync(ns), { baseDelayMs: 100, maxDelayMs: 30_000 });
  private namespaces!: Informer<Namespace>;
  private serviceAccounts!: Informer;

  init(): void {
    this.namespaces = this.ctx.informers.informer<Namespace>('namespaces');
    this.serviceAccounts = this.ctx.informers.informer('serviceaccounts');
    this.namespaces.addHandlers({
      onAdd: (ns) => this.queue.add(ns.metadata.name!),
      onUpdate: (_, ns) => this.queue.add(ns.metadata.name!),
    });
    this.serviceAccounts.addHandlers({
      onDelete: (sa: KubeObject) => {
        if (sa.metadata.name === DEFAULT_SA && sa.metadata.namespace) this.queue.add(sa.metadata.namespace);
      },
    });
  }

  private async sync(name: string): Promise<void> {
    const ns = this.namespaces.get(undefined, name);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    if (this.serviceAccounts.get(name, DEFAULT_SA)) return;
    try {
      await this.ctx.client.create('serviceaccounts', name, { metadata: { name: DEFAULT_SA, namespace: name } });
    } catch (e) {
      // Already there (our cache lags), namespace gone, or terminating since we looked: all fine.
      if (isAlreadyExists(e) || isNotFound(e) || (e instanceof ApiRequestError && e.code === 403)) return;
      throw e;
    }
  }
}
