import type { ConfigMap, Namespace } from '../../api/types.js';
import { ApiRequestError, isNotFound } from '../../client/apiClient.js';
import type { Informer } from '../../client/informer.js';
import { BaseController } from '../../client/controller.js';

// The root CA certificate publisher (kube's pkg/controller/certificates/rootcacertpublisher): every
// namespace has the ConfigMap `kube-root-ca.crt` holding the cluster CA under `ca.crt`, which the
// kube-api-access volume of every pod projects. A deleted one is made again, and a changed one
// is put back, annotation included.

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCACertPublisher extends BaseController {
  readonly name = 'root-ca-certificate-publisher-controller';
  private readonly queue = this.newQueue((ns) => this.sync(ns), { baseDelayMs: 100, maxDelayMs: 30_000 });
  private configMaps!: Informer<ConfigMap>;

  init(): void {
    const namespaces = this.ctx.informers.informer<Namespace>('namespaces');
    this.configMaps = this.ctx.informers.informer<ConfigMap>('configmaps');
    namespaces.addHandlers({
      onAdd: (ns) => this.queue.add(ns.metadata.name!),
      onUpdate: (_, ns) => {
        if (ns.status?.phase === 'Active') this.queue.add(ns.metadata.name!);
      },
    });
    const mine = (cm: ConfigMap) => {
      if (cm.metadata.name === ROOT_CA_CONFIGMAP && cm.metadata.namespace) this.queue.add(cm.metadata.namespace);
    };
    this.configMaps.addHandlers({ onUpdate: (_, cm) => mine(cm), onDelete: mine });
  }

  private get rootCA(): string {
    return this.ctx.client.config.ca;
  }

  private async sync(namespace: string): Promise<void> {
    const data = { 'ca.crt': this.rootCA };
    const cm = this.configMaps.get(namespace, ROOT_CA_CONFIGMAP);
    if (!cm) {
      try {
        await this.ctx.client.create('configmaps', namespace, { metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } }, data });
      } catch (e) {
        // A namespace that is gone or terminating gets nothing; one our cache has not seen made yet is fine.
        if (isNotFound(e) || (e instanceof ApiRequestError && (e.code === 403 || e.code === 409))) return;
        throw e;
      }
      return;
    }
    const same = Object.keys(cm.data ?? {}).length === 1 && cm.data?.['ca.crt'] === data['ca.crt'];
    if (same && cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return;
    await this.ctx.client.update('configmaps', {
      ...cm,
      data,
      metadata: { ...cm.metadata, annotations: { ...(cm.metadata.annotations ?? {}), [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
    });
  }
}
