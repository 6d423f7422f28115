// The cluster DNS add-on on real Docker nodes: `flotilla up` deploys it as kubeadm deploys CoreDNS
// (Deployment coredns, Service kube-dns at the tenth service address), the kubelet points pods'
// resolv.conf at it with kube's search path, and a pod's own resolver (Node.js's dns module, which
// reads resolv.conf as libc does) finds Services by short and full names, headless Services'
// pods, SRV records of named ports and pod A records; a missing name is NXDOMAIN. Nothing here
// resolves a name outside the cluster (the network rule).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, Service } from '../../src-main/api/types.js';
import { removeDockerCluster, startDockerCluster, uniqueClusterName, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('dns');
let c: DockerTestCluster;

/** Run in a pod: each argument is "kind:name"; prints one JSON object of answers (or error codes). */
const RESOLVE = `
const dns = require('dns');
const q = (kind, name) => new Promise((resolve) => {
  const done = (e, a) => resolve(e ? e.code : a);
  if (kind === 'lookup') dns.lookup(name, { all: true }, (e, a) => done(e, a && a.map((x) => x.address).sort()));
  else if (kind === 'srv') dns.resolveSrv(name, (e, a) => done(e, a && a.map((x) => x.name + ':' + x.port).sort()));
  else if (kind === 'ptr') dns.reverse(name, done);
  else dns.resolve4(name, (e, a) => done(e, a && a.sort()));
});
(async () => {
  const out = {};
  for (const arg of process.argv.slice(1)) { const i = arg.indexOf(':'); out[arg] = await q(arg.slice(0, i), arg.slice(i + 1)); }
  console.log(JSON.stringify(out));
})();
`;

async function apply(obj: unknown): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(obj) });
}

async function resolveIn(pod: string, ...queries: string[]): Promise<Record<string, unknown>> {
  const out = await c.kubectlOK(['exec', pod, '--', 'node', '-e', RESOLVE, ...queries], { timeoutMs: 60_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

const server = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels },
  spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'flotilla/hello:1.0', imagePullPolicy: 'Never', ports: [{ name: 'http', containerPort: 8080 }] }], ...extra },
});

beforeAll(async () => {
  c = await startDockerCluster(CLUSTER, { nodes: 1 });
  await apply(server('client', { app: 'client' }));
  await apply(server('db-0', { app: 'db' }, { hostname: 'db-0', subdomain: 'db' }));
  await apply(server('db-1', { app: 'db' }, { hostname: 'db-1', subdomain: 'db' }));
  await apply(server('custom-dns', { app: 'custom' }, { dnsPolicy: 'None', dnsConfig: { nameservers: ['10.96.0.10', '10.96.0.11'], searches: ['my.search'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }));
  await apply(server('node-dns', { app: 'custom' }, { dnsPolicy: 'Default' }));
  await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'client' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } });
  await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 8080 }] } });
  await c.kubectlOK(['wait', '--for=condition=Ready', 'pod/client', 'pod/db-0', 'pod/db-1', 'pod/custom-dns', 'pod/node-dns', '--timeout=60s'], { timeoutMs: 65_000 });
  await c.kubectlOK(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=60s'], { timeoutMs: 65_000 });
}, 180_000);

afterAll(async () => removeDockerCluster(c, CLUSTER), 120_000);

describe('cluster DNS', () => {
  it('is deployed as kubeadm deploys CoreDNS, at the tenth service address', async () => {
    const svc = (await c.request('GET', '/api/v1/namespaces/kube-system/services/kube-dns')).json as Service;
    expect(svc.spec.clusterIP).toBe('10.96.0.10');
    expect(svc.spec.selector).toEqual({ 'k8s-app': 'kube-dns' });
    expect(svc.spec.ports!.map((p) => `${p.name}/${p.protocol}/${p.port}`)).toEqual(['dns/UDP/53', 'dns-tcp/TCP/53']);
    const pods = (await c.request('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-dns')).json as { items: Pod[] };
    expect(pods.items).toHaveLength(2);
  });

  it("gives pods kube's resolv.conf: kube-dns as the nameserver, kube's search path and ndots", async () => {
    const conf = await c.kubectlOK(['exec', 'client', '--', 'cat', '/etc/resolv.conf']);
    expect(conf).toBe('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  });

  it('writes dnsConfig as given for dnsPolicy None, and leaves the node\'s resolver (Docker\'s) for Default', async () => {
    expect(await c.kubectlOK(['exec', 'custom-dns', '--', 'cat', '/etc/resolv.conf'])).toBe('search my.search\nnameserver 10.96.0.10\nnameserver 10.96.0.11\noptions ndots:2 edns0\n');
    expect(await c.kubectlOK(['exec', 'node-dns', '--', 'cat', '/etc/resolv.conf'])).toMatch(/^nameserver 127\.0\.0\.11$/m);
  });

  it('answers Services by short and full name, headless Services with their pods, SRV for named ports, pod records; NXDOMAIN otherwise', async () => {
    const web = ((await c.request('GET', '/api/v1/namespaces/default/services/web')).json as Service).spec.clusterIP!;
    const kubernetes = ((await c.request('GET', '/api/v1/namespaces/default/services/kubernetes')).json as Service).spec.clusterIP!;
    const pods = ((await c.request('GET', '/api/v1/namespaces/default/pods')).json as { items: Pod[] }).items;
    const ip = (name: string) => pods.find((p) => p.metadata.name === name)!.status!.podIP!;
    const got = await until('DNS answers from the client pod', async () => {
      const r = await resolveIn(
        'client',
        'lookup:web',
        'lookup:web.default',
        'a4:web.default.svc.cluster.local',
        'lookup:kubernetes.default',
        'a4:db.default.svc.cluster.local',
        'a4:db-0.db.default.svc.cluster.local',
        'srv:_pg._tcp.db.default.svc.cluster.local',
        `a4:${ip('client').replace(/\./g, '-')}.default.pod.cluster.local`,
        'a4:missing.default.svc.cluster.local',
      );
      return Array.isArray(r['a4:db.default.svc.cluster.local']) && (r['a4:db.default.svc.cluster.local'] as string[]).length === 2 ? r : undefined;
    }, 30_000);
    expect(got).toEqual({
      'lookup:web': [web],
      'lookup:web.default': [web],
      'a4:web.default.svc.cluster.local': [web],
      'lookup:kubernetes.default': [kubernetes],
      'a4:db.default.svc.cluster.local': [ip('db-0'), ip('db-1')].sort(),
      'a4:db-0.db.default.svc.cluster.local': [ip('db-0')],
      // Headless: the endpoints' own port (CoreDNS answers SRV from the EndpointSlice, not the Service).
      'srv:_pg._tcp.db.default.svc.cluster.local': ['db-0.db.default.svc.cluster.local:8080', 'db-1.db.default.svc.cluster.local:8080'],
      [`a4:${ip('client').replace(/\./g, '-')}.default.pod.cluster.local`]: [ip('client')],
      'a4:missing.default.svc.cluster.local': 'ENOTFOUND',
    });
  });

  it('follows changes: a deleted Service stops resolving', async () => {
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'brief', namespace: 'default' }, spec: { selector: { app: 'client' }, ports: [{ port: 80 }] } });
    await until('brief resolves', async () => Array.isArray((await resolveIn('client', 'a4:brief.default.svc.cluster.local'))['a4:brief.default.svc.cluster.local']), 30_000);
    await c.kubectlOK(['delete', 'service', 'brief']);
    await until('brief is NXDOMAIN', async () => (await resolveIn('client', 'a4:brief.default.svc.cluster.local'))['a4:brief.default.svc.cluster.local'] === 'ENOTFOUND', 30_000);
  });
});
