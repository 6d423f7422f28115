// The catalogue of resources Flotilla serves: one entry per REST resource, the single source for
// routing, discovery, OpenAPI, storage keys and per-resource behaviour. `key` names a resource
// everywhere inside Flotilla: the plural for the core group, `plural.group` otherwise.

export type Subresource = 'status' | 'scale' | 'binding' | 'log' | 'exec' | 'attach' | 'portforward' | 'finalize' | 'eviction' | 'token';

export interface ResourceDef {
  key: string;
  group: string; // '' for core
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: Subresource[];
  /** PUT on a missing object creates it (kube's AllowCreateOnUpdate). */
  allowCreateOnUpdate?: boolean;
  verbs?: string[];
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function def(d: Omit<ResourceDef, 'key' | 'subresources'> & { subresources?: Subresource[] }): ResourceDef {
  return { ...d, key: d.group ? `${d.plural}.${d.group}` : d.plural, subresources: d.subresources ?? [] };
}

export const RESOURCES: ResourceDef[] = [
  def({ group: '', version: 'v1', kind: 'Namespace', plural: 'namespaces', singular: 'namespace', namespaced: false, shortNames: ['ns'], subresources: ['status', 'finalize'], verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] }),
  def({ group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true, shortNames: ['po'], categories: ['all'], subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward', 'eviction'] }),
  def({ group: '', version: 'v1', kind: 'Service', plural: 'services', singular: 'service', namespaced: true, shortNames: ['svc'], categories: ['all'], subresources: ['status'], verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] }),
  def({ group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', singular: 'endpoints', namespaced: true, shortNames: ['ep'], allowCreateOnUpdate: true }),
  def({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true, shortNames: ['cm'] }),
  def({ group: '', version: 'v1', kind: 'Secret', plural: 'secrets', singular: 'secret', namespaced: true }),
  def({ group: '', version: 'v1', kind: 'ServiceAccount', plural: 'serviceaccounts', singular: 'serviceaccount', namespaced: true, shortNames: ['sa'], subresources: ['token'] }),
  def({ group: '', version: 'v1', kind: 'Event', plural: 'events', singular: 'event', namespaced: true, shortNames: ['ev'], allowCreateOnUpdate: true }),
  def({ group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false, shortNames: ['no'], subresources: ['status'] }),
  def({ group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true, shortNames: ['deploy'], categories: ['all'], subresources: ['status', 'scale'] }),
  def({ group: 'apps', version: 'v1', kind: 'ReplicaSet', plural: 'replicasets', singular: 'replicaset', namespaced: true, shortNames: ['rs'], categories: ['all'], subresources: ['status', 'scale'] }),
  def({ group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', singular: 'ingress', namespaced: true, shortNames: ['ing'], subresources: ['status'] }),
  def({ group: 'networking.k8s.io', version: 'v1', kind: 'IngressClass', plural: 'ingressclasses', singular: 'ingressclass', namespaced: false }),
  def({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', singular: 'endpointslice', namespaced: true }),
  def({ group: 'coordination.k8s.io', version: 'v1', kind: 'Lease', plural: 'leases', singular: 'lease', namespaced: true, allowCreateOnUpdate: true }),
];

const byKey = new Map(RESOURCES.map((r) => [r.key, r]));
const byGVR = new Map(RESOURCES.map((r) => [`${r.group}/${r.version}/${r.plural}`, r]));

export function resourceByKey(key: string): ResourceDef | undefined {
  return byKey.get(key);
}

export function resourceByPath(group: string, version: string, plural: string): ResourceDef | undefined {
  return byGVR.get(`${group}/${version}/${plural}`);
}

export function apiVersionOf(r: ResourceDef): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function verbsOf(r: ResourceDef): string[] {
  return r.verbs ?? ALL_VERBS;
}

/** `deployments.apps` / `pods`: how Kubernetes names a resource in error messages. */
export function qualifiedResource(r: ResourceDef): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** `Deployment.apps` / `Pod`: how Kubernetes names a kind in Invalid errors. */
export function qualifiedKind(r: ResourceDef): string {
  return r.group ? `${r.kind}.${r.group}` : r.kind;
}

export function groupVersions(): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of RESOURCES) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}

/** Storage key of an object within its resource: "ns/name" when namespaced, "name" otherwise. */
export function objectKey(r: ResourceDef, namespace: string | undefined, name: string): string {
  return r.namespaced ? `${namespace ?? ''}/${name}` : name;
}
