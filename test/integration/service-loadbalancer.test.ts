// LoadBalancer Services on the desktop (issue 9 items 4 and 8): the control plane answers each on
// the host's loopback, 127.0.0.1:<port>, and carries every connection to the Service's NodePort
// through a node's kubelet (its port published on the host, as for exec), never through a
// container address, so it works where the host cannot reach those (Docker Desktop on macOS and
// Windows). Real Docker nodes, real kubectl; this process only ever connects to 127.0.0.1.
// Service ports are picked at random in 30000-32767 (below Linux's ephemeral range, no privilege
// needed) so that they collide with nothing else on the machine.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Event, Node, Service } from '../../src-main/api/types.js';
import { openKubeletTunnel, TunnelRefused } from '../../src-main/servicelb/kubeletTunnel.js';
import { removeDockerCluster, startDockerCluster, uniqueClusterName, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { startTestCluster } from '../helpers/controlPlane.js';
import { docker } from '../helpers/dockerEngine.js';
import { rawRequest } from '../helpers/rawHttp.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('lb');
let c: DockerTestCluster;
/** Data folders of the control planes this file started (the restart keeps the first one's). */
const dirs: string[] = [];
let nodeNames: string[] = [];

/** Answers with the pod's name; POST /echo streams the request body back. */
const SERVER = `
const name = process.env.POD_NAME;
require('http').createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/echo') { res.writeHead(200, { 'Content-Type': 'application/octet-stream' }); req.pipe(res); return; }
  res.end(name);
}).listen(8080);
`;

const base = 30000 + crypto.randomInt(0, 2700 - 20);
let nextPort = base;
const freshPort = () => nextPort++;

function lbService(name: string, port: number, extra: Record<string, unknown> = {}): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port, targetPort: 8080 }], ...extra },
  } as unknown as Service;
}

async function apply(obj: unknown): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(obj) });
}

async function getService(name: string): Promise<Service | undefined> {
  const r = await c.request('GET', `/api/v1/namespaces/default/services/${name}`);
  return r.status === 200 ? (r.json as Service) : undefined;
}

async function events(name: string): Promise<Event[]> {
  const r = await c.request('GET', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name},involvedObject.kind=Service`)}`);
  return (r.json as { items: Event[] }).items;
}

/** One request on a new connection to 127.0.0.1:port; the body, or the error code. */
function get(port: number, urlPath = '/'): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 10_000 }, (res) => {
      let b = '';
      res.on('data', (d) => (b += d));
      res.on('end', () => resolve(b));
      res.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    req.on('timeout', () => {
      req.destroy();
      resolve('TIMEOUT');
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** Whether this process could listen on 127.0.0.1:port right now (then it lets go again). */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
  });
}

const ingressOf = (svc: Service | undefined) => svc?.status?.loadBalancer?.ingress ?? [];

async function waitIngress(name: string): Promise<Service> {
  return until(`status.loadBalancer.ingress of ${name}`, async () => {
    const svc = await getService(name);
    return ingressOf(svc).length ? svc : undefined;
  }, 30_000);
}

async function readyEndpoints(svc: string): Promise<number> {
  const slices = (await c.request('GET', `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io/service-name=${svc}`)).json as { items: { endpoints?: { conditions?: { ready?: boolean } }[] }[] };
  return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready).length;
}

/** Tunnels the control plane's load balancer opened and saw refused, per node. */
const tunnels = () => c.cp.serviceLoadBalancer!.controller.tunnelCounts();
const delta = (after: Record<string, number>, before: Record<string, number>, node: string) => (after[node] ?? 0) - (before[node] ?? 0);

async function nodeReady(name: string): Promise<boolean> {
  const n = (await c.request('GET', `/api/v1/nodes/${name}`)).json as Node;
  return !!n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
}

beforeAll(async () => {
  c = await startDockerCluster(CLUSTER, { nodes: 2 });
  dirs.push(c.dir);
  nodeNames = ((await c.request('GET', '/api/v1/nodes')).json as { items: Node[] }).items.map((n) => n.metadata.name!).sort();
  // Pods on both nodes: every answer names the pod, so the test sees each node's pods answer.
  for (const [i, node] of [nodeNames[0], nodeNames[1], nodeNames[0]].entries()) {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `web-${i + 1}`, namespace: 'default', labels: { app: 'web' } },
      spec: {
        nodeName: node,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: 'flotilla/hello:1.0', imagePullPolicy: 'Never', command: ['node', '-e', SERVER], env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }],
      },
    });
  }
  await c.kubectlOK(['wait', '--for=condition=Ready', 'pod/web-1', 'pod/web-2', 'pod/web-3', '--timeout=90s'], { timeoutMs: 95_000 });
}, 240_000);

afterAll(async () => {
  await removeDockerCluster(c, CLUSTER);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}, 120_000);

describe('LoadBalancer Services on 127.0.0.1', () => {
  const port = freshPort();

  it('answers on 127.0.0.1:<port>, spreading connections over the pods of every node', async () => {
    await apply(lbService('web-lb', port));
    await until('3 ready endpoints', async () => (await readyEndpoints('web-lb')) === 3, 30_000);
    await waitIngress('web-lb');
    const before = tunnels().opened;
    // 60 new connections reach all three pods with overwhelming probability (a miss: 3 * (2/3)^60).
    const seen = await until('answers from every pod', async () => {
      const got = await Promise.all(Array.from({ length: 60 }, () => get(port)));
      return new Set(got).size === 3 && got.every((g) => /^web-[123]$/.test(g)) ? got : undefined;
    }, 30_000);
    expect(new Set(seen)).toEqual(new Set(['web-1', 'web-2', 'web-3']));
    // ...entering the cluster through both nodes' kubelets, in turn.
    const after = tunnels().opened;
    for (const n of nodeNames) expect(delta(after, before, n), n).toBeGreaterThanOrEqual(20);
  });

  it('publishes 127.0.0.1 in status.loadBalancer.ingress, in the EXTERNAL-IP column, with kube service controller events', async () => {
    const svc = await getService('web-lb');
    expect(ingressOf(svc)).toEqual([{ ip: '127.0.0.1', ipMode: 'Proxy' }]);
    const nodePort = svc!.spec.ports![0]!.nodePort;
    const out = await c.kubectlOK(['get', 'svc', 'web-lb']);
    const [header, row] = out.trim().split('\n');
    expect(header!.split(/\s+/)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    const cols = row!.split(/\s+/);
    expect(cols.slice(0, 5)).toEqual(['web-lb', 'LoadBalancer', svc!.spec.clusterIP, '127.0.0.1', `${port}:${nodePort}/TCP`]);
    const ev = await events('web-lb');
    const byReason = (r: string) => ev.find((e) => e.reason === r);
    expect(byReason('EnsuringLoadBalancer')).toMatchObject({ type: 'Normal', message: 'Ensuring load balancer', source: { component: 'service-controller' } });
    expect(byReason('EnsuredLoadBalancer')).toMatchObject({ type: 'Normal', message: 'Ensured load balancer' });
  });

  it('carries a large body both ways (8 MiB up, streamed back while still uploading)', async () => {
    const body = crypto.randomBytes(8 << 20);
    const back = await new Promise<Buffer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: '/echo', method: 'POST', agent: false, headers: { 'Content-Length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
    expect(back.length).toBe(body.length);
    expect(crypto.createHash('sha256').update(back).digest('hex')).toBe(crypto.createHash('sha256').update(body).digest('hex'));
  });

  it('leaves the status empty with a Warning event naming the port when the port is taken, and takes it once freed', async () => {
    const taken = freshPort();
    const squatter = net.createServer((s) => s.end('squatter\n'));
    await new Promise<void>((resolve) => squatter.listen({ port: taken, host: '127.0.0.1', exclusive: true }, () => resolve()));
    try {
      await apply(lbService('web-taken', taken));
      const warning = await until('a SyncLoadBalancerFailed event', async () => (await events('web-taken')).find((e) => e.reason === 'SyncLoadBalancerFailed'), 30_000);
      expect(warning.type).toBe('Warning');
      expect(warning.message).toContain(`Error syncing load balancer: failed to ensure load balancer: port 127.0.0.1:${taken} is already in use on this computer`);
      expect(warning.message).toMatch(/give the Service another port/);
      expect(ingressOf(await getService('web-taken'))).toEqual([]);
      expect((await c.kubectlOK(['get', 'svc', 'web-taken'])).split('\n')[1]!.split(/\s+/)[3]).toBe('<pending>');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    // Retried with back-off: the freed port is taken and answers.
    await until('the freed port published', async () => ingressOf(await getService('web-taken')).length > 0, 60_000);
    await until('answers on the freed port', async () => /^web-[123]$/.test(await get(taken)), 30_000);
  });

  it('refuses a port another LoadBalancer Service holds, naming that Service', async () => {
    await apply(lbService('web-twin', port));
    const warning = await until('a SyncLoadBalancerFailed event', async () => (await events('web-twin')).find((e) => e.reason === 'SyncLoadBalancerFailed'), 30_000);
    expect(warning.message).toContain(`port 127.0.0.1:${port} is already used by the LoadBalancer Service default/web-lb`);
    expect(ingressOf(await getService('web-twin'))).toEqual([]);
    await c.kubectlOK(['delete', 'svc', 'web-twin']);
  });

  it('closes the listener when the type changes to ClusterIP, and clears the status', async () => {
    const p = freshPort();
    await apply(lbService('web-retype', p));
    await waitIngress('web-retype');
    // kube-proxy programs the new node port within a second of the Service: until then, resets.
    await until('answers on the port', async () => /^web-[123]$/.test(await get(p)), 30_000);
    await c.kubectlOK(['patch', 'svc', 'web-retype', '-p', JSON.stringify({ spec: { type: 'ClusterIP' } })]);
    await until('the port refused', async () => (await get(p)) === 'ECONNREFUSED', 30_000);
    await until('the ingress cleared', async () => ingressOf(await getService('web-retype')).length === 0, 30_000);
    const reasons = (await events('web-retype')).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(['DeletingLoadBalancer', 'DeletedLoadBalancer']));
    expect(await canListen(p)).toBe(true);
  });

  it('frees the port when the Service is deleted', async () => {
    const p = freshPort();
    await apply(lbService('web-gone', p));
    await waitIngress('web-gone');
    expect(await canListen(p)).toBe(false);
    await c.kubectlOK(['delete', 'svc', 'web-gone']);
    await until('the port free again', () => canListen(p), 30_000);
  });

  it('leaves a Service of another loadBalancerClass alone', async () => {
    const p = freshPort();
    await apply(lbService('web-other-class', p, { loadBalancerClass: 'example.com/other' }));
    // Another Service applied after it is ensured: by then this one was seen too.
    const q = freshPort();
    await apply(lbService('web-after-class', q));
    await waitIngress('web-after-class');
    expect(ingressOf(await getService('web-other-class'))).toEqual([]);
    expect(await canListen(p)).toBe(true);
    expect((await events('web-other-class')).map((e) => e.reason)).toEqual([]);
  });

  it('sends the connections of an externalTrafficPolicy Local Service only through nodes with a ready endpoint', async () => {
    await c.kubectlOK(['label', 'pod', 'web-2', 'only=yes']);
    const p = freshPort();
    await apply(lbService('web-local', p, { externalTrafficPolicy: 'Local', selector: { only: 'yes' } }));
    await until('1 ready endpoint', async () => (await readyEndpoints('web-local')) === 1, 30_000);
    await waitIngress('web-local');
    await until('answers on the port', async () => (await get(p)) === 'web-2', 30_000);
    const before = tunnels();
    const got = await Promise.all(Array.from({ length: 20 }, () => get(p)));
    expect(got).toEqual(Array(20).fill('web-2'));
    const after = tunnels();
    // web-2 runs on the second node: kube-proxy drops the node port on the first.
    expect(delta(after.opened, before.opened, nodeNames[1]!)).toBe(20);
    expect(delta(after.opened, before.opened, nodeNames[0]!)).toBe(0);
    expect(delta(after.failed, before.failed, nodeNames[0]!)).toBe(0);
  });

  it('skips a node whose kubelet does not answer', async () => {
    const [container] = await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${CLUSTER}`, `flotilla.dev/node=${nodeNames[1]}`, 'flotilla.dev/role=node'] } });
    await docker.getContainer(container!.Id).stop({ t: 1 });
    try {
      const before = tunnels();
      const got = await Promise.all(Array.from({ length: 20 }, () => get(port)));
      // The pods keep running while their node agent is down; kube-proxy on the first node still reaches them.
      expect(got.every((g) => /^web-[123]$/.test(g)), got.join(',')).toBe(true);
      const after = tunnels();
      expect(delta(after.opened, before.opened, nodeNames[0]!)).toBe(20);
      expect(delta(after.opened, before.opened, nodeNames[1]!)).toBe(0);
    } finally {
      await docker.getContainer(container!.Id).start();
    }
    await until('the node Ready again', () => nodeReady(nodeNames[1]!), 60_000);
    await c.kubectlOK(['wait', '--for=condition=Ready', 'pod/web-1', 'pod/web-2', 'pod/web-3', '--timeout=60s'], { timeoutMs: 65_000 });
  });

  it('listens again after a control plane restart', async () => {
    const dataDir = path.dirname(c.cp.kubeconfigPath!);
    const apiPort = c.cp.apiserver.port;
    await c.cp.stop();
    // Stopped: the port is free (the listeners went with the process's control plane).
    expect(await canListen(port)).toBe(true);
    const again = await startTestCluster({ dataDir, port: apiPort, scheduler: true, controllers: true, nodes: 2, clusterName: CLUSTER });
    dirs.push(again.dir);
    c = Object.assign(again, { clusterName: CLUSTER });
    await until('answers after the restart', async () => /^web-[123]$/.test(await get(port)), 60_000);
    expect(ingressOf(await getService('web-lb'))).toEqual([{ ip: '127.0.0.1', ipMode: 'Proxy' }]);
  });
});

describe("the kubelet's NodePort tunnel", () => {
  async function kubelet(): Promise<{ host: string; port: number; token: string }> {
    const node = (await c.request('GET', `/api/v1/nodes/${nodeNames[0]}`)).json as Node;
    const k = await c.cp.docker!.kubeletResolver(node);
    if (!k) throw new Error('no kubelet endpoint');
    return k;
  }

  const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as TunnelRefused);

  it('opens to a node port with the kubelet token and refuses a bad token, ports outside the NodePort range and garbage', async () => {
    const k = await kubelet();
    const nodePort = (await getService('web-lb'))!.spec.ports![0]!.nodePort!;
    const ok = await openKubeletTunnel(k, nodePort, 10_000);
    ok.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const answer = await new Promise<string>((resolve) => {
      let b = '';
      ok.on('data', (d: Buffer) => (b += d.toString()));
      ok.on('close', () => resolve(b));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nweb-[123]$/);

    expect(await refusal(openKubeletTunnel({ ...k, token: 'bogus' }, nodePort, 10_000))).toMatchObject({ code: 401 });
    for (const p of [22, 10250, 29999, 32768, 65535]) {
      const r = await refusal(openKubeletTunnel(k, p, 10_000));
      expect(r).toMatchObject({ code: 403 });
      expect(r!.message).toContain(`port ${p} is outside the NodePort range 30000-32767`);
    }
    const target = { host: k.host, port: k.port, tls: false };
    const auth = `Authorization: Bearer ${k.token}`;
    const cases: [string, number][] = [
      [`GET /tunnel/abc HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: flotilla-tunnel\r\n${auth}`, 400],
      [`GET /tunnel/99999999 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: flotilla-tunnel\r\n${auth}`, 400],
      [`GET /tunnel/-1 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: flotilla-tunnel\r\n${auth}`, 400],
      [`GET /tunnel/${nodePort} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${auth}`, 400],
      [`POST /tunnel/${nodePort} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: flotilla-tunnel\r\n${auth}`, 405],
      [`GET /tunnel/${nodePort} HTTP/1.1\r\n${auth}`, 400],
      [`GET /tunnel/${nodePort} HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: flotilla-tunnel`, 401],
      [`GET /tunnel/${nodePort}/x HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: flotilla-tunnel\r\n${auth}`, 404],
    ];
    for (const [head, code] of cases) {
      const r = await rawRequest(target, `${head}\r\nHost: x`);
      expect({ head: head.split('\r\n')[0], status: r.status }).toEqual({ head: head.split('\r\n')[0], status: code });
      expect(JSON.parse(r.body)).toMatchObject({ kind: 'Status', status: 'Failure', code });
    }
    // A node port nothing answers on (no Service has it): the dial is refused, and so is the tunnel.
    const services = ((await c.request('GET', '/api/v1/services')).json as { items: Service[] }).items;
    const usedNodePorts = new Set(services.flatMap((s) => (s.spec.ports ?? []).map((p) => p.nodePort)));
    const free = Array.from({ length: 2768 }, (_, i) => 30000 + i).find((p) => !usedNodePorts.has(p))!;
    expect(await refusal(openKubeletTunnel(k, free, 10_000))).toMatchObject({ code: 503 });
    // And the kubelet is still there.
    expect((await rawRequest(target, 'GET /healthz HTTP/1.1\r\nHost: x')).body).toBe('ok');
  });
});
