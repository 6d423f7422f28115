import fs from 'node:fs';
import inspector from 'node:inspector';
import readline from 'node:readline';
import { startControlPlane, type ControlPlane } from '../../src-main/controlplane.js';

// Child process of bench:nodes: calls startControlPlane with Docker nodes (scheduler and
// controllers on, API server on a free loopback port, data in argv's dataDir) exactly as the
// CLI does, and records marks (epoch ms, sub-millisecond) of what happened inside the call: the
// call itself, every image progress report, every log line (the cluster manager logs the API
// relay and each node container started), the return. The benchmark process measures readiness
// through the API (it watches nodes from the moment the kubeconfig file appears); these marks
// are its breakdown. Prints `READY <url> <kubeconfig>` when startControlPlane returned.
//
// argv[2] is a JSON ChildConfig. Commands arrive on stdin as `<id> <command>`, answered on stdout
// as `REPLY <id> <json>`:
//   marks              the marks so far
//   delete-cluster     cp.docker.cluster.deleteCluster(): every container, volume and network of the cluster
//   profile-start      starts the V8 CPU profiler on this (the main) thread
//   profile-stop FILE  stops it and writes the .cpuprofile to FILE
// On SIGTERM/SIGINT it stops the control plane (node containers keep running, as in the CLI);
// when stdin closes (the benchmark process is gone) it deletes the cluster first, so a crashed
// benchmark leaves nothing behind.

export interface ChildConfig {
  dataDir: string;
  clusterName: string;
  nodes: number;
  nodeEnv?: Record<string, string>;
  /** Profile this process's main thread across the startControlPlane call into this file. */
  profileStartFile?: string;
}

export interface Mark {
  t: number;
  what: 'call' | 'image' | 'log' | 'returned' | 'error';
  detail?: unknown;
}

const nowMs = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const marks: Mark[] = [];
  const mark = (what: Mark['what'], detail?: unknown) => {
    if (marks.length < 10_000) marks.push({ t: nowMs(), what, detail });
  };
  let cp: ControlPlane | undefined;
  let startSession: inspector.Session | undefined;
  if (cfg.profileStartFile) {
    startSession = new inspector.Session();
    startSession.connect();
    const s = startSession;
    const p = (m: string, params?: object) => new Promise<void>((resolve, reject) => s.post(m, params ?? {}, (err) => (err ? reject(err) : resolve())));
    await p('Profiler.enable');
    await p('Profiler.setSamplingInterval', { interval: 1000 });
    await p('Profiler.start');
  }
  mark('call');
  try {
    cp = await startControlPlane({
      dataDir: cfg.dataDir,
      port: 0,
      host: '127.0.0.1',
      scheduler: true,
      controllers: true,
      nodes: cfg.nodes,
      clusterName: cfg.clusterName,
      ...(cfg.nodeEnv ? { nodeEnv: cfg.nodeEnv } : {}),
      onImageProgress: (e) => mark('image', e),
      log: (l) => mark('log', l),
    });
  } catch (e) {
    mark('error', String((e as Error)?.stack ?? e));
    throw e;
  }
  mark('returned');
  if (startSession && cfg.profileStartFile) {
    const s = startSession;
    const file = cfg.profileStartFile;
    await new Promise<void>((resolve) =>
      s.post('Profiler.stop', (err, res) => {
        if (!err) fs.writeFileSync(file, JSON.stringify(res.profile));
        s.disconnect();
        resolve();
      }),
    );
  }
  process.stdout.write(`READY ${cp.url} ${cp.kubeconfigPath}\n`);

  const reply = (id: string, v: unknown) => process.stdout.write(`REPLY ${id} ${JSON.stringify(v)}\n`);
  let session: inspector.Session | undefined;
  const post = (method: string, params?: object) =>
    new Promise<unknown>((resolve, reject) => session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    const [id = '?', cmd, arg] = line.trim().split(/\s+/);
    void (async () => {
      try {
        if (cmd === 'marks') reply(id, { marks, pid: process.pid });
        else if (cmd === 'delete-cluster') {
          const report = await cp!.docker!.cluster.deleteCluster();
          reply(id, { report });
        } else if (cmd === 'profile-start') {
          session = new inspector.Session();
          session.connect();
          await post('Profiler.enable');
          await post('Profiler.setSamplingInterval', { interval: 1000 });
          await post('Profiler.start');
          reply(id, { ok: true });
        } else if (cmd === 'profile-stop' && arg && session) {
          const { profile } = (await post('Profiler.stop')) as { profile: unknown };
          session.disconnect();
          session = undefined;
          fs.writeFileSync(arg, JSON.stringify(profile));
          reply(id, { ok: true, file: arg });
        } else reply(id, { error: `unknown command ${line}` });
      } catch (e) {
        reply(id, { error: String((e as Error)?.stack ?? e) });
      }
    })();
  });

  let stopping = false;
  const stop = async (deleteFirst: boolean) => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(1), 60_000);
    try {
      if (deleteFirst) await cp!.docker?.cluster.deleteCluster().catch((e) => process.stderr.write(`deleteCluster: ${(e as Error).message}\n`));
      await cp!.stop();
    } finally {
      clearTimeout(hard);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void stop(false));
  process.on('SIGINT', () => void stop(false));
  process.stdin.on('end', () => void stop(true));
  process.stdin.on('error', () => void stop(true));
}

main().catch((e) => {
  process.stderr.write(`bench:nodes control plane child: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
