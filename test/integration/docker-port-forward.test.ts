// `kubectl port-forward` through the real API server (which relays the upgrade to the pod's
// kubelet) and the real kubelet on a Docker node, to pods running small Node.js HTTP servers (the
// hello image's node). kubectl 1.32 first tunnels SPDY in a WebSocket and falls back to a SPDY
// upgrade; KUBECTL_PORT_FORWARD_WEBSOCKETS=false skips the first. Both paths are exercised, with
// kubectl's -v=6 request log telling which one it took. The test talks HTTP to kubectl's local
// port, as a user's browser or curl would.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDockerCluster, startDockerCluster, uniqueClusterName, waitPodReady, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { KUBECTL, kubectlArgs, kubectlEnv } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('portfwd');
let c: DockerTestCluster;

/**
 * GET / answers "hello <pod>"; POST /echo answers the body's length and sha256; GET /bytes?n=N
 * sends N bytes (i % 251); port 9090 answers "alt <pod>"; 127.0.0.1:7070 (loopback only)
 * answers "loopback".
 */
const SERVER = `
const http = require('http');
const crypto = require('crypto');
const name = process.env.POD_NAME;
http.createServer((req, res) => {
  if (req.method === 'POST') {
    const h = crypto.createHash('sha256'); let n = 0;
    req.on('data', (d) => { n += d.length; h.update(d); });
    req.on('end', () => res.end(n + ' ' + h.digest('hex')));
    return;
  }
  const m = /n=(\\d+)/.exec(req.url);
  if (m) {
    const n = Number(m[1]); const b = Buffer.alloc(n); for (let i = 0; i < n; i++) b[i] = i % 251;
    return res.end(b);
  }
  res.end('hello ' + name);
}).listen(8080);
http.createServer((req, res) => res.end('alt ' + name)).listen(9090);
http.createServer((req, res) => res.end('loopback')).listen(7070, '127.0.0.1');
`;

function serverPod(name: string): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: flotilla/hello:1.0
    imagePullPolicy: Never
    command: [node, -e, ${JSON.stringify(SERVER)}]
    env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    ports: [{name: http, containerPort: 8080}, {name: alt, containerPort: 9090}]
    readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}
`;
}

const SERVICE = `apiVersion: v1
kind: Service
metadata: {name: pf-svc}
spec:
  selector: {app: pf-server}
  ports: [{name: web, port: 80, targetPort: http}, {name: alt, port: 90, targetPort: 9090}]
`;

interface Forward {
  child: ChildProcess;
  /** Local port per remote port, from kubectl's "Forwarding from 127.0.0.1:L -> R" lines. */
  local: Map<number, number>;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/**
 * Starts `kubectl port-forward <args>` in a process group of its own (the kubectl here is a
 * dispatcher that runs the versioned binary), waits until it listens on every port asked for,
 * and stops the whole group at the end.
 */
async function portForward(args: string[], opts: { websockets?: boolean } = {}): Promise<Forward> {
  const env = kubectlEnv(c.kubectlTarget);
  if (opts.websockets === false) env.KUBECTL_PORT_FORWARD_WEBSOCKETS = 'false';
  const child = spawn(KUBECTL, kubectlArgs(c.kubectlTarget, ['port-forward', '-v=6', ...args]), { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  const killGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  const f: Forward = {
    child,
    local: new Map(),
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (done) return;
      killGroup('SIGTERM');
      const t = setTimeout(() => killGroup('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
  const remotes = args.filter((a) => /^\d*:\d+$/.test(a)).length;
  try {
    await until(`kubectl port-forward ${args.join(' ')} listening`, () => {
      if (done) throw new Error(`kubectl exited: ${err}`);
      f.local.clear();
      for (const m of out.matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)) f.local.set(Number(m[2]), Number(m[1]));
      return f.local.size === remotes;
    });
  } catch (e) {
    await f.stop();
    throw e;
  }
  return f;
}

interface Reply {
  status: number;
  body: Buffer;
}

function request(port: number, path = '/', body?: Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const text = async (port: number, path = '/') => (await request(port, path)).body.toString();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed) % 256;
  return b;
}

const forwards: Forward[] = [];
async function started(args: string[], opts: { websockets?: boolean } = {}): Promise<Forward> {
  const f = await portForward(args, opts);
  forwards.push(f);
  return f;
}

describe('kubectl port-forward through the API server and the kubelet, on a Docker node', () => {
  beforeAll(async () => {
    c = await startDockerCluster(CLUSTER, { nodes: 1 });
    await c.kubectlOK(['apply', '-f', '-'], { input: [serverPod('pf-server'), serverPod('pf-doomed'), SERVICE].join('---\n') });
    for (const name of ['pf-server', 'pf-doomed']) await waitPodReady(c, name, 60_000);
  }, 300_000);

  afterAll(async () => {
    await Promise.all(forwards.map((f) => f.stop()));
    await removeDockerCluster(c, CLUSTER);
  }, 120_000);

  for (const websockets of [true, false]) {
    const path = websockets ? 'SPDY tunnelled in a WebSocket (GET)' : 'the SPDY/3.1 upgrade (POST, KUBECTL_PORT_FORWARD_WEBSOCKETS=false)';
    it(`pod/X: requests, concurrent connections and large bodies both ways, over ${path}`, async () => {
      const f = await started(['pod/pf-server', ':8080'], { websockets });
      const port = f.local.get(8080)!;
      for (let i = 0; i < 3; i++) expect(await text(port)).toBe('hello pf-server');
      const many = await Promise.all(Array.from({ length: 8 }, () => text(port)));
      expect(many).toEqual(Array(8).fill('hello pf-server'));
      // 4 MiB up, 6 MiB down, at the same time.
      const up = pattern(4 << 20, 3);
      const [echo, down] = await Promise.all([request(port, '/echo', up), request(port, `/bytes?n=${6 << 20}`)]);
      expect(echo.body.toString()).toBe(`${up.length} ${sha256(up)}`);
      expect(down.body.length).toBe(6 << 20);
      expect(down.body.every((b, i) => b === i % 251)).toBe(true);
      // Which upgrade kubectl made, from its own request log.
      const upgrade = websockets ? /GET https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\/pf-server\/portforward 101 Switching Protocols/ : /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/pods\/pf-server\/portforward 101 Switching Protocols/;
      expect(f.stderr()).toMatch(upgrade);
      expect(f.stdout()).toMatch(/Handling connection for \d+/);
      await f.stop();
    }, 120_000);
  }

  it('svc/X: kubectl resolves the Service to a pod and each port to its targetPort (named and numeric)', async () => {
    const f = await started(['svc/pf-svc', ':80', ':90']);
    // kubectl names the pod's port in its "Forwarding from" lines: 80 -> http (8080), 90 -> 9090.
    expect([...f.local.keys()].sort()).toEqual([8080, 9090]);
    expect(await text(f.local.get(8080)!)).toBe('hello pf-server');
    expect(await text(f.local.get(9090)!)).toBe('alt pf-server');
    // Via the SPDY fallback too.
    const g = await started(['service/pf-svc', ':80'], { websockets: false });
    expect(await text(g.local.get(8080)!)).toBe('hello pf-server');
    await Promise.all([f.stop(), g.stop()]);
  }, 120_000);

  it('two ports of one pod at once, each reaching its own server, concurrently', async () => {
    const f = await started(['pod/pf-server', ':8080', ':9090']);
    const [a, b] = [f.local.get(8080)!, f.local.get(9090)!];
    const answers = await Promise.all([text(a), text(b), text(a), text(b)]);
    expect(answers).toEqual(['hello pf-server', 'alt pf-server', 'hello pf-server', 'alt pf-server']);
    await f.stop();
  }, 120_000);

  for (const websockets of [true, false]) {
    it(`a port nothing listens on: the kubelet's error reaches kubectl, which (1.23+) gives up on the session (${websockets ? 'WebSocket' : 'SPDY'})`, async () => {
      const f = await started(['pod/pf-server', ':9999', ':8080'], { websockets });
      // The good port works first.
      expect(await text(f.local.get(8080)!)).toBe('hello pf-server');
      // kubectl accepts the local connection, then closes it when the kubelet reports the failure.
      await request(f.local.get(9999)!).then(
        () => {},
        () => {},
      );
      const code = await f.exited;
      expect(f.stderr()).toMatch(/an error occurred forwarding \d+ -> 9999: error forwarding port 9999 to pod [0-9a-f]{64}, uid : failed to connect to [\d.]+:9999 on the pod network: connect ECONNREFUSED/);
      expect(f.stderr()).toMatch(/lost connection to pod/);
      expect(code).not.toBe(0);
    }, 120_000);
  }

  it('a process listening only on the pod’s loopback is not reachable (the kubelet dials the pod IP)', async () => {
    const f = await started(['pod/pf-server', ':7070']);
    await request(f.local.get(7070)!).then(
      () => {},
      () => {},
    );
    await f.exited;
    expect(f.stderr()).toMatch(/error forwarding port 7070 to pod [0-9a-f]{64}, uid : failed to connect to [\d.]+:7070 on the pod network: connect ECONNREFUSED/);
  }, 120_000);

  it('the pod deleted: the next connection gets the kubelet’s error and kubectl exits', async () => {
    const f = await started(['pod/pf-doomed', ':8080']);
    expect(await text(f.local.get(8080)!)).toBe('hello pf-doomed');
    await c.kubectlOK(['delete', 'pod', 'pf-doomed', '--wait=true']);
    await request(f.local.get(8080)!).then(
      () => {},
      () => {},
    );
    const code = await f.exited;
    expect(code).not.toBe(0);
    expect(f.stderr()).toMatch(/error forwarding port 8080 to pod [0-9a-f]{64}, uid : failed to find sandbox \\?"[0-9a-f]{64}\\?" in store: not found/);
    expect(f.stderr()).toMatch(/lost connection to pod/);
  }, 120_000);
});
