// kube-proxy on real Docker nodes: Services answer from inside real pods. Server pods are small
// Node.js programs (the hello image's node) that answer with their pod name over TCP (HTTP) and
// UDP; a client pod sends requests with `kubectl exec` and the test looks at who answered. What is
// expected is Kubernetes' behaviour (pkg/proxy/iptables): a ClusterIP spreads new connections over
// every ready endpoint, named and numeric targetPorts, several ports, TCP and UDP; ClientIP
// affinity sticks; a Service without endpoints refuses at once; a pod reaches itself through its
// own Service; an unready pod leaves rotation; a new pod's first packet already finds the rules;
// and the rules in a pod's namespace read as kube's chains.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod, Service } from '../../src-main/api/types.js';
import { execIn } from '../../src-main/cluster/exec.js';
import { removeDockerCluster, startDockerCluster, uniqueClusterName, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { docker } from '../helpers/dockerEngine.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('proxy');
let c: DockerTestCluster;

/** Answers every HTTP request and every UDP datagram with the pod's name; ready while /tmp/ready exists. */
const SERVER = `
const name = process.env.POD_NAME;
require('fs').writeFileSync('/tmp/ready', '');
require('http').createServer((req, res) => res.end(name)).listen(8080);
require('http').createServer((req, res) => res.end('alt ' + name)).listen(9090);
const u = require('dgram').createSocket('udp4');
u.on('message', (m, r) => u.send('udp ' + name, r.port, r.address));
u.bind(5353);
`;

/**
 * Run in the client pod: n requests, each on a new connection, to a URL (or UDP host:port);
 * prints a JSON array of the answers or error codes.
 */
const CLIENT = `
const [kind, target, n, timeout] = process.argv.slice(1);
const one = () => new Promise((resolve) => {
  if (kind === 'udp') {
    const [host, port] = target.split(':');
    const s = require('dgram').createSocket('udp4');
    const t = setTimeout(() => { s.close(); resolve('TIMEOUT'); }, Number(timeout));
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(m.toString()); });
    s.on('error', (e) => { clearTimeout(t); s.close(); resolve(e.code); });
    s.send('hi', Number(port), host);
    return;
  }
  const req = require('http').get(target, { agent: false, timeout: Number(timeout) }, (res) => {
    let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => resolve(b));
  });
  req.on('timeout', () => { req.destroy(); resolve('TIMEOUT'); });
  req.on('error', (e) => resolve(e.code || e.message));
});
(async () => { const out = []; for (let i = 0; i < Number(n); i++) out.push(await one()); console.log(JSON.stringify(out)); })();
`;

/**
 * Tolerate an unreachable or not-ready node for good, as DaemonSet pods do: the restart test
 * stops a node for longer than Flotilla's desktop-tuned eviction (a few seconds), and its pods
 * must still be there when it is back.
 */
const STAY = [
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
];

function serverPod(name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels },
    spec: {
      terminationGracePeriodSeconds: 1,
      tolerations: STAY,
      containers: [
        {
          name: 'app',
          image: 'flotilla/hello:1.0',
          imagePullPolicy: 'Never',
          command: ['node', '-e', SERVER],
          env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          ports: [
            { name: 'http', containerPort: 8080 },
            { name: 'alt', containerPort: 9090 },
            { name: 'dns', containerPort: 5353, protocol: 'UDP' },
          ],
          // A generous timeout: on a loaded machine starting node for an exec probe can take over a
          // second, and a timed-out probe would make the pod flap out of its Services.
          readinessProbe: { exec: { command: ['node', '-e', "require('fs').statSync('/tmp/ready')"] }, periodSeconds: 1, failureThreshold: 1, timeoutSeconds: 10 },
        },
      ],
      ...extra,
    },
  } as unknown as Pod;
}

function service(name: string, selector: Record<string, string>, extra: Record<string, unknown> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: {
      selector,
      ports: [
        { name: 'web', port: 80, targetPort: 'http' },
        { name: 'alt', port: 81, targetPort: 9090 },
        { name: 'dns', port: 53, targetPort: 'dns', protocol: 'UDP' },
      ],
      ...extra,
    },
  } as unknown as Service;
}

async function apply(obj: unknown): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(obj) });
}

async function clusterIP(name: string): Promise<string> {
  return ((await c.request('GET', `/api/v1/namespaces/default/services/${name}`)).json as Service).spec.clusterIP!;
}

/** n requests from the client pod. */
async function fromClient(kind: 'http' | 'udp', target: string, n: number, timeoutMs = 3000, pod = 'client'): Promise<string[]> {
  const out = await c.kubectlOK(['exec', pod, '--', 'node', '-e', CLIENT, kind, target, String(n), String(timeoutMs)], { timeoutMs: 60_000 });
  return JSON.parse(out.trim().split('\n').pop()!) as string[];
}

/** `iptables-save` of a pod's network namespace, run in its node container as kube-proxy enters it. */
async function podRules(pod: string): Promise<string> {
  const sandboxes = await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${CLUSTER}`, `flotilla.dev/pod=${pod}`, 'flotilla.dev/container-kind=sandbox'] } });
  expect(sandboxes).toHaveLength(1);
  const node = sandboxes[0]!.Labels['flotilla.dev/node']!;
  const nodeContainer = (await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${CLUSTER}`, `flotilla.dev/node=${node}`, 'flotilla.dev/role=node'] } }))[0]!;
  const pid = (await docker.getContainer(sandboxes[0]!.Id).inspect()).State.Pid;
  return (await execIn(docker, nodeContainer.Id, ['nsenter', `--net=/host/proc/${pid}/ns/net`, 'iptables-save'])).stdout;
}

/** One HTTP GET from this process (the host) on a new connection; the body or the error code. */
function httpGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: 3000 }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('TIMEOUT');
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

async function readyEndpoints(svc: string): Promise<number> {
  const slices = (await c.request('GET', `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=${svc}`)).json as { items: { endpoints?: { conditions?: { ready?: boolean } }[] }[] };
  return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length;
}

async function waitReady(names: string[]): Promise<void> {
  await c.kubectlOK(['wait', '--for=condition=Ready', ...names.map((n) => `pod/${n}`), '--timeout=60s'], { timeoutMs: 65_000 });
}

beforeAll(async () => {
  c = await startDockerCluster(CLUSTER, { nodes: 2 });
  for (const i of [1, 2, 3]) await apply(serverPod(`web-${i}`, { app: 'web' }));
  await apply({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'client', namespace: 'default', labels: { app: 'client' } },
    spec: { terminationGracePeriodSeconds: 1, tolerations: STAY, containers: [{ name: 'app', image: 'flotilla/hello:1.0', imagePullPolicy: 'Never', command: ['node', '-e', "require('http').createServer((q, s) => s.end('client')).listen(8080)"] }] },
  });
  await apply(service('web', { app: 'web' }));
  await waitReady(['web-1', 'web-2', 'web-3', 'client']);
  await until('3 ready endpoints for web', async () => (await readyEndpoints('web')) === 3, 30_000);
}, 180_000);

afterAll(async () => removeDockerCluster(c, CLUSTER), 120_000);

describe('kube-proxy (iptables) on Docker nodes', { timeout: 180_000 }, () => {
  it('spreads ClusterIP connections over every ready endpoint, on named and numeric targetPorts, TCP and UDP', async () => {
    const ip = await clusterIP('web');
    // New connections pick an endpoint at random: 60 requests reach all three pods with
    // overwhelming probability (a miss has probability 3 * (2/3)^60, about 1e-10).
    const web = await until('60 answers from every web pod', async () => {
      const got = await fromClient('http', `http://${ip}:80/`, 60);
      return new Set(got).size === 3 ? got : undefined;
    }, 30_000);
    expect(new Set(web)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
    const alt = await fromClient('http', `http://${ip}:81/`, 30);
    expect(alt.every((a) => /^alt web-[123]$/.test(a))).toBe(true);
    const udp = await fromClient('udp', `${ip}:53`, 30);
    expect(udp.every((a) => /^udp web-[123]$/.test(a))).toBe(true);
    expect(new Set(udp).size).toBeGreaterThan(1);
  });

  it('refuses a connection to a Service without endpoints at once (no timeout)', async () => {
    await apply(service('nobody', { app: 'nobody' }));
    const ip = await clusterIP('nobody');
    await until('the empty Service refused', async () => (await fromClient('http', `http://${ip}:80/`, 1, 20_000))[0] === 'ECONNREFUSED', 30_000);
    // Every attempt is refused, none waits for its 20 s timeout.
    expect(await fromClient('http', `http://${ip}:80/`, 5, 20_000)).toEqual(Array(5).fill('ECONNREFUSED'));
  });

  it('keeps a client on one endpoint with sessionAffinity ClientIP', async () => {
    await apply(service('sticky', { app: 'web' }, { sessionAffinity: 'ClientIP' }));
    await until('3 ready endpoints for sticky', async () => (await readyEndpoints('sticky')) === 3, 30_000);
    const ip = await clusterIP('sticky');
    const got = await until('answers through the sticky Service', async () => {
      const r = await fromClient('http', `http://${ip}:80/`, 20);
      return r.every((a) => a.startsWith('web-')) ? r : undefined;
    }, 30_000);
    expect(new Set(got).size).toBe(1);
  });

  it('lets a pod reach itself through its own Service', async () => {
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'self', namespace: 'default' }, spec: { selector: { app: 'client' }, ports: [{ port: 80, targetPort: 8080 }] } });
    const ip = await clusterIP('self');
    const got = await until('the client answered itself', async () => {
      const r = await fromClient('http', `http://${ip}:80/`, 3);
      return r.every((a) => a === 'client') ? r : undefined;
    }, 30_000);
    expect(got).toEqual(['client', 'client', 'client']);
  });

  it('takes a pod out of rotation when it turns unready, and back when ready again', async () => {
    const ip = await clusterIP('web');
    await c.kubectlOK(['exec', 'web-2', '--', 'node', '-e', "require('fs').unlinkSync('/tmp/ready')"]);
    await until('web-2 out of the endpoints', async () => (await readyEndpoints('web')) === 2, 30_000);
    await until('no answer from web-2', async () => !(await fromClient('http', `http://${ip}:80/`, 40)).includes('web-2'), 10_000);
    const after = await fromClient('http', `http://${ip}:80/`, 40);
    expect(after.every((a) => a === 'web-1' || a === 'web-3')).toBe(true);
    await c.kubectlOK(['exec', 'web-2', '--', 'node', '-e', "require('fs').writeFileSync('/tmp/ready', '')"]);
    await until('web-2 back in rotation', async () => (await fromClient('http', `http://${ip}:80/`, 40)).includes('web-2'), 30_000);
  });

  it("programs a new pod's namespace before its container starts: the first packet finds the Service", async () => {
    const ip = await clusterIP('web');
    // Exits 0 only if its very first request, sent as the container starts, is answered.
    const first = `require('http').get('http://${ip}:80/', { agent: false, timeout: 5000 }, (r) => { let b=''; r.on('data', d => b += d); r.on('end', () => { console.log('first answer: ' + b); process.exit(b.startsWith('web-') ? 0 : 1); }); }).on('error', (e) => { console.log('first error: ' + e.code); process.exit(1); });`;
    for (const i of [1, 2, 3]) {
      await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `early-${i}`, namespace: 'default' }, spec: { restartPolicy: 'Never', containers: [{ name: 'app', image: 'flotilla/hello:1.0', imagePullPolicy: 'Never', command: ['node', '-e', first] }] } });
    }
    const phases = await until('the early pods finished', async () => {
      const got = await Promise.all([1, 2, 3].map(async (i) => ((await c.request('GET', `/api/v1/namespaces/default/pods/early-${i}`)).json as Pod).status?.phase));
      return got.every((p) => p === 'Succeeded' || p === 'Failed') ? got : undefined;
    }, 60_000);
    expect(phases).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
  });

  it("writes kube's chain shape into the pod's namespace", async () => {
    await apply(service('shape-empty', { app: 'none' }));
    // Once the empty Service is in and web has its three endpoints (readiness may flap under load).
    const save = await until('the empty Service and three web endpoints in the rules', async () => {
      const out = await podRules('client');
      return out.includes('shape-empty') && out.split('\n').filter((l) => l.includes('"default/web:web -> ')).length === 3 ? out : undefined;
    }, 30_000);
    const ip = await clusterIP('web');
    expect(save).toContain('-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
    expect(save).toMatch(new RegExp(`-A KUBE-SERVICES -d ${ip.replace(/\./g, '\\.')}/32 -p tcp -m comment --comment "default/web:web cluster IP" -m tcp --dport 80 -j KUBE-SVC-[A-Z2-7]{16}`));
    const spread = save.split('\n').filter((l) => l.includes('"default/web:web -> '));
    expect(spread.map((l) => /--probability (0\.\d{4})/.exec(l)?.[1] ?? 'last')).toEqual(['0.3333', '0.5000', 'last']);
    expect(save).toContain('-A KUBE-SERVICES -d ');
    expect(save).toMatch(/-m comment --comment "default\/shape-empty:web has no endpoints" -m tcp --dport 80 -j REJECT/);
    expect(save).toMatch(/-j REJECT/);
  });

  it('answers a NodePort on every node, from the host and from a pod, for pods on any node', async () => {
    await apply(service('web-np', { app: 'web' }, { type: 'NodePort' }));
    await until('3 ready endpoints for web-np', async () => (await readyEndpoints('web-np')) === 3, 30_000);
    const svc = ((await c.request('GET', '/api/v1/namespaces/default/services/web-np')).json as Service).spec;
    const nodePort = svc.ports!.find((p) => p.name === 'web')!.nodePort!;
    const nodes = (await c.request('GET', '/api/v1/nodes')).json as { items: { status: { addresses: { type: string; address: string }[] } }[] };
    const ips = nodes.items.map((n) => n.status.addresses.find((a) => a.type === 'InternalIP')!.address);
    expect(ips).toHaveLength(2);
    for (const ip of ips) {
      // From the host (the project's own container addresses), several connections: every pod is
      // reached through every node, wherever it runs.
      const seen = await until(`NodePort ${ip}:${nodePort} from the host reaches every pod`, async () => {
        const got = await Promise.all(Array.from({ length: 30 }, () => httpGet(`http://${ip}:${nodePort}/`)));
        return new Set(got).size === 3 ? got : undefined;
      }, 30_000);
      expect(new Set(seen)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
      const fromPod = await fromClient('http', `http://${ip}:${nodePort}/`, 5);
      expect(fromPod.every((a) => /^web-[123]$/.test(a))).toBe(true);
    }
  });

  it('keeps internalTrafficPolicy Local traffic on the node: local endpoints only, dropped where there is none', async () => {
    const pods = ((await c.request('GET', '/api/v1/namespaces/default/pods')).json as { items: Pod[] }).items;
    const clientNode = pods.find((p) => p.metadata.name === 'client')!.spec.nodeName!;
    const nodes = ((await c.request('GET', '/api/v1/nodes')).json as { items: { metadata: { name: string } }[] }).items.map((n) => n.metadata.name);
    const otherNode = nodes.find((n) => n !== clientNode)!;
    // One server on the client's node, one elsewhere.
    await apply(serverPod('local-here', { app: 'local' }, { nodeName: clientNode }));
    await apply(serverPod('local-there', { app: 'local' }, { nodeName: otherNode }));
    await apply(serverPod('remote-only', { app: 'remote' }, { nodeName: otherNode }));
    await apply(service('local', { app: 'local' }, { internalTrafficPolicy: 'Local' }));
    await apply(service('remote', { app: 'remote' }, { internalTrafficPolicy: 'Local' }));
    await waitReady(['local-here', 'local-there', 'remote-only']);
    await until('endpoints of the Local services', async () => (await readyEndpoints('local')) === 2 && (await readyEndpoints('remote')) === 1, 30_000);
    const local = await until('answers from the local endpoint only', async () => {
      const r = await fromClient('http', `http://${await clusterIP('local')}:80/`, 20);
      return r.every((a) => a === 'local-here') ? r : undefined;
    }, 30_000);
    expect(local).toHaveLength(20);
    // No endpoint on this node: kube DROPs (the connection times out) rather than REJECTs.
    const remote = await until('the remote-only Local Service dropped', async () => {
      const r = await fromClient('http', `http://${await clusterIP('remote')}:80/`, 2, 1500);
      return r.every((a) => a === 'TIMEOUT') ? r : undefined;
    }, 30_000);
    expect(remote).toEqual(['TIMEOUT', 'TIMEOUT']);
  });

  it('keeps a terminating pod serving its Service while it is the only one left', async () => {
    // A pod that keeps serving for a while after SIGTERM, as apps that drain do.
    const drain = `${SERVER}; process.on('SIGTERM', () => setTimeout(() => process.exit(0), 20000));`;
    await apply({ ...serverPod('drain-1', { app: 'drain' }), spec: { ...serverPod('drain-1', {}).spec, terminationGracePeriodSeconds: 30, containers: [{ ...serverPod('drain-1', {}).spec.containers[0]!, command: ['node', '-e', drain] }] } });
    await apply(service('drain', { app: 'drain' }));
    await waitReady(['drain-1']);
    const ip = await clusterIP('drain');
    await until('drain-1 answers', async () => (await fromClient('http', `http://${ip}:80/`, 1))[0] === 'drain-1', 30_000);
    await c.kubectlOK(['delete', 'pod', 'drain-1', '--wait=false']);
    await until('drain-1 is a serving, terminating endpoint', async () => {
      const slices = (await c.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=drain')).json as { items: { endpoints?: { conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean } }[] }[] };
      const e = slices.items.flatMap((s) => s.endpoints ?? [])[0];
      return e?.conditions?.terminating === true && e.conditions.serving === true && e.conditions.ready === false;
    }, 30_000);
    // kube-proxy falls back to serving terminating endpoints when no ready one is left.
    expect(await fromClient('http', `http://${ip}:80/`, 3)).toEqual(['drain-1', 'drain-1', 'drain-1']);
  });

  it('keeps the rules through a node restart and follows changes made while it was down', async () => {
    const pods = ((await c.request('GET', '/api/v1/namespaces/default/pods')).json as { items: Pod[] }).items;
    const otherNode = pods.find((p) => p.metadata.name === 'local-there')!.spec.nodeName!;
    const clientNode = pods.find((p) => p.metadata.name === 'client')!.spec.nodeName!;
    const nodeContainer = async (node: string) => (await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${CLUSTER}`, `flotilla.dev/node=${node}`, 'flotilla.dev/role=node'] } }))[0]!.Id;
    // Stop the client's node agent (kubelet and kube-proxy); the client pod keeps running. While it
    // is down, one Service appears and another goes.
    const id = await nodeContainer(clientNode);
    await docker.getContainer(id).stop({ t: 5 });
    await apply({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'while-down', namespace: 'default' }, spec: { selector: { app: 'local' }, ports: [{ port: 80, targetPort: 8080 }] } });
    await c.kubectlOK(['delete', 'service', 'sticky']);
    await docker.getContainer(id).start();
    const ip = await clusterIP('web');
    const web = await until('web answers again from the client', async () => {
      const r = await fromClient('http', `http://${ip}:80/`, 10).catch(() => []);
      return r.length && r.every((a) => /^web-[123]$/.test(a)) ? r : undefined;
    }, 60_000);
    expect(web).toHaveLength(10);
    const got = await until('the Service created while the node was down works', async () => {
      const r = await fromClient('http', `http://${await clusterIP('while-down')}:80/`, 20);
      return new Set(r).size === 2 && r.every((a) => a === 'local-here' || a === 'local-there') ? r : undefined;
    }, 60_000);
    expect(got).toHaveLength(20);
    // The deleted Service's chains are gone from the pod's namespace (found and deleted after the restart).
    const save = await until('the deleted Service gone from the rules', async () => {
      const out = await podRules('client');
      return out.includes('default/while-down') && !out.includes('default/sticky') ? out : undefined;
    }, 30_000);
    expect(save).not.toMatch(/default\/sticky/);
    expect(otherNode).not.toBe(clientNode);
  });

  it('moves a UDP flow to another endpoint when its endpoint goes (stale conntrack entries deleted)', async () => {
    await apply(serverPod('udp-1', { app: 'udp' }));
    await apply(serverPod('udp-2', { app: 'udp' }));
    await apply(service('udp', { app: 'udp' }));
    await waitReady(['udp-1', 'udp-2']);
    await until('2 ready endpoints for udp', async () => (await readyEndpoints('udp')) === 2, 30_000);
    const ip = await clusterIP('udp');
    // One UDP "flow": always the same source port, a datagram every 100 ms; each answer logged.
    const sender = `const s = require('dgram').createSocket('udp4'); s.bind(40000, () => setInterval(() => s.send('hi', 53, '${ip}'), 100)); s.on('message', (m) => console.log(Date.now() + ' ' + m));`;
    await apply({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'udp-sender', namespace: 'default' }, spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: 'flotilla/hello:1.0', imagePullPolicy: 'Never', command: ['node', '-e', sender] }] } });
    await waitReady(['udp-sender']);
    const answers = async () => (await c.kubectlOK(['logs', 'udp-sender'])).trim().split('\n').filter(Boolean).map((l) => ({ at: Number(l.split(' ')[0]), from: l.split(' ').pop()! }));
    const first = await until('the flow answered', async () => (await answers()).at(-1)?.from, 30_000);
    const other = first === 'udp-1' ? 'udp-2' : 'udp-1';
    // The flow sticks to one endpoint (one conntrack entry).
    expect(new Set((await answers()).map((a) => a.from))).toEqual(new Set([first]));
    const deletedAt = Date.now();
    await c.kubectlOK(['delete', 'pod', first!, '--wait=true']);
    // Without the clean-up the kernel would keep translating to the gone pod until the entry
    // times out (120 s for an assured UDP flow): the switch within this wait is the clean-up.
    await until(`the flow answered by ${other}`, async () => (await answers()).some((a) => a.at > deletedAt && a.from === other), 20_000);
  });
});
