import type { KubeObject, Pod, Service } from '../../api/types.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { podEndpointsChanged, selectorMatches, serviceHasSelector } from './serviceEndpoints.js';

// Pods <-> Services through the shared informers, for the controllers that follow Service
// selectors. Both informers are indexed by namespace, so a pod event looks only at the
// Services of its own namespace and a Service sync only at the pods of its namespace.

export const NAMESPACE_INDEX = 'namespace';

export function namespaceIndex(obj: KubeObject): string[] {
  return [obj.metadata.namespace ?? ''];
}

export class ServicePods {
  constructor(
    readonly services: Informer<Service>,
    readonly pods: Informer<Pod>,
  ) {}

  /** Adds the namespace indexes; call from Controller.init(). */
  init(): void {
    this.services.addIndex(NAMESPACE_INDEX, namespaceIndex);
    this.pods.addIndex(NAMESPACE_INDEX, namespaceIndex);
  }

  /** Keys ("ns/name") of the Services whose selector matches these labels. */
  serviceKeysFor(namespace: string, labels: Record<string, string> | undefined, into = new Set<string>()): Set<string> {
    for (const svc of this.services.byIndex(NAMESPACE_INDEX, namespace)) {
      if (serviceHasSelector(svc) && selectorMatches(svc.spec.selector, labels)) into.add(keyOf(svc));
    }
    return into;
  }

  /** The pods a Service selects (from the cache; the caller must not modify them). */
  podsFor(svc: Service): Pod[] {
    const sel = svc.spec?.selector;
    return this.pods.byIndex(NAMESPACE_INDEX, svc.metadata.namespace ?? '').filter((p) => selectorMatches(sel, p.metadata.labels));
  }

  /**
   * Enqueues the Services a pod event concerns: on add/delete those selecting the pod; on update
   * only when something endpoint-relevant changed, and then also those that selected its old
   * labels.
   */
  onPodEvents(enqueue: (serviceKey: string) => void): void {
    const fire = (keys: Set<string>) => {
      for (const k of keys) enqueue(k);
    };
    this.pods.addHandlers({
      onAdd: (pod) => fire(this.serviceKeysFor(pod.metadata.namespace ?? '', pod.metadata.labels)),
      onUpdate: (oldPod, newPod) => {
        const { changed, labelsChanged } = podEndpointsChanged(oldPod, newPod);
        if (!changed) return;
        const keys = this.serviceKeysFor(newPod.metadata.namespace ?? '', newPod.metadata.labels);
        if (labelsChanged) this.serviceKeysFor(oldPod.metadata.namespace ?? '', oldPod.metadata.labels, keys);
        fire(keys);
      },
      onDelete: (pod) => fire(this.serviceKeysFor(pod.metadata.namespace ?? '', pod.metadata.labels)),
    });
  }
}

export function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return i < 0 ? ['', key] : [key.slice(0, i), key.slice(i + 1)];
}
