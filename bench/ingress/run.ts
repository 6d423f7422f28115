import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import type { Deployment, KubeObject, Pod, Service } from '../../src-main/api/types.js';
import { benchArgs } from '../lib/args.js';
import { setUpRun } from '../lib/children.js';
import { startBenchCluster } from '../lib/benchCluster.js';
import { CpuMeter } from '../lib/proc.js';
import { median, round, summarize, type LatencySummary } from '../lib/stats.js';
import { waitFor } from '../lib/wait.js';
import { ROOT, environment, logger, runHeader, saveResults } from '../cluster/util.js';
import { fmtNum, fmtP, renderTable, type Row } from '../api/report.js';

// bench:ingress — the ingress controller add-on (issue 9): HTTP requests/s and latency from the
// host through the Ingress (127.0.0.1:<published port>, Host: bench.localhost -> nginx in the
// controller's pod -> the Service's pod) against the floor measured in the same run, the same
// server pod's IP straight from the host (target >= 80% of it). A third path, nginx's pod IP with
// the same Host header, leaves out the port publishing, so the table shows what each hop costs:
//   direct       host -> pod IP:8080
//   ingress pod  host -> ingress pod IP:80 -> nginx -> pod IP:8080
//   ingress      host -> 127.0.0.1:<port> -> Docker's port publishing (docker-proxy when the
//                engine uses the userland proxy) -> nginx -> pod IP:8080
// The load generator is this process (keep-alive agent, CONCURRENCY requests in flight); CPU
// seconds of it, the server, nginx and docker-proxy are read from /proc for each run. Each round
// runs the paths back to back; the verdict is the median of the rounds' ratios.
// JSON on stdout and in bench/results/ingress-<timestamp>.json, the table on stderr. --quick: small.

const args = benchArgs();
const QUICK = args.quick;
const CFG = {
  rounds: args.rounds ?? (QUICK ? 1 : 5),
  seconds: QUICK ? 2 : 5,
  warmupSeconds: QUICK ? 0.5 : 1,
  concurrency: 16,
  host: 'bench.localhost',
};
const TARGET_RATIO = 0.8;
const log = logger('ingress');
const INGRESS_DEPLOYMENT = 'flotilla-ingress-controller';

/** The server pod: a keep-alive HTTP server answering "ok". */
const SERVER = "require('http').createServer((q, s) => s.end('ok')).listen(8080);";

type PathName = 'direct' | 'ingressPod' | 'ingress';
const PATHS: PathName[] = ['direct', 'ingressPod', 'ingress'];
const LABELS: Record<PathName, string> = { direct: 'pod IP:8080 (direct)', ingressPod: 'ingress pod IP:80 (nginx only)', ingress: '127.0.0.1:<port> (ingress)' };

interface Endpoint {
  host: string;
  port: number;
  /** The Host header (undefined: the default). */
  hostHeader?: string;
}

interface LoadResult {
  requests: number;
  errors: number;
  ms: number;
  perSec: number;
  latencies: number[];
}

/** CONCURRENCY closed-loop workers over keep-alive connections for `seconds`; anything but a 200 "ok" is an error. */
async function load(ep: Endpoint, seconds: number, concurrency: number): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const headers = ep.hostHeader ? { Host: ep.hostHeader } : {};
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const one = () =>
    new Promise<void>((done) => {
      const t0 = performance.now();
      const req = http.get({ host: ep.host, port: ep.port, path: '/', headers, agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (res.statusCode === 200 && body === 'ok') {
            requests++;
            latencies.push(performance.now() - t0);
          } else errors++;
          done();
        });
        res.on('error', () => {
          errors++;
          done();
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        done();
      });
    });
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) await one();
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const ms = performance.now() - start;
  agent.destroy();
  return { requests, errors, ms, perSec: (requests / ms) * 1000, latencies };
}

/** Host PIDs of a container's processes (`docker top`). */
async function containerPids(docker: Docker, id: string): Promise<number[]> {
  const top = (await docker.getContainer(id).top()) as { Titles: string[]; Processes: string[][] };
  const col = top.Titles.indexOf('PID');
  return top.Processes.map((p) => Number(p[col])).filter((n) => n > 0);
}

/**
 * The docker-proxy (Docker's userland proxy) that forwards 127.0.0.1:port, if the engine runs
 * one: it is a process of the host, visible in /proc when this process shares the engine's PID
 * namespace. Undefined: none found (the engine publishes with iptables alone, or /proc cannot tell).
 */
function dockerProxyPid(port: number): number | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  for (const e of entries) {
    let argv: string[];
    try {
      argv = fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (!path.basename(argv[0] ?? '').startsWith('docker-proxy')) continue;
    const at = argv.indexOf('-host-port');
    if (at >= 0 && Number(argv[at + 1]) === port) return Number(e);
  }
  return undefined;
}

/** CPU seconds of groups of processes over one run: each group's pids measured and summed. */
function groupMeter(groups: Record<string, number[]>): () => Record<string, number | undefined> {
  const keys: Record<string, number> = {};
  for (const [g, pids] of Object.entries(groups)) pids.forEach((pid, i) => (keys[`${g}#${i}`] = pid));
  const meter = new CpuMeter(keys);
  return () => {
    const raw = meter.read();
    const out: Record<string, number | undefined> = {};
    for (const g of Object.keys(groups)) {
      const parts = Object.entries(raw).filter(([k]) => k.startsWith(`${g}#`)).map(([, v]) => v);
      out[g] = parts.length && parts.every((v) => v !== undefined) ? round(parts.reduce((a, b) => a! + b!, 0)!, 2) : undefined;
    }
    out.otherProcesses = raw.otherProcesses;
    if (raw.steal !== undefined) out.steal = raw.steal;
    return out;
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const run = setUpRun('ingress', QUICK ? 280_000 : 900_000, log);
  try {
    const { cp, client, docker, clusterName } = await startBenchCluster(run, 'ingress', { nodes: 2, ingress: { httpPort: 0, httpsPort: 0 } }, log);
    const publishedPort = cp.ingress!.http;
    const labels = { app: 'bench-server' };
    await client.create('pods', 'default', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'server', namespace: 'default', labels },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: cp.docker!.images.hello.v1, imagePullPolicy: 'Never', command: ['node', '-e', SERVER], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
    } as unknown as Pod);
    await client.create('services', 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'server', namespace: 'default' }, spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } } as unknown as Service);
    await client.create('ingresses.networking.k8s.io', 'default', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'bench', namespace: 'default' },
      spec: { rules: [{ host: CFG.host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'server', port: { number: 80 } } } }] } }] },
    } as unknown as KubeObject);
    const podIP = await waitFor('the server pod Running', async () => {
      const s = await client.get<Pod>('pods', 'default', 'server');
      return s.status?.phase === 'Running' ? s.status.podIP : undefined;
    });
    await waitFor(`the ${INGRESS_DEPLOYMENT} Deployment ready`, async () => ((await client.get<Deployment>('deployments.apps', 'kube-system', INGRESS_DEPLOYMENT)).status?.readyReplicas ?? 0) >= 1 || undefined, 180_000);
    const ingressPod = await waitFor('the ingress controller pod', async () => {
      const list = await client.list<Pod>('pods', 'kube-system', { labelSelector: 'app.kubernetes.io/name=flotilla-ingress' });
      return list.items.find((p) => p.status?.phase === 'Running' && p.status.podIP);
    });
    const endpoints: Record<PathName, Endpoint> = {
      direct: { host: podIP, port: 8080 },
      ingressPod: { host: ingressPod.status!.podIP!, port: 80, hostHeader: CFG.host },
      ingress: { host: '127.0.0.1', port: publishedPort, hostHeader: CFG.host },
    };
    for (const p of PATHS) await waitFor(`${LABELS[p]} answers`, async () => (await load(endpoints[p], 0.1, 1)).requests > 0 || undefined, 60_000);
    log(`server pod ${podIP}, ingress pod ${endpoints.ingressPod.host} on node ${ingressPod.spec?.nodeName}, published on 127.0.0.1:${publishedPort}`);

    // Whose CPU each run uses: this load generator, the server, nginx (the controller pod's
    // processes: nginx's master and workers, and the controller, idle while nothing changes) and
    // docker-proxy, when the engine forwards the published port with it.
    const appOf = async (ns: string, pod: string) => (await docker.listContainers({ filters: { label: [`flotilla.dev/cluster=${clusterName}`, `flotilla.dev/namespace=${ns}`, `flotilla.dev/pod=${pod}`, 'flotilla.dev/container-kind=app'] } }))[0]?.Id;
    const serverApp = await appOf('default', 'server');
    const ingressApp = await appOf('kube-system', ingressPod.metadata.name!);
    const proxyPid = dockerProxyPid(publishedPort);
    const groups = {
      loadGenerator: [process.pid],
      server: serverApp ? await containerPids(docker, serverApp) : [],
      ingressPod: ingressApp ? await containerPids(docker, ingressApp) : [],
      dockerProxy: proxyPid ? [proxyPid] : [],
    };
    log(proxyPid ? `127.0.0.1:${publishedPort} is forwarded by docker-proxy (pid ${proxyPid}): Docker's userland proxy` : `no docker-proxy for 127.0.0.1:${publishedPort}: published by iptables alone (or not visible from here)`);

    for (const p of PATHS) await load(endpoints[p], CFG.warmupSeconds, CFG.concurrency);
    const perRound: Record<PathName, { perSec: number; requests: number; errors: number; seconds: number; latencyMs: LatencySummary; cpuSec: Record<string, number | undefined> }[]> = { direct: [], ingressPod: [], ingress: [] };
    const pooled: Record<PathName, number[]> = { direct: [], ingressPod: [], ingress: [] };
    let failedRequests = 0;
    for (let r = 0; r < CFG.rounds; r++) {
      for (const p of PATHS) {
        const cpu = groupMeter(groups);
        const res = await load(endpoints[p], CFG.seconds, CFG.concurrency);
        const cpuSec = cpu();
        failedRequests += res.errors;
        for (const l of res.latencies) pooled[p].push(l);
        const latencyMs = summarize(res.latencies);
        perRound[p].push({ perSec: round(res.perSec, 1), requests: res.requests, errors: res.errors, seconds: round(res.ms / 1000, 2), latencyMs, cpuSec });
        log(`round ${r + 1} ${p}: ${Math.round(res.perSec)} req/s, ${fmtP(latencyMs.p50, latencyMs.p99)}${res.errors ? `, ${res.errors} errors` : ''}`);
      }
    }

    const rps = (p: PathName) => median(perRound[p].map((x) => x.perSec));
    const ratio = (p: PathName) => median(perRound[p].map((x, i) => x.perSec / perRound.direct[i]!.perSec));
    const lat = Object.fromEntries(PATHS.map((p) => [p, summarize(pooled[p])])) as Record<PathName, LatencySummary>;
    // CPU milliseconds per request of each process group, summed over the rounds of a path.
    const cpuPerReq = (p: PathName) => {
      const reqs = perRound[p].reduce((a, x) => a + x.requests, 0);
      const out: Record<string, number | undefined> = {};
      for (const g of [...Object.keys(groups), 'otherProcesses']) {
        const vals = perRound[p].map((x) => x.cpuSec[g]);
        out[g] = vals.every((v) => v !== undefined) && reqs ? round((vals.reduce((a, b) => a! + b!, 0)! * 1000) / reqs, 4) : undefined;
      }
      return out;
    };
    const cpu = Object.fromEntries(PATHS.map((p) => [p, cpuPerReq(p)])) as Record<PathName, Record<string, number | undefined>>;
    const fmtCpu = (c: Record<string, number | undefined>) => `load ${c.loadGenerator ?? '-'}, server ${c.server ?? '-'}, nginx ${c.ingressPod ?? '-'}, docker-proxy ${proxyPid ? (c.dockerProxy ?? '-') : 'none'}, other ${c.otherProcesses ?? '-'}`;
    // Other work on the machine (other benchmarks, tests) takes cores from the paths measured: as
    // much of it as the paths' own CPU makes a run's ratios noise.
    const runs = PATHS.flatMap((p) => perRound[p]);
    const otherCores = round(runs.reduce((a, x) => a + (x.cpuSec.otherProcesses ?? 0), 0) / runs.reduce((a, x) => a + x.seconds, 0), 2);
    const pct = (x: number) => `${round(x * 100, 1)}%`;
    const verdict = ratio('ingress');
    const rows: Row[] = [
      { metric: `HTTP keep-alive req/s through the Ingress (127.0.0.1:port, ${CFG.concurrency} in flight)`, measured: `${fmtNum(rps('ingress'))} = ${pct(verdict)} of direct`, target: `>= ${TARGET_RATIO * 100}% of direct`, met: verdict >= TARGET_RATIO && failedRequests === 0, floor: `${fmtNum(rps('direct'))} req/s to the pod IP` },
      { metric: 'latency through the Ingress', measured: fmtP(lat.ingress.p50, lat.ingress.p99), floor: `direct ${fmtP(lat.direct.p50, lat.direct.p99)}` },
      { metric: 'req/s to the ingress pod IP:80 (nginx, no port publishing)', measured: `${fmtNum(rps('ingressPod'))} = ${pct(ratio('ingressPod'))} of direct; ${fmtP(lat.ingressPod.p50, lat.ingressPod.p99)}`, floor: `the published port reaches ${pct(median(perRound.ingress.map((x, i) => x.perSec / perRound.ingressPod[i]!.perSec)))} of it` },
      ...PATHS.map((p) => ({ metric: `CPU ms per request, ${LABELS[p]}`, measured: fmtCpu(cpu[p]) })),
      { metric: 'other processes on the machine during the runs', measured: `${otherCores} cores busy on average`, floor: `of ${os.cpus().length} cores` },
      { metric: 'port publishing of 127.0.0.1:port', measured: proxyPid ? 'docker-proxy (userland proxy)' : 'iptables (no docker-proxy seen)' },
      { metric: 'failed requests', measured: String(failedRequests), target: '0', met: failedRequests === 0 },
    ];
    const result = {
      ...runHeader('flotilla ingress', started, t0, QUICK),
      environment: environment(),
      config: { ...CFG, targetRatio: TARGET_RATIO },
      otherProcessesCores: otherCores,
      portPublishing: proxyPid ? 'docker-proxy' : 'iptables',
      paths: Object.fromEntries(PATHS.map((p) => [p, { what: LABELS[p], reqPerSec: rps(p), ratioToDirect: round(ratio(p)), latencyMs: lat[p], cpuMsPerRequest: cpu[p], rounds: perRound[p] }])),
      verdict: { ratio: round(verdict), target: TARGET_RATIO, met: rows[0]!.met },
      failedRequests,
    };
    const table = renderTable(rows);
    const json = JSON.stringify(result, null, 2);
    process.stdout.write(`${json}\n`);
    process.stderr.write(`${table}\n`);
    log(`results saved to ${path.relative(ROOT, saveResults(QUICK ? 'ingress-quick' : 'ingress', started, json, table))}`);
    if (failedRequests > 0) process.exitCode = 1;
  } finally {
    await run.finish();
  }
}

main().catch((e) => {
  log(`bench:ingress failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
