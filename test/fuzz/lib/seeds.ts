import { RESOURCES, apiVersionOf, type ResourceDef } from '../../../src-main/api/resources.js';

// Valid objects of every served kind, the starting points the fuzzer mutates. Each is accepted as
// is by a create (checked once before fuzzing), so a mutation is the only thing wrong with a case.

export const FUZZ_NS = 'fuzz';

type Body = Record<string, unknown>;

function spec(kind: string, name: string, ns: string): Body {
  const labels = { app: name, tier: 'fuzz' };
  const podSpec = { containers: [{ name: 'c', image: 'flotilla/hello:1.0', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] };
  switch (kind) {
    case 'Namespace':
      return { metadata: { name, labels } };
    case 'Pod':
      return { metadata: { name, namespace: ns, labels, annotations: { note: 'fuzz' } }, spec: podSpec };
    case 'Service':
      return { metadata: { name, namespace: ns, labels }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } };
    case 'Endpoints':
      return { metadata: { name, namespace: ns }, subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }] };
    case 'ConfigMap':
      return { metadata: { name, namespace: ns, labels }, data: { key: 'value', 'file.txt': 'line 1\nline 2\n' } };
    case 'Secret':
      return { metadata: { name, namespace: ns }, type: 'Opaque', data: { password: Buffer.from('hunter2').toString('base64') }, stringData: { user: 'admin' } };
    case 'ServiceAccount':
      return { metadata: { name, namespace: ns, labels } };
    case 'Event':
      return {
        metadata: { name, namespace: ns },
        involvedObject: { kind: 'Pod', namespace: ns, name: 'fz-0', apiVersion: 'v1' },
        reason: 'Fuzzed',
        message: 'an event the fuzzer made',
        type: 'Normal',
        source: { component: 'fuzz' },
        count: 1,
        firstTimestamp: '2024-01-01T00:00:00Z',
        lastTimestamp: '2024-01-01T00:00:00Z',
      };
    case 'Node':
      return { metadata: { name, labels: { 'kubernetes.io/hostname': name } }, spec: { taints: [{ key: 'fuzz', value: 'yes', effect: 'NoSchedule' }] } };
    case 'Deployment':
    case 'ReplicaSet':
      return {
        metadata: { name, namespace: ns, labels },
        spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: podSpec }, ...(kind === 'Deployment' ? { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } } } : {}) },
      };
    case 'Ingress':
      return {
        metadata: { name, namespace: ns, annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' } },
        spec: { rules: [{ host: 'fuzz.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'fz-0', port: { number: 80 } } } }] } }] },
      };
    case 'IngressClass':
      return { metadata: { name }, spec: { controller: 'flotilla.dev/ingress' } };
    case 'EndpointSlice':
      return {
        metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': 'fz-0' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.1.2.3'], conditions: { ready: true }, nodeName: 'fz-node-0' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      };
    case 'Lease':
      return { metadata: { name, namespace: ns }, spec: { holderIdentity: 'fuzz', leaseDurationSeconds: 40, renewTime: '2024-01-01T00:00:00.000000Z' } };
    default:
      throw new Error(`no seed for ${kind}`);
  }
}

export interface Seed {
  resource: ResourceDef;
  body: Body;
}

/** The names the fuzzer's objects of a resource take (a few, so updates and deletes find them). */
export function seedNames(r: ResourceDef): string[] {
  const stem = r.kind === 'Namespace' ? 'fz-ns' : r.kind === 'Node' ? 'fz-node' : r.kind === 'IngressClass' ? 'fz-class' : 'fz';
  return [0, 1, 2].map((i) => `${stem}-${i}`);
}

export function seed(r: ResourceDef, name: string, ns = FUZZ_NS): Seed {
  const s = spec(r.kind, name, ns);
  return { resource: r, body: { apiVersion: apiVersionOf(r), kind: r.kind, ...s } };
}

/** Every served resource the fuzzer writes. */
export const FUZZ_RESOURCES: ResourceDef[] = RESOURCES;

/** /api/v1 or /apis/<group>/<version> */
export function prefixOf(r: ResourceDef): string {
  return r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
}

/** The collection path of a resource in the fuzz namespace (or cluster-scoped). */
export function collectionPath(r: ResourceDef, ns = FUZZ_NS): string {
  return r.namespaced ? `${prefixOf(r)}/namespaces/${ns}/${r.plural}` : `${prefixOf(r)}/${r.plural}`;
}
