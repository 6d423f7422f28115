import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { execIn } from '../../src-main/cluster/exec.js';
import type { Pod, Service } from '../../src-main/api/types.js';
import { benchArgs } from '../lib/args.js';
import { setUpRun } from '../lib/children.js';
import { startBenchCluster } from '../lib/benchCluster.js';
import { median, round, sleep, summarize } from '../lib/stats.js';
import { waitFor } from '../lib/wait.js';
import { ROOT, environment, logger, saveResults } from '../cluster/util.js';
import { fmtNum, fmtP, renderTable, type Row } from '../api/report.js';

// bench:proxy — kube-proxy on real Docker nodes (issue 9), each number next to a floor measured
// in the same run:
//   throughput   from a client pod on one node to a server pod on the other: HTTP requests/s
//                over keep-alive connections and bulk TCP MB/s, through the Service's ClusterIP
//                vs straight to the pod IP (the floor; target >= 95% of it, kube-proxy's
//                iptables mode reaches 96%). Each round runs direct then ClusterIP back to back;
//                the verdict is the median of the rounds' ratios.
//   programming  a Service with 3 endpoints written to the API -> its rule present in every
//                pod namespace and node namespace of every node, one Service after another
//                (target p99 < 1 s); then N Services written at once -> all present everywhere;
//                floor: one iptables-restore of the same final rules into a fresh namespace.
// JSON on stdout and in bench/results/proxy-<timestamp>.json, the table on stderr. --quick: small.

const args = benchArgs();
const QUICK = args.quick;
const CFG = {
  rounds: args.rounds ?? (QUICK ? 1 : 5),
  seconds: QUICK ? 2 : 5,
  concurrency: 8,
  bulkMB: QUICK ? 32 : 256,
  latencyServices: QUICK ? 20 : 100,
  bulkServices: QUICK ? 100 : 1000,
};
const log = logger('proxy');

/** Server pod: HTTP on 8080 (keep-alive), and on 9000 a TCP source that sends N MiB then ends. */
const SERVER = `
require('http').createServer((q, s) => s.end('ok')).listen(8080);
require('net').createServer((sock) => {
  const chunk = Buffer.alloc(1 << 20, 120);
  let left = Number(process.env.BULK_MB);
  const more = () => { while (left > 0) { left--; if (!sock.write(chunk)) return sock.once('drain', more); } sock.end(); };
  more();
}).listen(9000);
`;

/** Client: `http <url> <seconds> <concurrency>` or `bulk <host> <port>`; prints one JSON line. */
const LOAD = `
const [mode, a, b, c] = process.argv.slice(1);
if (mode === 'http') {
  const agent = new (require('http').Agent)({ keepAlive: true, maxSockets: Number(c) });
  const end = Date.now() + Number(b) * 1000;
  let n = 0, errors = 0;
  const worker = () => new Promise((done) => {
    const next = () => {
      if (Date.now() >= end) return done();
      require('http').get(a, { agent }, (r) => { r.resume(); r.on('end', () => { n++; next(); }); }).on('error', () => { errors++; next(); });
    };
    next();
  });
  const t0 = Date.now();
  Promise.all(Array.from({ length: Number(c) }, worker)).then(() => { console.log(JSON.stringify({ requests: n, errors, ms: Date.now() - t0 })); process.exit(0); });
} else {
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  const s = require('net').connect(Number(b), a);
  s.on('data', (d) => (bytes += d.length));
  s.on('end', () => { console.log(JSON.stringify({ bytes, ms: Number(process.hrtime.bigint() - t0) / 1e6 })); process.exit(0); });
  s.on('error', (e) => { console.log(JSON.stringify({ error: e.code })); process.exit(1); });
}
`;

interface Target {
  what: string;
  nodeContainer: string;
  /** nsenter argument; undefined: the node's own namespace. */
  netns?: string;
}

async function main(): Promise<void> {
  const started = new Date();
  const run = setUpRun('proxy', QUICK ? 280_000 : 1_500_000, log);
  try {
    const { cp, client, docker, clusterName } = await startBenchCluster(run, 'proxy', { nodes: 2, addons: false }, log);
    const nodes = await waitFor('2 Ready nodes', async () => {
      const list = await client.list('nodes');
      const ready = list.items.filter((n) => (n as unknown as { status?: { conditions?: { type: string; status: string }[] } }).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
      return ready.length === 2 ? ready.map((n) => n.metadata.name!).sort() : undefined;
    });
    const image = cp.docker!.images.hello.v1;
    const pod = (name: string, node: string, script: string): Pod =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace: 'default', labels: { app: name } },
        spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, imagePullPolicy: 'Never', command: ['node', '-e', script], env: [{ name: 'BULK_MB', value: String(CFG.bulkMB) }] }] },
      }) as unknown as Pod;
    await client.create('pods', 'default', pod('server', nodes[0]!, SERVER));
    await client.create('pods', 'default', pod('client', nodes[1]!, 'setInterval(() => {}, 1 << 30)'));
    await client.create('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'server', namespace: 'default' }, spec: { selector: { app: 'server' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'bulk', port: 9000, targetPort: 9000 }] } } as unknown as Service);
    const podIP = await waitFor('server and client Running', async () => {
      const s = await client.get<Pod>('pods', 'default', 'server');
      const c = await client.get<Pod>('pods', 'default', 'client');
      return s.status?.phase === 'Running' && c.status?.phase === 'Running' ? s.status.podIP : undefined;
    });
    const clusterIP = (await client.get<Service>('services', 'default', 'server')).spec.clusterIP!;
    const app = async (p: string) => (await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${clusterName}`, `flotilla.dev/pod=${p}`, 'flotilla.dev/container-kind=app'] } }))[0]!.Id;
    const clientApp = await app('client');
    const load = async (argv: string[]) => {
      const r = await execIn(docker, clientApp, ['node', '-e', LOAD, ...argv], 120_000);
      const line = r.stdout.trim().split('\n').pop() ?? '';
      try {
        return JSON.parse(line) as { requests?: number; errors?: number; bytes?: number; ms: number; error?: string };
      } catch {
        throw new Error(`load generator: ${r.stdout} ${r.stderr}`);
      }
    };
    await waitFor('the ClusterIP answers', async () => ((await load(['http', `http://${clusterIP}/`, '0.2', '1'])).requests ?? 0) > 0 || undefined);

    // ---- throughput: direct vs ClusterIP, alternating ----
    const rps: Record<'direct' | 'clusterIP', number[]> = { direct: [], clusterIP: [] };
    const mbps: Record<'direct' | 'clusterIP', number[]> = { direct: [], clusterIP: [] };
    let failedRequests = 0;
    for (let r = 0; r < CFG.rounds; r++) {
      for (const [kind, host] of [['direct', podIP], ['clusterIP', clusterIP]] as const) {
        const port = kind === 'direct' ? 8080 : 80;
        const h = await load(['http', `http://${host}:${port}/`, String(CFG.seconds), String(CFG.concurrency)]);
        failedRequests += h.errors ?? 0;
        rps[kind].push((h.requests! / h.ms) * 1000);
        const b = await load(['bulk', host, '9000']);
        if (b.error || b.bytes !== CFG.bulkMB * 2 ** 20) throw new Error(`bulk ${kind}: ${JSON.stringify(b)}`);
        mbps[kind].push(b.bytes / 2 ** 20 / (b.ms / 1000));
        log(`round ${r + 1} ${kind}: ${Math.round(rps[kind].at(-1)!)} req/s, ${Math.round(mbps[kind].at(-1)!)} MB/s`);
      }
    }

    // ---- programming latency ----
    const targets: Target[] = [];
    for (const node of nodes) {
      const nodeContainer = (await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${clusterName}`, `flotilla.dev/node=${node}`, 'flotilla.dev/role=node'] } }))[0]!.Id;
      targets.push({ what: `${node} node namespace`, nodeContainer });
    }
    for (const p of ['server', 'client']) {
      const sb = (await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${clusterName}`, `flotilla.dev/pod=${p}`, 'flotilla.dev/container-kind=sandbox'] } }))[0]!;
      const pid = (await docker.getContainer(sb.Id).inspect()).State.Pid;
      const node = sb.Labels['flotilla.dev/node']!;
      targets.push({ what: `pod ${p}`, nodeContainer: targets.find((t) => t.what === `${node} node namespace`)!.nodeContainer, netns: `/host/proc/${pid}/ns/net` });
    }
    const count = (t: Target, pattern: string) => countRules(docker, t, pattern);
    const endpoints = (i: number) => [podIP, `10.254.${(i >> 8) & 255}.${i & 255}`, `10.253.${(i >> 8) & 255}.${i & 255}`];
    const write = async (name: string, i: number) => {
      await client.create('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ port: 80, targetPort: 8080 }] } } as unknown as Service);
      await client.create('endpointslices.discovery.k8s.io', 'default', {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${name}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': name } },
        addressType: 'IPv4',
        ports: [{ name: '', port: 8080, protocol: 'TCP' }],
        endpoints: endpoints(i).map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      } as never);
    };
    const latencies: number[] = [];
    for (let i = 0; i < CFG.latencyServices; i++) {
      const name = `lat-${i}`;
      const t0 = performance.now();
      await write(name, i);
      const written = performance.now();
      // Every namespace polled in parallel until each has the Service's rule.
      await Promise.all(targets.map(async (t) => {
        while ((await count(t, `"default/${name} cluster IP"`)) < 1) await sleep(10);
      }));
      latencies.push(performance.now() - written);
      if (i === 0) log(`first Service programmed ${Math.round(performance.now() - t0)} ms after the write began`);
    }
    const lat = summarize(latencies);
    log(`programming latency over ${latencies.length} Services: p50 ${round(lat.p50)} ms, p99 ${round(lat.p99)} ms`);

    const tBulk = performance.now();
    for (let i = 0; i < CFG.bulkServices; i += 50) await Promise.all(Array.from({ length: Math.min(50, CFG.bulkServices - i) }, (_, k) => write(`bulk-${i + k}`, 10_000 + i + k)));
    const bulkWritten = performance.now() - tBulk;
    await Promise.all(targets.map(async (t) => {
      // Polled once a second: a full iptables-save per namespace is itself load on a 2-core machine.
      while ((await count(t, '"default/bulk-[0-9]* cluster IP"')) < CFG.bulkServices) await sleep(1000);
    }));
    const bulkMs = performance.now() - tBulk;
    log(`${CFG.bulkServices} Services written in ${Math.round(bulkWritten)} ms, programmed everywhere after ${Math.round(bulkMs)} ms`);
    // Floor: the final rules restored once into a fresh namespace, in the client's node.
    const t = targets.find((x) => x.what === 'pod client')!;
    const floorMs = await restoreFloor(docker, t);
    log(`floor: one iptables-restore of the same rules into a fresh namespace: ${Math.round(floorMs)} ms`);

    // The median of the per-round ratios: a round's direct and ClusterIP runs are back to back, so
    // load that comes and goes on the machine hits both alike.
    const ratio = (k: Record<'direct' | 'clusterIP', number[]>) => median(k.clusterIP.map((v, i) => v / k.direct[i]!));
    const rows: Row[] = [
      { metric: 'HTTP keep-alive req/s, ClusterIP vs pod IP', measured: `${fmtNum(median(rps.clusterIP))} = ${round(ratio(rps) * 100, 1)}% of direct`, target: '>= 95% of direct', met: ratio(rps) >= 0.95, floor: `${fmtNum(median(rps.direct))} req/s direct` },
      { metric: 'bulk TCP MB/s, ClusterIP vs pod IP', measured: `${fmtNum(median(mbps.clusterIP))} = ${round(ratio(mbps) * 100, 1)}% of direct`, target: '>= 95% of direct', met: ratio(mbps) >= 0.95, floor: `${fmtNum(median(mbps.direct))} MB/s direct` },
      { metric: `programming latency, ${CFG.latencyServices} Services x 3 endpoints, ${targets.length} namespaces`, measured: fmtP(lat.p50, lat.p99), target: 'p99 < 1000 ms', met: lat.p99 < 1000, floor: 'poll resolution ~ one docker exec' },
      { metric: `${CFG.bulkServices} Services at once -> in every namespace`, measured: `${fmtNum(bulkMs)} ms (API writes took ${fmtNum(bulkWritten)} ms)`, floor: `${fmtNum(floorMs)} ms for one iptables-restore of the final rules` },
      { metric: 'failed requests', measured: String(failedRequests), target: '0', met: failedRequests === 0 },
    ];
    const result = {
      benchmark: 'proxy',
      quick: QUICK,
      started: started.toISOString(),
      environment: environment(),
      config: CFG,
      throughput: { reqPerSec: rps, mbPerSec: mbps, ratioReqs: round(ratio(rps)), ratioMB: round(ratio(mbps)) },
      programming: { latencyMs: { p50: round(lat.p50), p99: round(lat.p99), max: round(lat.max) }, namespaces: targets.map((x) => x.what), bulk: { services: CFG.bulkServices, writeMs: round(bulkWritten), programmedMs: round(bulkMs), floorRestoreMs: round(floorMs) } },
      failedRequests,
    };
    const table = renderTable(rows);
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    process.stderr.write(`${table}\n`);
    log(`results saved to ${path.relative(ROOT, saveResults(QUICK ? 'proxy-quick' : 'proxy', started, json, table))}`);
    if (failedRequests > 0) process.exitCode = 1;
  } finally {
    await run.finish();
  }
}

/** Lines of the namespace's nat table matching a grep pattern. */
async function countRules(docker: Docker, t: Target, pattern: string): Promise<number> {
  const cmd = `iptables-save -t nat | grep -c -- '${pattern}' || true`;
  const argv = t.netns ? ['nsenter', `--net=${t.netns}`, 'sh', '-c', cmd] : ['sh', '-c', cmd];
  const r = await execIn(docker, t.nodeContainer, argv, 60_000);
  return Number(r.stdout.trim()) || 0;
}

/** Time of one iptables-restore of the namespace's kube rules into a fresh, empty namespace. */
async function restoreFloor(docker: Docker, t: Target): Promise<number> {
  const script = [
    `nsenter --net=${t.netns} iptables-save | grep -v -e DOCKER -e '^#' > /tmp/rules`,
    'start=$(date +%s%N)',
    'unshare --net iptables-restore < /tmp/rules',
    'echo $(( ($(date +%s%N) - start) / 1000000 ))',
  ].join('\n');
  const r = await execIn(docker, t.nodeContainer, ['sh', '-c', script], 120_000);
  const ms = Number(r.stdout.trim().split('\n').pop());
  if (!Number.isFinite(ms)) throw new Error(`restore floor: ${r.stdout} ${r.stderr}`);
  return ms;
}

main().catch((e) => {
  log(`bench:proxy failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
