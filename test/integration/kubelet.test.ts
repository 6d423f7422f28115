// The kubelet on the real Docker engine: the Kubelet class runs in this test process (with the
// Docker socket) against a real control plane, and runs pods as sibling containers on a Docker
// network this test creates (and removes). No registry is contacted: the only pull attempted goes
// to a registry address on loopback, which refuses. Traffic stays on loopback and on the test's
// own network.
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ContainerStatus, Node, Pod } from '../../src-main/api/types.js';
import { isNotFound, type ApiClient } from '../../src-main/client/apiClient.js';
import { Kubelet, type KubeletOptions } from '../../src-main/kubelet/kubelet.js';
import type { TestCluster } from '../helpers/controlPlane.js';
import { docker, dockerUp } from '../helpers/dockerEngine.js';
import { KubeletTestBed } from '../helpers/kubeletTestBed.js';
import { openWatch } from '../helpers/watchStream.js';
import { skipWithout } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';

const NODE = 'kubelet-node-1';
const SERVER_TOKEN = 'kubelet-test-server-token';
const bed = new KubeletTestBed('kubelet', 'kt', NODE);
const { run: RUN, cluster: CLUSTER, network: NETWORK } = bed;

let c: TestCluster;
/** The test's own writes (pods, configmaps...) use an admin-like client: a node's token may not make them. */
let admin: ApiClient;
let kubelet: Kubelet;
let tools: string;

// ---- helpers ----

function kubeletOptions(extra: Partial<KubeletOptions> = {}): KubeletOptions {
  return bed.kubeletOptions({
    leaseRenewIntervalMs: 500,
    backoffBaseMs: 1000,
    backoffMaxMs: 8000,
    resyncIntervalMs: 2000,
    housekeepingIntervalMs: 2000,
    volumeRefreshMs: 1000,
    server: { port: 0, host: '127.0.0.1', token: SERVER_TOKEN },
    ...extra,
  });
}

/** Docker's events for one container between two moments (seconds since the epoch), oldest first. */
async function dockerEvents(id: string, since: number, until: number): Promise<{ Action: string; timeNano: number }[]> {
  const stream = (await docker.getEvents({ since, until, filters: { container: [id] } })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { Action: string; timeNano: number })
    .sort((a, b) => a.timeNano - b.timeNano);
}

/** Counts the pod syncs of a Kubelet (its pod worker's passes), by pod uid. */
function countSyncs(k: Kubelet): Map<string, number> {
  const counts = new Map<string, number>();
  const worker = (k as unknown as { worker: { sync(rec: { uid: string }): Promise<unknown> } }).worker;
  const sync = worker.sync.bind(worker);
  worker.sync = async (rec) => {
    const out = await sync(rec);
    counts.set(rec.uid, (counts.get(rec.uid) ?? 0) + 1);
    return out;
  };
  return counts;
}

async function getPod(name: string, ns = 'default'): Promise<Pod | undefined> {
  try {
    return await admin.get<Pod>('pods', ns, name);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function createPod(name: string, spec: Partial<Pod['spec']>, ns = 'default', meta: Partial<Pod['metadata']> = {}): Promise<Pod> {
  return admin.create<Pod>('pods', ns, { metadata: { name, namespace: ns, ...meta }, spec: { nodeName: NODE, terminationGracePeriodSeconds: 2, ...spec } as Pod['spec'] });
}

function cs(p: Pod | undefined, name: string): ContainerStatus | undefined {
  return p?.status?.containerStatuses?.find((s) => s.name === name);
}

function condition(p: Pod | undefined, type: string): string | undefined {
  return p?.status?.conditions?.find((x) => x.type === type)?.status;
}

async function waitRunning(name: string, ns = 'default', ready = true): Promise<Pod> {
  return until(`pod ${ns}/${name} Running${ready ? ' and Ready' : ''}`, async () => {
    const p = await getPod(name, ns);
    return p?.status?.phase === 'Running' && (!ready || condition(p, 'Ready') === 'True') ? p : undefined;
  });
}

function dockerId(s: ContainerStatus | undefined): string {
  return (s?.containerID ?? '').replace('docker://', '');
}

async function execIn(id: string, cmd: string[]): Promise<string> {
  const ex = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await ex.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve) => {
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
  });
  // Strip the multiplexing headers.
  const buf = Buffer.concat(chunks);
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const n = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + n).toString('utf8');
    i += 8 + n;
  }
  return out;
}

async function podContainers(uid: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`flotilla.dev/pod-uid=${uid}`] } });
}

async function kubeletGet(p: string, token: string | null = SERVER_TOKEN): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${kubelet.serverPort}${p}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: res.status, text: await res.text() };
}

/** Runs a command through the kubelet's exec WebSocket (v5.channel.k8s.io) like kubectl exec. */
function wsExec(p: string, stdin?: string): Promise<{ stdout: string; stderr: string; status: { status: string; reason?: string; details?: { causes?: { reason?: string; message?: string }[] } } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${kubelet.serverPort}${p}`, ['v5.channel.k8s.io'], { headers: { Authorization: `Bearer ${SERVER_TOKEN}` } });
    let stdout = '';
    let stderr = '';
    let status: unknown;
    ws.on('open', () => {
      if (stdin !== undefined) {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
        ws.send(Buffer.from([255, 0]));
      }
    });
    ws.on('message', (d: Buffer) => {
      if (process.env.KT_DEBUG) console.log('ws', p, d[0], JSON.stringify(d.subarray(1).toString()));
      const ch = d[0];
      const body = d.subarray(1).toString('utf8');
      if (ch === 1) stdout += body;
      else if (ch === 2) stderr += body;
      else if (ch === 3) status = JSON.parse(body);
    });
    ws.on('close', () => resolve({ stdout, stderr, status: status as never }));
    ws.on('error', reject);
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

// ---- suite ----

describe.skipIf(skipWithout('a Docker engine', dockerUp))('kubelet on the real Docker engine', () => {
  beforeAll(async () => {
    await bed.setUp();
    ({ c, admin, tools } = bed);
    kubelet = new Kubelet(kubeletOptions());
    await kubelet.start();
  }, 120_000);

  afterAll(() => bed.tearDown(kubelet), 60_000);

  it('registers its Node with capacity, addresses and nodeInfo, and renews its Lease', async () => {
    const node = await admin.get<Node>('nodes', undefined, NODE);
    expect(node.status!.capacity).toMatchObject({ cpu: '2', memory: '4Gi', pods: '20' });
    expect(node.status!.allocatable).toMatchObject({ cpu: '2', memory: '4Gi', pods: '20' });
    expect(node.status!.nodeInfo!.containerRuntimeVersion).toMatch(/^docker:\/\/\d+\.\d+/);
    expect(node.status!.nodeInfo!.kubeletVersion).toMatch(/^v1\.32\./);
    expect(node.status!.addresses).toContainEqual({ type: 'Hostname', address: NODE });
    expect(node.status!.addresses!.find((a) => a.type === 'InternalIP')?.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(node.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(node.metadata.labels).toMatchObject({ 'kubernetes.io/hostname': NODE, 'kubernetes.io/os': 'linux' });
    const lease1 = await admin.get('leases.coordination.k8s.io', 'kube-node-lease', NODE);
    const renewed = await until('lease renewal', async () => {
      const l = await admin.get('leases.coordination.k8s.io', 'kube-node-lease', NODE);
      return l.spec.renewTime !== lease1.spec.renewTime ? l : undefined;
    });
    expect(renewed.spec.holderIdentity).toBe(NODE);
    const out = await c.kubectlOK(['get', 'node', NODE, '-o', 'wide']);
    expect(out).toMatch(new RegExp(`${NODE}\\s+Ready`));
  });

  it('runs a pod: sandbox + container on the network, pod IP, labels, hostname, status', async () => {
    const t0 = Date.now();
    const created = await createPod('web', { containers: [{ name: 'app', image: tools, command: ['/bin/sleep', 'infinity'] }] });
    const p = await waitRunning('web');
    const startupMs = Date.now() - t0;
    console.log(`kubelet: pod Running and Ready after ${startupMs} ms`);
    expect(p.status!.podIP).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(p.status!.podIPs).toEqual([{ ip: p.status!.podIP }]);
    expect(p.status!.hostIP).toBe(kubelet.hostIP);
    expect(p.status!.startTime).toBeTruthy();
    for (const t of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'PodReadyToStartContainers']) expect(condition(p, t)).toBe('True');
    const s = cs(p, 'app')!;
    expect(s).toMatchObject({ ready: true, started: true, restartCount: 0, image: tools });
    expect(s.containerID).toMatch(/^docker:\/\/[0-9a-f]{64}$/);
    expect(s.imageID).toMatch(/^docker:\/\/sha256:[0-9a-f]{64}$/);
    expect(s.state!.running!.startedAt).toBeTruthy();

    const list = await podContainers(created.metadata.uid!);
    expect(list).toHaveLength(2);
    for (const x of list) {
      expect(x.Labels).toMatchObject({
        'flotilla.dev/cluster': CLUSTER,
        'flotilla.dev/node': NODE,
        'flotilla.dev/role': 'pod',
        'flotilla.dev/namespace': 'default',
        'flotilla.dev/pod': 'web',
        'flotilla.dev/pod-uid': created.metadata.uid,
      });
      expect(x.Labels['flotilla.dev/container']).toBeTruthy();
    }
    const sandbox = list.find((x) => x.Labels['flotilla.dev/container'] === 'POD')!;
    const app = list.find((x) => x.Labels['flotilla.dev/container'] === 'app')!;
    expect(app.Id).toBe(dockerId(s));
    const sbInfo = await docker.getContainer(sandbox.Id).inspect();
    expect(sbInfo.NetworkSettings.Networks[NETWORK]!.IPAddress).toBe(p.status!.podIP);
    const appInfo = await docker.getContainer(app.Id).inspect();
    expect(appInfo.HostConfig.NetworkMode).toBe(`container:${sandbox.Id}`);
    expect((await execIn(app.Id, ['hostname'])).trim()).toBe('web');
    expect(await c.kubectlOK(['get', 'pod', 'web'])).toMatch(/web\s+1\/1\s+Running\s+0/);
  });

  it('builds env (values, configMap/secret/field refs, envFrom, service links, $(VAR)), volumes, init containers, resources', async () => {
    const b64 = (v: string) => Buffer.from(v).toString('base64');
    await admin.create('configmaps', 'default', { metadata: { name: 'app-config' }, data: { greeting: 'hello', 'app.conf': 'port=8080\n' } });
    await admin.create('secrets', 'default', { metadata: { name: 'app-secret' }, data: { password: b64('s3cret'), token: b64('tok') } });
    const svc = await admin.create('services', 'default', { metadata: { name: 'my-db' }, spec: { ports: [{ name: 'sql', port: 5432, targetPort: 5432 }], selector: { app: 'db' } } });
    const shared = { name: 'shared', mountPath: '/shared' };
    const created = await createPod('envpod', {
      initContainers: [
        { name: 'init-a', image: tools, command: ['/bin/sh', '-c', 'echo a >> /shared/order'], volumeMounts: [shared] },
        { name: 'init-b', image: tools, command: ['/bin/sh', '-c', 'echo b >> /shared/order'], volumeMounts: [shared] },
      ],
      containers: [
        {
          name: 'main',
          image: tools,
          command: ['/bin/sh', '-c'],
          args: ['echo "$(GREETING) from $(POD_NAME)" > /shared/args; exec sleep infinity'],
          workingDir: '/work',
          env: [
            { name: 'GREETING', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'greeting' } } },
            { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            { name: 'COMBINED', value: '$(GREETING)-$(POD_NS)-$$(ESCAPED)-$(MISSING)' },
            { name: 'MEM_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          ],
          envFrom: [{ configMapRef: { name: 'app-config' }, prefix: 'CFG_' }, { secretRef: { name: 'app-secret' } }],
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', memory: '64Mi' } },
          volumeMounts: [
            { name: 'config', mountPath: '/etc/config' },
            { name: 'secret', mountPath: '/etc/secret' },
            shared,
            { name: 'config', mountPath: '/etc/app/app.conf', subPath: 'app.conf' },
          ],
        },
        { name: 'side', image: tools, command: ['/bin/sleep', 'infinity'], volumeMounts: [{ name: 'shared', mountPath: '/data' }] },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'app-config' } },
        { name: 'secret', secret: { secretName: 'app-secret', items: [{ key: 'password', path: 'db/password', mode: 0o400 }] } },
        { name: 'shared', emptyDir: {} },
      ],
    });
    const p = await waitRunning('envpod');
    const main = dockerId(cs(p, 'main'));
    const env = Object.fromEntries(
      (await execIn(main, ['env']))
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      GREETING: 'hello',
      PASSWORD: 's3cret',
      POD_NAME: 'envpod',
      POD_NS: 'default',
      POD_IP: p.status!.podIP,
      NODE,
      COMBINED: 'hello-default-$(ESCAPED)-$(MISSING)',
      MEM_LIMIT: '128',
      CFG_greeting: 'hello',
      password: 's3cret',
      token: 'tok',
      MY_DB_SERVICE_HOST: svc.spec.clusterIP,
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_SQL: '5432',
      MY_DB_PORT: `tcp://${svc.spec.clusterIP}:5432`,
      MY_DB_PORT_5432_TCP_ADDR: svc.spec.clusterIP,
      KUBERNETES_SERVICE_PORT: '443',
    });
    expect(env.KUBERNETES_SERVICE_HOST).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await execIn(main, ['cat', '/etc/config/greeting'])).toBe('hello');
    expect((await execIn(main, ['readlink', '/etc/config/greeting'])).trim()).toBe('..data/greeting');
    expect(await execIn(main, ['cat', '/etc/secret/db/password'])).toBe('s3cret');
    expect(await execIn(main, ['cat', '/etc/app/app.conf'])).toBe('port=8080\n');
    expect(await execIn(main, ['cat', '/shared/order'])).toBe('a\nb\n');
    expect(await execIn(main, ['cat', '/shared/args'])).toBe('hello from envpod\n');
    expect(await execIn(dockerId(cs(p, 'side')), ['cat', '/data/args'])).toBe('hello from envpod\n');
    expect((await execIn(main, ['pwd'])).trim()).toBe('/work');
    // configMap and secret volumes are read-only for the container.
    expect(await execIn(main, ['/bin/sh', '-c', 'touch /etc/config/x 2>&1 || echo refused'])).toMatch(/refused/);
    const info = await docker.getContainer(main).inspect();
    expect(info.HostConfig).toMatchObject({ NanoCpus: 500_000_000, Memory: 128 * 1024 * 1024, CpuShares: 256 });
    expect(p.status!.initContainerStatuses!.map((s) => [s.name, s.state?.terminated?.exitCode, s.state?.terminated?.reason])).toEqual([
      ['init-a', 0, 'Completed'],
      ['init-b', 0, 'Completed'],
    ]);
    const vols = await docker.listVolumes({ filters: { label: [`flotilla.dev/pod-uid=${created.metadata.uid}`] } });
    expect(vols.Volumes.map((v) => v.Labels['flotilla.dev/volume']).sort()).toEqual(['config', 'secret', 'shared']);
    for (const v of vols.Volumes) expect(v.Labels).toMatchObject({ 'flotilla.dev/cluster': CLUSTER, 'flotilla.dev/node': NODE, 'flotilla.dev/namespace': 'default', 'flotilla.dev/pod': 'envpod' });
    // A ConfigMap change reaches the mounted files (atomic ..data swap), as in kube.
    await admin.patch('configmaps', 'default', 'app-config', { data: { greeting: 'bonjour' } });
    await until('configMap update in the volume', async () => (await execIn(main, ['cat', '/etc/config/greeting'])) === 'bonjour', 15_000, 250);
  });

  it('gates Ready on readiness probes (httpGet and exec) and restarts on a failed liveness probe', async () => {
    const server = "require('http').createServer((q,s)=>{s.statusCode=require('fs').existsSync('/tmp/ready')?200:503;s.end(q.url)}).listen(8080)";
    await createPod('probed', {
      containers: [
        { name: 'srv', image: tools, command: ['/bin/node', '-e', server], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 } },
        { name: 'side', image: tools, command: ['/bin/sleep', 'infinity'], readinessProbe: { exec: { command: ['cat', '/tmp/ok'] }, periodSeconds: 1, failureThreshold: 1 } },
        {
          name: 'live',
          image: tools,
          command: ['/bin/sh', '-c', 'touch /tmp/alive; exec sleep infinity'],
          livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 2 },
          startupProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 30 },
        },
      ],
    });
    let p = await waitRunning('probed', 'default', false);
    p = await until('live container started', async () => {
      const x = await getPod('probed');
      return cs(x, 'live')?.started ? x : undefined;
    });
    expect(condition(p, 'Ready')).toBe('False');
    expect(cs(p, 'srv')!.ready).toBe(false);
    await execIn(dockerId(cs(p, 'srv')), ['touch', '/tmp/ready']);
    p = await until('srv ready', async () => {
      const x = await getPod('probed');
      return cs(x, 'srv')?.ready ? x : undefined;
    });
    expect(condition(p, 'Ready')).toBe('False');
    expect(p.status!.conditions!.find((x) => x.type === 'Ready')!.message).toMatch(/side/);
    await execIn(dockerId(cs(p, 'side')), ['touch', '/tmp/ok']);
    p = await until('pod Ready', async () => {
      const x = await getPod('probed');
      return condition(x, 'Ready') === 'True' ? x : undefined;
    });
    await execIn(dockerId(cs(p, 'srv')), ['rm', '/tmp/ready']);
    await until('pod unready again', async () => condition(await getPod('probed'), 'Ready') === 'False');
    // Liveness: remove the file, the container is killed and started again.
    const liveId = dockerId(cs(p, 'live'));
    await execIn(liveId, ['rm', '/tmp/alive']);
    p = await until('liveness restart', async () => {
      const x = await getPod('probed');
      return cs(x, 'live')?.restartCount === 1 && cs(x, 'live')?.state?.running ? x : undefined;
    });
    expect(dockerId(cs(p, 'live'))).not.toBe(liveId);
    expect(cs(p, 'live')!.lastState!.terminated!.containerID).toBe(`docker://${liveId}`);
    const events = await admin.list('events', 'default', { fieldSelector: 'involvedObject.name=probed' });
    expect(events.items.map((e) => `${e.reason}: ${e.message}`)).toEqual(expect.arrayContaining([expect.stringMatching(/^Unhealthy: Liveness probe failed/), expect.stringMatching(/^Killing: Container live failed liveness probe/)]));
  });

  it('restarts a crashing container with growing back-off and reports CrashLoopBackOff', async () => {
    // Every status the kubelet writes, from a watch opened first: each finished run shows up in
    // lastState.terminated, with Docker's start and finish stamps, once the next one starts.
    const before = await c.request('GET', '/api/v1/namespaces/default/pods');
    const w = openWatch(c, `/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dcrash&resourceVersion=${before.json.metadata.resourceVersion}`);
    const runs = new Map<string, { startedAt: string; finishedAt: string }>();
    let p: Pod;
    try {
      await createPod('crash', { containers: [{ name: 'app', image: tools, command: ['/bin/sh', '-c', 'echo crashed; exit 3'] }] });
      const last = await w.waitForEvent((e) => {
        const t = cs(e.object as Pod, 'app')?.lastState?.terminated;
        if (t?.containerID && t.startedAt && t.finishedAt) runs.set(t.containerID, { startedAt: t.startedAt, finishedAt: t.finishedAt });
        return runs.size >= 5 && cs(e.object as Pod, 'app')?.state?.waiting?.reason === 'CrashLoopBackOff';
      }, 'five finished runs and CrashLoopBackOff', 50_000);
      p = last.object as Pod;
    } finally {
      w.close();
    }
    const s = cs(p, 'app')!;
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(s.restartCount).toBeGreaterThanOrEqual(4);
    expect(p.status!.phase).toBe('Running');
    // Restart n waits base * 2^(n-2) after the previous run ended (the first restart is
    // immediate): idle times of at least 0, 1, 2 and 4 s, on Docker's clock. The stamps are whole
    // seconds, cut down, so each shows as at least its whole seconds (and a run the watch did not
    // see only makes an idle time longer).
    const byStart = [...runs.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    console.log(`kubelet: runs ${JSON.stringify(byStart)}`);
    const idle = byStart.slice(1).map((r, i) => Date.parse(r.startedAt) - Date.parse(byStart[i]!.finishedAt));
    expect(idle.slice(1, 4)).toEqual([expect.any(Number), expect.any(Number), expect.any(Number)]);
    expect(idle[1]).toBeGreaterThanOrEqual(1000);
    expect(idle[2]).toBeGreaterThanOrEqual(2000);
    expect(idle[3]).toBeGreaterThanOrEqual(4000);
    const crashing = await until('CrashLoopBackOff in kubectl', async () => {
      const out = await c.kubectlOK(['get', 'pod', 'crash']);
      return /CrashLoopBackOff/.test(out) ? out : undefined;
    });
    expect(crashing).toMatch(/crash\s+0\/1\s+CrashLoopBackOff\s+\d/);
    expect((await kubeletGet('/containerLogs/default/crash/app')).text).toBe('crashed\n');
    expect((await kubeletGet('/containerLogs/default/crash/app?previous=true')).text).toBe('crashed\n');
  });

  it('reports an OOM-killed container (OOMKilled, exit 137) and fails a Never pod', async () => {
    await createPod('hog', {
      restartPolicy: 'Never',
      containers: [{ name: 'hog', image: tools, command: ['/bin/node', '-e', 'const a=[];for(;;)a.push(Buffer.alloc(1<<20,1))'], resources: { limits: { memory: '64Mi' } } }],
    });
    const p = await until('hog Failed', async () => {
      const x = await getPod('hog');
      return x?.status?.phase === 'Failed' ? x : undefined;
    });
    expect(cs(p, 'hog')!.state!.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(cs(p, 'hog')!.restartCount).toBe(0);
    expect(condition(p, 'Ready')).toBe('False');
  });

  it('reports ErrImagePull then ImagePullBackOff for a missing image, and ErrImageNeverPull', async () => {
    // The registry is an address on loopback where nothing listens: the pull fails at once.
    const image = '127.0.0.1:1/flotilla-test/missing:1.0';
    // Every status the kubelet writes is seen through a watch: ErrImagePull can be short-lived,
    // and polling would miss it on a busy machine.
    const list = await c.request('GET', '/api/v1/namespaces/default/pods');
    const w = openWatch(c, `/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dnopull&resourceVersion=${list.json.metadata.resourceVersion}`);
    await w.status;
    await createPod('nopull', { containers: [{ name: 'app', image }] });
    await createPod('never', { containers: [{ name: 'app', image: 'flotilla-test/absent:1.0', imagePullPolicy: 'Never' }] });
    const reasons = new Set<string>();
    await until(
      'ImagePullBackOff',
      async () => {
        for (const e of w.events) {
          const r = cs(e.object as Pod, 'app')?.state?.waiting?.reason;
          if (r) reasons.add(r);
        }
        return reasons.has('ErrImagePull') && reasons.has('ImagePullBackOff');
      },
      30_000,
      50,
    );
    w.close();
    const p = await getPod('nopull');
    expect(p!.status!.phase).toBe('Pending');
    expect(await c.kubectlOK(['get', 'pod', 'nopull'])).toMatch(/nopull\s+0\/1\s+(ImagePullBackOff|ErrImagePull)/);
    const never = await until('ErrImageNeverPull', async () => {
      const x = await getPod('never');
      return cs(x, 'app')?.state?.waiting?.reason === 'ErrImageNeverPull' ? x : undefined;
    });
    expect(cs(never, 'app')!.state!.waiting!.message).toBe('Container image "flotilla-test/absent:1.0" is not present with pull policy of Never');
    // Pull attempts back off (1 s base, doubling): each attempt's Pulling event, as the recorder
    // counts it up, carries the attempt's time on the server (whole seconds, cut down, so each gap
    // shows as at least its whole seconds).
    const pullingAt = new Map<number, number>();
    await until('three pull attempts', async () => {
      const ev = await admin.list('events', 'default', { fieldSelector: 'involvedObject.name=nopull,reason=Pulling' });
      for (const e of ev.items) pullingAt.set(Number(e.count ?? 1), Date.parse(String(e.lastTimestamp)));
      return pullingAt.size >= 3 && pullingAt.has(1) && pullingAt.has(2) && pullingAt.has(3);
    }, undefined, 50);
    expect(pullingAt.get(2)! - pullingAt.get(1)!).toBeGreaterThanOrEqual(1000);
    expect(pullingAt.get(3)! - pullingAt.get(2)!).toBeGreaterThanOrEqual(2000);
    for (const n of ['nopull', 'never']) await admin.delete('pods', 'default', n);
  });

  it('serves container logs (tail, timestamps, limitBytes, follow) behind the shared token', async () => {
    await createPod('logger', { containers: [{ name: 'app', image: tools, command: ['/bin/sh', '-c', 'echo line1; echo err1 >&2; echo line2; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'] }] });
    await waitRunning('logger');
    expect((await kubeletGet('/containerLogs/default/logger/app', null)).status).toBe(401);
    expect((await kubeletGet('/containerLogs/default/logger/app', 'wrong')).status).toBe(401);
    const all = await until('logs', async () => {
      const r = await kubeletGet('/containerLogs/default/logger/app');
      return r.text.includes('tick 1') ? r.text : undefined;
    });
    // stdout and stderr are separate pipes: their relative order is not guaranteed (as in kube).
    expect(all.split('\n').slice(0, 4).sort()).toEqual(['err1', 'line1', 'line2', 'tick 0']);
    expect(all.indexOf('line1')).toBeLessThan(all.indexOf('line2'));
    expect((await kubeletGet('/containerLogs/default/logger/app?tailLines=1')).text).toMatch(/^tick \d+\n$/);
    const limited = (await kubeletGet('/containerLogs/default/logger/app?limitBytes=3')).text;
    expect(['lin', 'err']).toContain(limited);
    expect((await kubeletGet('/containerLogs/default/logger/app?timestamps=true')).text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line1$/m);
    expect((await kubeletGet('/containerLogs/default/logger/nope')).status).toBe(404);
    expect((await kubeletGet('/containerLogs/default/logger/app?previous=true')).status).toBe(400);
    // follow: new lines arrive on the open response.
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${kubelet.serverPort}/containerLogs/default/logger/app?follow=true&tailLines=0`, { headers: { Authorization: `Bearer ${SERVER_TOKEN}` }, signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    while ((text.match(/tick/g) ?? []).length < 3) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    expect(text).toMatch(/^tick \d+\ntick \d+\n/);
  });

  it('bridges exec over a v5.channel.k8s.io WebSocket: output, stdin, exit codes', async () => {
    const base = '/exec/default/logger/app';
    const r1 = await wsExec(`${base}?command=hostname&stdout=true&stderr=true`);
    expect(r1).toMatchObject({ stdout: 'logger\n', status: { status: 'Success' } });
    const r2 = await wsExec(`${base}?command=/bin/sh&command=-c&command=echo%20oops%20%3E%262%3B%20exit%203&stdout=true&stderr=true`);
    expect(r2.stderr).toBe('oops\n');
    expect(r2.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    const r3 = await wsExec(`${base}?command=cat&stdin=true&stdout=true&stderr=true`, 'hello through stdin');
    expect(r3).toMatchObject({ stdout: 'hello through stdin', status: { status: 'Success' } });
    const r4 = await wsExec(`${base}?command=/bin/sh&command=-c&command=echo%20tty&stdin=true&stdout=true&tty=true`, '');
    expect(r4.stdout).toMatch(/tty/);
    await expect(wsExec('/exec/default/nothere/app?command=ls&stdout=true')).rejects.toThrow(/HTTP 404/);
    // attach: the container's own stdin/stdout (a container with stdin: true).
    await createPod('attachme', { containers: [{ name: 'app', image: tools, stdin: true, command: ['/bin/sh', '-c', 'read l; echo got $l'] }] });
    await waitRunning('attachme');
    const r5 = await wsExec('/attach/default/attachme/app?stdin=true&stdout=true&stderr=true', 'hi\n');
    expect(r5).toMatchObject({ stdout: 'got hi\n', status: { status: 'Success' } });
    await admin.delete('pods', 'default', 'attachme', { gracePeriodSeconds: 0 });
  });

  it('runs the sample app image with probes and downward API env, reachable at its pod IP', async () => {
    // Built here if no earlier run (or test file) left it cached: this test depends on no other.
    const images = await import('../../src-main/images/index.js');
    await images.ensureHelloImage(docker, '1.0', { pull: false });
    await createPod(
      'hello',
      {
        containers: [
          {
            name: 'hello',
            image: 'flotilla/hello:1.0',
            ports: [{ name: 'http', containerPort: 8080 }],
            env: [
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
            ],
            readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1 },
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2 },
          },
        ],
      },
      'default',
      { labels: { app: 'hello' } },
    );
    const p = await waitRunning('hello');
    const body = await (await fetch(`http://${p.status!.podIP}:8080/`)).text();
    expect(body).toMatch(new RegExp(`hello.*${NODE}.*1\\.0`, 'i'));
    await admin.delete('pods', 'default', 'hello', { gracePeriodSeconds: 1 });
    await until('hello gone', async () => !(await getPod('hello')));
  });

  it('replaces a container whose image changed (pod update), counting a restart', async () => {
    const repo = tools.split(':')[0]!;
    const v2 = `${repo}:kubelet-v2-${RUN}`;
    await docker.getImage(tools).tag({ repo, tag: v2.split(':')[1] });
    try {
      await createPod('upd', { containers: [{ name: 'app', image: tools, command: ['/bin/sleep', 'infinity'] }] });
      const before = await waitRunning('upd');
      await admin.patch('pods', 'default', 'upd', { spec: { containers: [{ name: 'app', image: v2 }] } }, 'strategic');
      const after = await until('new image running', async () => {
        const x = await getPod('upd');
        return cs(x, 'app')?.image === v2 && cs(x, 'app')?.state?.running && dockerId(cs(x, 'app')) !== dockerId(cs(before, 'app')) ? x : undefined;
      });
      expect(cs(after, 'app')!.restartCount).toBe(1);
      const events = await admin.list('events', 'default', { fieldSelector: 'involvedObject.name=upd' });
      expect(events.items.some((e) => e.reason === 'Killing' && /definition changed/.test(String(e.message)))).toBe(true);
      await admin.delete('pods', 'default', 'upd', { gracePeriodSeconds: 0 });
    } finally {
      await docker.getImage(v2).remove().catch(() => undefined);
    }
  });

  it('adopts running containers after a kubelet restart without restarting them', async () => {
    await execIn(dockerId(cs(await getPod('probed'), 'srv')), ['touch', '/tmp/ready']);
    const before = await waitRunning('probed');
    const web = await waitRunning('web');
    await kubelet.stop();
    kubelet = new Kubelet(kubeletOptions());
    const syncs = countSyncs(kubelet);
    await kubelet.start();
    // Several passes of the new kubelet over these pods: the one at start and resyncs after it.
    await until('three passes of the new kubelet over web and probed', () => (syncs.get(web.metadata.uid!) ?? 0) >= 3 && (syncs.get(before.metadata.uid!) ?? 0) >= 3);
    const afterWeb = await waitRunning('web');
    expect(dockerId(cs(afterWeb, 'app'))).toBe(dockerId(cs(web, 'app')));
    expect(cs(afterWeb, 'app')!.restartCount).toBe(cs(web, 'app')!.restartCount);
    const after = await getPod('probed');
    for (const name of ['srv', 'side', 'live']) {
      expect(dockerId(cs(after, name))).toBe(dockerId(cs(before, name)));
      expect(cs(after, name)!.restartCount).toBe(cs(before, name)!.restartCount);
    }
    expect(condition(after, 'Ready')).toBe('True');
    const list = await podContainers(web.metadata.uid!);
    expect(list.filter((x) => x.State === 'running')).toHaveLength(2);
  });

  it('removes the containers and volumes of pods that were deleted while it was down', async () => {
    const p = await waitRunning('envpod');
    await kubelet.stop();
    // Gone from the API at once (grace 0): only the next kubelet can clean up.
    await admin.delete('pods', 'default', 'envpod', { gracePeriodSeconds: 0 });
    expect(await getPod('envpod')).toBeUndefined();
    expect((await podContainers(p.metadata.uid!)).length).toBeGreaterThan(0);
    kubelet = new Kubelet(kubeletOptions());
    await kubelet.start();
    await until('orphans removed', async () => (await podContainers(p.metadata.uid!)).length === 0);
    await until('orphan volumes removed', async () => (await docker.listVolumes({ filters: { label: [`flotilla.dev/pod-uid=${p.metadata.uid}`] } })).Volumes.length === 0);
  });

  it('deletes gracefully: preStop, stop, remove containers and volumes, then the pod object', async () => {
    const created = await createPod('bye', {
      terminationGracePeriodSeconds: 3,
      containers: [{ name: 'app', image: tools, command: ['/bin/sleep', 'infinity'], lifecycle: { preStop: { exec: { command: ['/bin/sh', '-c', 'sleep 1'] } } } }],
      volumes: [{ name: 'scratch', emptyDir: {} }],
    });
    const appId = dockerId(cs(await waitRunning('bye'), 'app'));
    const since = Math.floor(Date.now() / 1000) - 1;
    await c.kubectlOK(['delete', 'pod', 'bye', '--timeout=30s'], { timeoutMs: 40_000 });
    // In Docker's own order of events: the preStop hook ran to its end, then the container was
    // sent SIGTERM (kill), then it died and was removed.
    const actions = (await dockerEvents(appId, since, Math.ceil(Date.now() / 1000) + 1)).map((e) => e.Action);
    const hookStart = actions.findIndex((a) => a.startsWith('exec_start') && a.includes('sleep 1'));
    const hookEnd = actions.findIndex((a, i) => i > hookStart && a.startsWith('exec_die'));
    const term = actions.findIndex((a) => a.startsWith('kill'));
    expect(hookStart, actions.join(', ')).toBeGreaterThanOrEqual(0);
    expect(hookEnd, actions.join(', ')).toBeGreaterThan(hookStart);
    expect(term, actions.join(', ')).toBeGreaterThan(hookEnd);
    expect(actions.indexOf('destroy'), actions.join(', ')).toBeGreaterThan(term);
    expect(await getPod('bye')).toBeUndefined();
    expect(await podContainers(created.metadata.uid!)).toHaveLength(0);
    expect((await docker.listVolumes({ filters: { label: [`flotilla.dev/pod-uid=${created.metadata.uid}`] } })).Volumes).toHaveLength(0);
    const web = await getPod('web');
    await admin.delete('pods', 'default', 'web');
    await until('web gone', async () => !(await getPod('web')));
    expect(await podContainers(web!.metadata.uid!)).toHaveLength(0);
  });
});
