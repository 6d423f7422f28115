import { execIn } from '../../src-main/cluster/exec.js';
import type { Pod, Service } from '../../src-main/api/types.js';
import type { Run } from '../lib/children.js';
import { startBenchCluster } from '../lib/benchCluster.js';
import { waitFor } from '../lib/wait.js';

// bench:dns, part 2: cluster DNS as a pod sees it. A client pod on a real Docker node sends its
// queries to 10.96.0.10, the kube-dns Service, through kube-proxy's rules in its own network
// namespace, as every pod's resolver does (its resolv.conf names that address), to the two
// coredns pods of the add-on. The floor, in the same run and over the same path: a pod that
// answers every query by echoing it with the response bit set (no decoding at all), behind a
// ClusterIP Service of its own. The load generator runs in the client pod (Node.js, raw DNS
// messages: the pod image has no DNS library).

/** In the client pod: `fixed <ip> <perSec> <seconds> <needAnswer>` or `most <ip> <inFlight> <seconds> <needAnswer>`; one JSON line. */
const LOAD = `
const dgram = require('dgram');
const [mode, ip, a, b, need] = process.argv.slice(1);
const needAnswer = need === '1';
const names = Array.from({ length: 20 }, (_, i) => 'svc-' + i + '.default.svc.cluster.local');
const query = (id, name) => {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  const h = Buffer.alloc(12); h.writeUInt16BE(id, 0); h.writeUInt16BE(0x0100, 2); h.writeUInt16BE(1, 4);
  return Buffer.concat([h, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
};
const sock = dgram.createSocket('udp4');
const pending = new Map();
const lat = [];
let sent = 0, answered = 0, wrong = 0;
sock.on('message', (m) => {
  const id = m.readUInt16BE(0);
  const p = pending.get(id);
  if (!p) return;
  pending.delete(id);
  const ok = (m[2] & 0x80) && (m[3] & 0x0f) === 0 && (!needAnswer || m.readUInt16BE(6) > 0);
  if (ok) { answered++; lat.push(performance.now() - p.due); } else wrong++;
  if (p.then) p.then();
});
let nextId = 0;
const send = (due, then) => {
  const id = nextId; nextId = (nextId + 1) & 0xffff;
  pending.set(id, { due, then });
  sent++;
  sock.send(query(id, names[sent % names.length]), 53, ip);
};
const t0 = performance.now();
const finish = () => setTimeout(() => {
  const s = lat.sort((x, y) => x - y);
  const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN);
  const secs = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ sent, answered, lost: pending.size, wrong, perSec: answered / secs, p50: q(50), p99: q(99) }));
  process.exit(0);
}, 1000);
if (mode === 'fixed') {
  const perSec = Number(a), total = perSec * Number(b);
  let i = 0;
  const tick = () => {
    const now = performance.now();
    while (i < total && t0 + (i * 1000) / perSec <= now) { send(t0 + (i * 1000) / perSec); i++; }
    if (i >= total) finish(); else setTimeout(tick, 1);
  };
  tick();
} else {
  const end = t0 + Number(b) * 1000;
  let stop = false;
  const loop = () => { if (performance.now() >= end) { if (!stop) { stop = true; finish(); } return; } send(performance.now(), loop); };
  for (let k = 0; k < Number(a); k++) loop();
  // a lost query must not stall its lane
  setInterval(() => { const now = performance.now(); for (const [id, p] of pending) if (now - p.due > 1000) { pending.delete(id); if (p.then) p.then(); } }, 200).unref();
}
`;

/** The floor server: every query back at once with QR set (no decoding, no answer records). */
const ECHO = `
const s = require('dgram').createSocket('udp4');
s.on('message', (m, r) => { m[2] |= 0x80; s.send(m, r.port, r.address); });
s.bind(53);
`;

export interface PodLoad {
  sent: number;
  answered: number;
  lost: number;
  wrong: number;
  perSec: number;
  p50: number;
  p99: number;
}

export interface FromPodResult {
  fixed: { server: PodLoad; floor: PodLoad };
  most: { server: PodLoad; floor: PodLoad };
  perSec: number;
  fixedSeconds: number;
  mostSeconds: number;
  inFlight: number;
}

export async function dnsFromPod(run: Run, opts: { quick: boolean; log: (s: string) => void }): Promise<FromPodResult> {
  // The DNS add-on is deployed with the controllers (the control plane's default).
  const { cp, client: api, docker, clusterName } = await startBenchCluster(run, 'dns', { nodes: 1 }, opts.log);
  const image = cp.docker!.images.hello.v1;
  const pod = (name: string, script: string): Pod =>
    ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels: { app: name } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, imagePullPolicy: 'Never', command: ['node', '-e', script] }] },
    }) as unknown as Pod;
  const service = (name: string, spec: Record<string, unknown>) => api.create('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec } as unknown as Service);
  await api.create('pods', 'default', pod('client', 'setInterval(() => {}, 1 << 30)'));
  await api.create('pods', 'default', pod('echo', ECHO));
  await service('echo', { selector: { app: 'echo' }, ports: [{ name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }] });
  // The names the load asks for: 20 ClusterIP Services.
  for (let i = 0; i < 20; i++) await service(`svc-${i}`, { ports: [{ port: 80 }] });
  const echoIP = (await api.get<Service>('services', 'default', 'echo')).spec.clusterIP!;
  await waitFor('client and echo Running, coredns Ready', async () => {
    const pods = [await api.get<Pod>('pods', 'default', 'client'), await api.get<Pod>('pods', 'default', 'echo')];
    const dns = await api.list<Pod>('pods', 'kube-system', { labelSelector: 'k8s-app=kube-dns' });
    const ready = (p: Pod) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    return pods.every((p) => p.status?.phase === 'Running') && dns.items.length === 2 && dns.items.every(ready);
  });
  const clientApp = (await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${clusterName}`, 'flotilla.dev/pod=client', 'flotilla.dev/container-kind=app'] } }))[0]!.Id;
  const load = async (argv: string[]): Promise<PodLoad> => {
    const r = await execIn(docker, clientApp, ['node', '-e', LOAD, ...argv], 120_000);
    try {
      return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as PodLoad;
    } catch {
      throw new Error(`load generator: ${r.stdout} ${r.stderr}`);
    }
  };
  const dnsIP = '10.96.0.10';
  await waitFor('kube-dns and the echo Service answer from the pod', async () => {
    const [a, b] = [await load(['most', dnsIP, '1', '0.3', '1']), await load(['most', echoIP, '1', '0.3', '0'])];
    return a.answered > 0 && b.answered > 0;
  });
  const fixedSeconds = opts.quick ? 2 : 10;
  const mostSeconds = opts.quick ? 2 : 5;
  const inFlight = 32;
  // Warm-up (JIT in the servers), not measured; then each measurement, server then floor.
  await load(['most', dnsIP, '8', '1', '1']);
  const fixed = { server: await load(['fixed', dnsIP, '1000', String(fixedSeconds), '1']), floor: await load(['fixed', echoIP, '1000', String(fixedSeconds), '0']) };
  opts.log(`from a pod at 1,000/s: kube-dns p50 ${fixed.server.p50.toFixed(2)} p99 ${fixed.server.p99.toFixed(2)} ms; floor p50 ${fixed.floor.p50.toFixed(2)} p99 ${fixed.floor.p99.toFixed(2)} ms`);
  const most = { server: await load(['most', dnsIP, String(inFlight), String(mostSeconds), '1']), floor: await load(['most', echoIP, String(inFlight), String(mostSeconds), '0']) };
  opts.log(`from a pod, most: kube-dns ${Math.round(most.server.perSec)}/s; floor ${Math.round(most.floor.perSec)}/s`);
  return { fixed, most, perSec: 1000, fixedSeconds, mostSeconds, inFlight };
}
