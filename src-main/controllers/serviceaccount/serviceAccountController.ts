import type { KubeObject, Namespace } from '../../api/types.js';
import { ApiRequestError, isAlreadyExists, isNotFound } from '../../client/apiClient.js';
import type { Informer } from '../../client/informer.js';
import { WorkQueue } from '../../client/workQueue.js';
import type { Controller, ControllerContext } from '../controller.js';

// The service account controller (kube's pkg/controller/serviceaccount): every active namespace
// has a `default` ServiceAccount, recreated if someone deletes it.

const DEFAULT_SA = 'default';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount-controller';
  private readonly queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 30_000 });
  private readonly namespaces: Informer<Namespace>;
  private readonly serviceAccounts: Informer;

  constructor(private readonly ctx: ControllerContext) {
    this.namespaces = ctx.informers.informer<Namespace>('namespaces');
    this.serviceAccounts = ctx.informers.informer('serviceaccounts');
  }

  init(): void {
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

  run(): void {
    void this.queue.run(Math.max(1, Math.floor(this.ctx.options.workers / 2)), (ns) => this.sync(ns), (ns, err) => this.ctx.log(`serviceaccount-controller: ${ns}: ${(err as Error).message}`));
  }

  stop(): void {
    this.queue.shutDown();
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
