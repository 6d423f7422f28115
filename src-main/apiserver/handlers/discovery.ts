import { RESOURCES, apiVersionOf, groupVersions, verbsOf, type ResourceDef, type Subresource } from '../../api/resources.js';

// Discovery documents: /version, /api, /apis (aggregated v2 when the client asks for it, legacy
// otherwise) and the per-group-version APIResourceLists that client-node always fetches.

export const SERVER_VERSION = {
  major: '1',
  // kubectl on these machines is a dispatcher that runs the kubectl matching this minor version.
  minor: '32',
  gitVersion: 'v1.32.0-flotilla',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-11-27T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export const AGGREGATED_V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Subresources served over REST that discovery advertises, with their response kinds. */
const SUBRESOURCE_INFO: Partial<Record<Subresource, { kind: (r: ResourceDef) => { group: string; version: string; kind: string }; verbs: string[] }>> = {
  status: { kind: (r) => ({ group: r.group, version: r.version, kind: r.kind }), verbs: ['get', 'patch', 'update'] },
  scale: { kind: () => ({ group: 'autoscaling', version: 'v1', kind: 'Scale' }), verbs: ['get', 'patch', 'update'] },
  binding: { kind: () => ({ group: '', version: 'v1', kind: 'Binding' }), verbs: ['create'] },
  finalize: { kind: (r) => ({ group: r.group, version: r.version, kind: r.kind }), verbs: ['update'] },
  log: { kind: () => ({ group: '', version: 'v1', kind: 'Pod' }), verbs: ['get'] },
  exec: { kind: () => ({ group: '', version: 'v1', kind: 'PodExecOptions' }), verbs: ['create', 'get'] },
  attach: { kind: () => ({ group: '', version: 'v1', kind: 'PodAttachOptions' }), verbs: ['create', 'get'] },
  portforward: { kind: () => ({ group: '', version: 'v1', kind: 'PodPortForwardOptions' }), verbs: ['create', 'get'] },
  eviction: { kind: () => ({ group: 'policy', version: 'v1', kind: 'Eviction' }), verbs: ['create'] },
  token: { kind: () => ({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }), verbs: ['create'] },
};

/** Subresources that are implemented (eviction is not yet): only these are advertised. */
const servedSubresources = new Set<Subresource>(['status', 'scale', 'binding', 'finalize', 'log', 'exec', 'attach', 'portforward', 'token']);

function subresourcesOf(r: ResourceDef): Subresource[] {
  return r.subresources.filter((s) => servedSubresources.has(s) && SUBRESOURCE_INFO[s]);
}

function inGV(group: string, version: string): ResourceDef[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}

export function resourceList(group: string, version: string): unknown | undefined {
  const rs = inGV(group, version);
  if (!rs.length) return undefined;
  const resources: unknown[] = [];
  for (const r of rs) {
    const entry: Record<string, unknown> = { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs: verbsOf(r) };
    if (r.shortNames) entry.shortNames = r.shortNames;
    if (r.categories) entry.categories = r.categories;
    resources.push(entry);
    for (const s of subresourcesOf(r)) {
      const info = SUBRESOURCE_INFO[s]!;
      const k = info.kind(r);
      const sub: Record<string, unknown> = { name: `${r.plural}/${s}`, singularName: '', namespaced: r.namespaced, kind: k.kind, verbs: info.verbs };
      if (k.group !== r.group || k.version !== r.version) {
        sub.group = k.group;
        sub.version = k.version;
      }
      resources.push(sub);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

export function legacyApiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function legacyGroupList(): unknown {
  const groups = groupVersions()
    .filter((gv) => gv.group)
    .map((gv) => {
      const v = { groupVersion: `${gv.group}/${gv.version}`, version: gv.version };
      return { name: gv.group, versions: [v], preferredVersion: v };
    });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

export function legacyGroup(group: string): unknown | undefined {
  const gv = groupVersions().find((g) => g.group === group);
  if (!gv) return undefined;
  const v = { groupVersion: `${gv.group}/${gv.version}`, version: gv.version };
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [v], preferredVersion: v };
}

function aggregatedGroup(group: string): unknown {
  const versions = groupVersions()
    .filter((gv) => gv.group === group)
    .map((gv) => ({
      version: gv.version,
      freshness: 'Current',
      resources: inGV(group, gv.version).map((r) => {
        const entry: Record<string, unknown> = {
          resource: r.plural,
          singularResource: r.singular,
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          responseKind: { group: r.group, version: r.version, kind: r.kind },
          verbs: verbsOf(r),
        };
        if (r.shortNames) entry.shortNames = r.shortNames;
        if (r.categories) entry.categories = r.categories;
        const subs = subresourcesOf(r);
        if (subs.length) {
          entry.subresources = subs.map((s) => ({ subresource: s, responseKind: SUBRESOURCE_INFO[s]!.kind(r), verbs: SUBRESOURCE_INFO[s]!.verbs }));
        }
        return entry;
      }),
    }));
  return { metadata: { name: group }, versions };
}

/** /api (core only) or /apis (named groups) as an APIGroupDiscoveryList. */
export function aggregatedDiscovery(core: boolean): unknown {
  const groups = [...new Set(groupVersions().map((gv) => gv.group))].filter((g) => (core ? g === '' : g !== ''));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: groups.map(aggregatedGroup) };
}

/** True when the Accept header asks for aggregated discovery v2 (kubectl 1.27 asks only for v2beta1). */
export function wantsAggregated(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => /as=APIGroupDiscoveryList/.test(part) && /(^|;)\s*v=v2\s*(;|$)/.test(part) && /g=apidiscovery\.k8s\.io/.test(part));
}

export { apiVersionOf };
