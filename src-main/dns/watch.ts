import type { EndpointSlice, KubeObject, Service } from '../api/types.js';
import { trimManagedFields, type InformerFactory } from '../client/informer.js';
import { toDnsEndpoints, toDnsService, type ClusterState } from './clusterState.js';

// Keeps a ClusterState in step with the API server through shared informers on Services,
// EndpointSlices and Namespaces: what CoreDNS's kubernetes plugin watches with `pods insecure`
// (plugin/kubernetes/controller.go; Pods only in `pods verified` mode). Namespaces are needed
// because CoreDNS answers a name in a namespace that does not exist with NXDOMAIN, and
// <ns>.svc.<zone> of one that does with NODATA.

export const DNS_INFORMER_OPTIONS = { transform: trimManagedFields };

export async function watchCluster(informers: InformerFactory, state: ClusterState): Promise<void> {
  const services = informers.informer<Service>('services');
  const slices = informers.informer<EndpointSlice>('endpointslices.discovery.k8s.io');
  const namespaces = informers.informer<KubeObject>('namespaces');
  services.addHandlers({
    onAdd: (s) => state.upsertService(toDnsService(s)),
    onUpdate: (_, s) => state.upsertService(toDnsService(s)),
    onDelete: (s) => state.deleteService(s.metadata.namespace ?? '', s.metadata.name ?? ''),
  });
  slices.addHandlers({
    onAdd: (e) => state.upsertEndpoints(toDnsEndpoints(e)),
    onUpdate: (_, e) => state.upsertEndpoints(toDnsEndpoints(e)),
    onDelete: (e) => state.deleteEndpoints(e.metadata.namespace ?? '', e.metadata.name ?? ''),
  });
  namespaces.addHandlers({
    onAdd: (n) => state.upsertNamespace(n.metadata.name ?? ''),
    onDelete: (n) => state.deleteNamespace(n.metadata.name ?? ''),
  });
  await informers.start();
  state.synced = true;
}
