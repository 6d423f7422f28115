// `kubectl attach` and `kubectl logs` with their options, through the real API server (which
// relays to the kubelet) and the real kubelet on a Docker node, on pods whose output the test
// controls: small Node.js programs run with the hello image's node binary. New log lines are
// written into PID 1's stdout with `kubectl exec ... > /proc/1/fd/1`, so the test decides what the
// log holds and when. What is expected is Kubernetes' behaviour: the kubelet's log options
// (sinceSeconds, timestamps in fixed-width RFC3339Nano, limitBytes counted on what is sent,
// tailLines, follow until the container exits) and attach to the container's own stdin/stdout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Demuxer } from '../../src-main/kubelet/streams.js';
import { startSession, type ChildSession } from '../helpers/childSession.js';
import { appContainer, removeDockerCluster, startDockerCluster, uniqueClusterName, waitPodReady, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { docker } from '../helpers/dockerEngine.js';
import { KUBECTL, kubectlArgs, kubectlEnv, kubectlSession } from '../helpers/kubectl.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('streams');

let c: DockerTestCluster;

/** Echoes each stdin line to stdout (and its length to stderr); "size" prints the terminal size, "bye" exits 0. */
const ECHO = `
const kind = process.stdin.isTTY ? 'tty' : 'pipe';
const size = () => 'size ' + process.stdout.columns + 'x' + process.stdout.rows;
if (process.stdout.isTTY) process.stdout.on('resize', () => console.log('resized ' + size()));
require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
  if (l === 'bye') return process.stdout.write('bye\\n', () => process.exit(0));
  console.log(l === 'size' ? size() : kind + ' echo: ' + l);
  console.error(kind + ' got ' + l.length + ' chars');
});
console.log('ready');
`;

/**
 * Twelve known lines at start; SIGUSR2 writes "tick" 5 ms after the next whole second and "tock"
 * 2 s after that; SIGHUP writes "goodbye" and exits 0.
 */
const LOGGER = `
for (let i = 1; i <= 12; i++) process.stdout.write('line ' + String(i).padStart(2, '0') + ' ' + 'x'.repeat(i) + '\\n');
process.on('SIGUSR2', () => setTimeout(() => {
  process.stdout.write('tick\\n');
  setTimeout(() => process.stdout.write('tock\\n'), 2000);
}, 1005 - (Date.now() % 1000)));
process.on('SIGHUP', () => process.stdout.write('goodbye\\n', () => process.exit(0)));
setInterval(() => {}, 1 << 30);
`;

function pod(name: string, script: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: flotilla/hello:1.0
    imagePullPolicy: Never
    command: [node, -e, ${JSON.stringify(script)}]
${extra}`;
}

/** kubectl inside a real terminal (util-linux `script` gives it a pty), `cols` x `rows` large, as `-t` wants. */
function kubectlInTerminal(args: string[], cols: number, rows: number): ChildSession {
  const quoted = [KUBECTL, ...kubectlArgs(c.kubectlTarget, args)].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return startSession('script', ['-qfec', `stty cols ${cols} rows ${rows} && exec ${quoted}`, '/dev/null'], { env: kubectlEnv(c.kubectlTarget) });
}

/** Appends `text` to the container's log: written to its PID 1's stdout from inside the container. */
async function writeLog(podName: string, text: string): Promise<void> {
  await c.kubectlOK(['exec', podName, '--', 'sh', '-c', 'printf %s "$1" > /proc/1/fd/1', 'sh', text]);
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(?:Z|[+-]\d\d:\d\d)) /;

/** Splits `--timestamps` output into [time in ms, the line as written]. */
function stamped(out: string): { ms: number; stamp: string; line: string }[] {
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const m = STAMP.exec(l);
      if (!m) throw new Error(`no RFC3339Nano timestamp on ${JSON.stringify(l)}`);
      return { ms: Date.parse(m[1]!), stamp: m[1]!, line: l.slice(m[0].length) };
    });
}

describe('kubectl attach and kubectl logs through the API server, on a Docker node', () => {
  beforeAll(async () => {
    c = await startDockerCluster(CLUSTER, { nodes: 1 });
    await c.kubectlOK(['apply', '-f', '-'], {
      input: [pod('attach-pipe', ECHO, '    stdin: true\n'), pod('attach-tty', ECHO, '    stdin: true\n    tty: true\n'), pod('logger', LOGGER)].join('---\n'),
    });
    for (const name of ['attach-pipe', 'attach-tty', 'logger']) await waitPodReady(c, name, 60_000);
    // The programs have started (attach only shows what is written after it joins).
    for (const name of ['attach-pipe', 'attach-tty']) await until(`${name} ready`, async () => /ready/.test(await c.kubectlOK(['logs', name])));
    await until('the logger wrote its lines', async () => /line 12/.test(await c.kubectlOK(['logs', 'logger'])));
  }, 300_000);

  afterAll(async () => {
    await removeDockerCluster(c, CLUSTER);
  }, 120_000);

  it('kubectl attach -i: stdin reaches the container, its stdout and stderr come back apart, and its exit ends the session', async () => {
    const k = kubectlSession(c.kubectlTarget, ['attach', '-i', 'attach-pipe']);
    k.write('hello\n');
    await k.waitFor(/pipe echo: hello\n/);
    await k.waitFor(/pipe got 5 chars\n/, 'stderr');
    k.write('second line\n');
    await k.waitFor(/pipe echo: second line\n/);
    k.write('bye\n');
    const r = await k.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('pipe echo: hello\npipe echo: second line\nbye\n');
    expect(r.stderr).toContain('pipe got 5 chars\npipe got 11 chars\n');
    // The container exited 0 on its own: the pod Succeeded.
    await until('attach-pipe Succeeded', async () => (await c.kubectlOK(['get', 'pod', 'attach-pipe', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded');
  }, 60_000);

  it('kubectl attach -it in a terminal: the container sees a TTY of the terminal’s size, input echoes, output comes back', async () => {
    const k = kubectlInTerminal(['attach', '-it', 'attach-tty'], 100, 40);
    // kubectl sends the size +1 and then the size itself, so the container sees a change either way.
    await k.waitFor(/resized size 100x40/);
    k.write('size\r');
    await k.waitFor(/\r\nsize 100x40\r\n/);
    k.write('hello\r');
    // The container's terminal echoes the input, then the program answers; stderr shares the TTY.
    await k.waitFor(/hello\r\ntty echo: hello\r\ntty got 5 chars\r\n/);
    k.write('bye\r');
    const r = await k.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bye\r\nbye\r\n/);
    await until('attach-tty Succeeded', async () => (await c.kubectlOK(['get', 'pod', 'attach-tty', '-o', 'jsonpath={.status.phase}'])) === 'Succeeded');
  }, 60_000);

  it('kubectl logs --timestamps: each line prefixed with the runtime’s fixed-width RFC3339Nano time', async () => {
    const plain = await c.kubectlOK(['logs', 'logger']);
    const out = await c.kubectlOK(['logs', 'logger', '--timestamps']);
    const lines = stamped(out);
    expect(lines.map((l) => `${l.line}\n`).join('')).toBe(plain);
    expect(lines.length).toBe(12);
    for (let i = 1; i < lines.length; i++) expect(lines[i]!.ms).toBeGreaterThanOrEqual(lines[i - 1]!.ms);
    // The times are the ones the container runtime recorded for each line.
    const id = (await appContainer(CLUSTER, 'logger', 'app')).Id;
    const raw = (await docker.getContainer(id).logs({ stdout: true, stderr: true, timestamps: true, follow: false })) as unknown as Buffer;
    let docker_ = '';
    new Demuxer((_s, p) => (docker_ += p.toString('utf8'))).push(raw);
    expect(out).toBe(docker_);
  });

  it('kubectl logs --limit-bytes=N: exactly the first N bytes (of the timestamped lines with --timestamps)', async () => {
    const full = await c.kubectlOK(['logs', 'logger']);
    const bytes = Buffer.byteLength(full);
    for (const n of [1, 7, 50, bytes - 1, bytes, bytes + 100]) {
      const out = await c.kubectlOK(['logs', 'logger', `--limit-bytes=${n}`]);
      expect([n, out]).toEqual([n, full.slice(0, n)]);
    }
    const withTimes = await c.kubectlOK(['logs', 'logger', '--timestamps']);
    expect(await c.kubectlOK(['logs', 'logger', '--timestamps', '--limit-bytes=40'])).toBe(withTimes.slice(0, 40));
    // kubectl sends no limit for 0; the API refuses limitBytes=0 as kube-apiserver does.
    expect(await c.kubectlOK(['logs', 'logger', '--limit-bytes=0'])).toBe(full);
    const zero = await c.request('GET', '/api/v1/namespaces/default/pods/logger/log?limitBytes=0');
    expect([zero.status, zero.json?.kind, zero.json?.reason]).toEqual([422, 'Status', 'Invalid']);
  });

  it('kubectl logs --tail=N: the last N lines', async () => {
    const full = (await c.kubectlOK(['logs', 'logger'])).split('\n').slice(0, -1);
    expect(await c.kubectlOK(['logs', 'logger', '--tail=3'])).toBe(`${full.slice(-3).join('\n')}\n`);
    expect(await c.kubectlOK(['logs', 'logger', '--tail=1'])).toBe(`${full.at(-1)}\n`);
    expect(await c.kubectlOK(['logs', 'logger', '--tail=0'])).toBe('');
    expect(await c.kubectlOK(['logs', 'logger', '--tail=100'])).toBe(`${full.join('\n')}\n`);
    expect(await c.kubectlOK(['logs', 'logger', '--tail=2', '--limit-bytes=4'])).toBe(full.at(-2)!.slice(0, 4));
  });

  it('kubectl logs --since=Ns: only the lines of the last N seconds', async () => {
    const N = 4;
    // The logger writes "tick" just after a whole second and "tock" 2 s later (SIGUSR2).
    await c.kubectlOK(['exec', 'logger', '--', 'sh', '-c', 'kill -USR2 1']);
    const logged = await until('tick and tock', async () => {
      const l = stamped(await c.kubectlOK(['logs', 'logger', '--timestamps']));
      return l.some((x) => x.line === 'tock') ? l : undefined;
    });
    const tick = logged.find((x) => x.line === 'tick')!;
    // Wait (by the log's own clock) until "tick" is just older than N seconds, and ask at once.
    await until(`tick older than ${N}s`, () => Date.now() > tick.ms + N * 1000 + 10, 30_000, 5);
    const t0 = Date.now();
    const out = await c.kubectlOK(['logs', 'logger', `--since=${N}s`, '--timestamps']);
    const t1 = Date.now();
    const all = stamped(await c.kubectlOK(['logs', 'logger', '--timestamps']));
    const got = stamped(out);
    // The kubelet reads "now" somewhere between t0 and t1: lines older than t0 - N are out, lines
    // newer than t1 - N are in (those in between may go either way), and what comes is a suffix.
    // Kubernetes cuts at the exact instant, not at a whole second: "tick", a few milliseconds
    // past a whole second and more than N seconds old, is out.
    expect(all.slice(all.length - got.length)).toEqual(got);
    for (const l of got) expect(l.ms, `${l.stamp} ${l.line}`).toBeGreaterThanOrEqual(t0 - N * 1000 - 1);
    for (const l of all) if (l.ms >= t1 - N * 1000 + 1) expect(got.map((g) => g.line)).toContain(l.line);
    expect(got.map((g) => g.line)).not.toContain('tick');
    expect(got.map((g) => g.line).filter((l) => l !== 'tock')).toEqual([]);
  });

  it('kubectl logs -f: the lines so far, each new line as it is written, the end when the container exits', async () => {
    const before = await c.kubectlOK(['logs', 'logger']);
    // With a byte limit, following stops by itself once the limit is reached.
    const limited = kubectlSession(c.kubectlTarget, ['logs', '-f', 'logger', `--limit-bytes=${Buffer.byteLength(before) + 5}`]);
    const f = kubectlSession(c.kubectlTarget, ['logs', '-f', 'logger']);
    await until('logs -f to print the lines so far', () => f.stdout().length >= before.length);
    expect(f.stdout()).toBe(before);
    await writeLog('logger', 'followed 1\n');
    await f.waitFor(/followed 1\n$/);
    expect(await limited.exited).toMatchObject({ code: 0, stdout: `${before}follo` });
    await writeLog('logger', 'followed 2\n');
    await f.waitFor(/followed 2\n$/);
    // The container exits: the stream ends, kubectl exits 0 with everything.
    await c.kubectlOK(['exec', 'logger', '--', 'sh', '-c', 'kill -HUP 1']);
    const r = await f.exited;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${before}followed 1\nfollowed 2\ngoodbye\n`);
  }, 60_000);
});
