// Issue 4 acceptance, part 1: workloads on a real 3-node Docker cluster, driven with the real
// kubectl as a user would. The control plane runs in this process; the nodes are containers of
// the node image running our kubelet; pods are sibling containers on the cluster's own Docker
// network. Nothing is pulled (FLOTILLA_OFFLINE=1): the images are built locally or cached.
//
// The kubelet's CrashLoopBackOff base is set to 1 s (kube: 10 s) through the node environment
// (FLOTILLA_BACKOFF_BASE_MS), so a growing back-off shows within seconds.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src-main/api/types.js';
import { kubectlInBackground, parseTable } from '../helpers/kubectlTools.js';
import { appContainer, dockerId, fetchFromPod, getPod, readyPods, removeDockerCluster, startDockerCluster, uniqueClusterName, waitPodReady, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { docker, dockerUp } from '../helpers/dockerEngine.js';
import { helloDeployment, manifest, servingHello } from '../helpers/helloApp.js';
import { skipWithout } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';
import { openWatch } from '../helpers/watchStream.js';

const CLUSTER = uniqueClusterName('a');
const BACKOFF_BASE_MS = 1000;

let c: DockerTestCluster;
/** The hello Deployment's pods, one per node, by name. */
let web: Pod[] = [];

const status0 = (p: Pod | undefined) => p?.status?.containerStatuses?.[0];

function helloPod(name: string, extra = '', env: Record<string, string> = {}): string {
  const envYaml = Object.entries(env)
    .map(([k, v]) => `    - {name: ${k}, value: "${v}"}\n`)
    .join('');
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: app
    image: flotilla/hello:1.0
    imagePullPolicy: Never
    ports: [{name: http, containerPort: 8080}]
${envYaml ? `    env:\n${envYaml}` : ''}${extra}`;
}

describe.skipIf(skipWithout('a Docker engine', dockerUp))('a 3-node Docker cluster runs workloads (issue 4)', () => {
  beforeAll(async () => {
    // The first run on a fresh machine builds the images (debootstrap): minutes, not seconds.
    c = await startDockerCluster(CLUSTER, { nodeEnv: { FLOTILLA_BACKOFF_BASE_MS: String(BACKOFF_BASE_MS) } });
  }, 300_000);

  afterAll(async () => {
    await removeDockerCluster(c, CLUSTER);
  }, 120_000);

  it('comes up with 3 Ready nodes (kubectl get nodes)', async () => {
    const t = parseTable(await c.kubectlOK(['get', 'nodes', '-o', 'wide']));
    expect(t.rows.map((r) => [r.NAME, r.STATUS])).toEqual([
      ['node-1', 'Ready'],
      ['node-2', 'Ready'],
      ['node-3', 'Ready'],
    ]);
    for (const r of t.rows) {
      expect(r['INTERNAL-IP']).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(r['CONTAINER-RUNTIME']).toMatch(/^docker:\/\//);
    }
    expect(new Set(t.rows.map((r) => r['INTERNAL-IP'])).size).toBe(3);
  });

  it('spreads a Deployment of flotilla/hello over the nodes; every pod answers on its pod IP from another pod', async () => {
    const t0 = performance.now();
    // NODE_NAME from the downward API, so that each pod says where it runs.
    const hello = servingHello({ env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }] });
    await c.kubectlOK(['apply', '-f', '-'], { input: manifest(helloDeployment('web', 3, { container: hello })) });
    await c.kubectlOK(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
    console.log(`deployment web: 3 pods Ready in ${Math.round(performance.now() - t0)} ms`);
    web = (await readyPods(c, 'app=web')).sort((a, b) => a.spec.nodeName!.localeCompare(b.spec.nodeName!));
    expect(web).toHaveLength(3);
    expect(web.map((p) => p.spec.nodeName)).toEqual(['node-1', 'node-2', 'node-3']);
    const ips = web.map((p) => p.status!.podIP!);
    expect(new Set(ips).size).toBe(3);
    const table = parseTable(await c.kubectlOK(['get', 'pods', '-l', 'app=web', '-o', 'wide']));
    expect(table.rows.map((r) => r.STATUS)).toEqual(['Running', 'Running', 'Running']);
    expect(table.rows.map((r) => r.IP).sort()).toEqual([...ips].sort());

    // From each pod to every pod (itself included), across nodes, on the pod IPs.
    for (const from of web) {
      for (const to of web) {
        const r = await fetchFromPod(c, from.metadata.name!, `http://${to.status!.podIP}:8080/`);
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(`Hello from ${to.metadata.name} on ${to.spec.nodeName} (version 1.0)\n`);
      }
    }
  }, 90_000);

  it('kubectl exec: stdout and stderr, and the exit code of the command', async () => {
    const pod = web[0]!.metadata.name!;
    const ok = await c.kubectl(['exec', pod, '--', 'sh', '-c', 'echo out; echo err >&2; hostname']);
    expect(ok).toEqual({ code: 0, stdout: `out\n${pod}\n`, stderr: 'err\n' });
    const three = await c.kubectl(['exec', pod, '--', 'sh', '-c', 'exit 3']);
    expect(three.code).toBe(3);
    expect(three.stdout).toBe('');
    expect(three.stderr).toContain('command terminated with exit code 3');
    const missing = await c.kubectl(['exec', pod, '--', 'no-such-command']);
    expect(missing.code).not.toBe(0);
  });

  it('kubectl logs, and logs -f streams new lines until stopped', async () => {
    const [p0, p1] = web as [Pod, Pod];
    const name = p0.metadata.name!;
    const logs = await c.kubectlOK(['logs', name]);
    expect(logs).toMatch(new RegExp(`hello 1\\.0 listening on port 8080 as ${name} on ${p0.spec.nodeName}`));
    expect(await c.kubectlOK(['logs', `deployment/web`, '--tail=1'])).toMatch(/\S/);

    const follow = kubectlInBackground(c, ['logs', '-f', name, '--tail=1'], { timeoutMs: 60_000 });
    try {
      // The last existing line first, then lines written while kubectl follows.
      await follow.waitFor(/\n/, 'stdout', 15_000);
      const marker = `follow-${Date.now().toString(36)}`;
      for (let i = 1; i <= 2; i++) {
        const r = await fetchFromPod(c, p1.metadata.name!, `http://${p0.status!.podIP}:8080/?marker=${marker}-${i}`);
        expect(r.code).toBe(0);
      }
      const out = await follow.waitFor(new RegExp(`${marker}-2`), 'stdout', 15_000);
      expect(out).toMatch(new RegExp(`GET /\\?marker=${marker}-1 from .*\\n.*GET /\\?marker=${marker}-2 from `));
      expect(follow.done()).toBe(false); // still following
    } finally {
      await follow.stop();
    }
    // No previous instance yet.
    const prev = await c.kubectl(['logs', name, '--previous']);
    expect(prev.code).not.toBe(0);
    expect(prev.stderr).toMatch(/previous terminated container "hello" in pod/);
  }, 60_000);

  it('restarts a container killed by hand (docker kill), and logs --previous shows the old one', async () => {
    const pod = web[1]!;
    const name = pod.metadata.name!;
    const before = await appContainer(CLUSTER, name, 'hello');
    expect(before.Id).toBe(dockerId(status0(pod)!.containerID));
    const t0 = performance.now();
    await docker.getContainer(before.Id).kill({ signal: 'SIGKILL' });
    const after = await until(
      'restartCount 1, Running and Ready',
      async () => {
        const p = await getPod(c, name);
        const s = status0(p);
        return s?.restartCount === 1 && s.state?.running && s.ready ? p : undefined;
      },
      20_000,
      100,
    );
    console.log(`docker kill: container restarted and Ready again in ${Math.round(performance.now() - t0)} ms`);
    const s = status0(after)!;
    expect(dockerId(s.containerID)).not.toBe(before.Id);
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 137, reason: 'Error', containerID: `docker://${before.Id}` });
    // The new instance started after the old one died (Docker's stamps, as the status reports them).
    expect(Date.parse(s.state!.running!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(s.lastState!.terminated!.finishedAt!));
    expect((await appContainer(CLUSTER, name, 'hello')).Id).toBe(dockerId(s.containerID));
    // Same sandbox: the pod keeps its IP.
    expect(after.status!.podIP).toBe(pod.status!.podIP);
    const row = parseTable(await c.kubectlOK(['get', 'pod', name])).rows[0]!;
    expect(row).toMatchObject({ READY: '1/1', STATUS: 'Running' });
    expect(row.RESTARTS).toMatch(/^1 \(\d+s ago\)$/);

    const previous = await c.kubectlOK(['logs', name, '--previous']);
    expect(previous).toMatch(new RegExp(`listening on port 8080 as ${name}`));
    const current = await c.kubectlOK(['logs', name]);
    expect(current).toMatch(new RegExp(`listening on port 8080 as ${name}`));
    expect(current).not.toBe(previous);
  }, 40_000);

  it('gates Ready on the readiness probe: Running but not Ready first, then Ready', async () => {
    const readyAfterMs = 4000;
    const probe = `    readinessProbe:\n      httpGet: {path: /readyz, port: http}\n      periodSeconds: 1\n`;
    await c.kubectlOK(['apply', '-f', '-'], { input: helloPod('slow-ready', probe, { HELLO_READY_AFTER_MS: String(readyAfterMs) }) });
    const running = await until(
      'slow-ready Running',
      async () => {
        const p = await getPod(c, 'slow-ready');
        return p?.status?.phase === 'Running' ? p : undefined;
      },
      30_000,
      100,
    );
    expect(running.status!.conditions!.find((x) => x.type === 'Ready')?.status).toBe('False');
    expect(status0(running)).toMatchObject({ ready: false, started: true });
    expect(status0(running)!.state!.running).toBeTruthy();
    const row = parseTable(await c.kubectlOK(['get', 'pod', 'slow-ready'])).rows[0]!;
    expect(row).toMatchObject({ READY: '0/1', STATUS: 'Running' });

    await c.kubectlOK(['wait', '--for=condition=Ready', 'pod/slow-ready', '--timeout=30s'], { timeoutMs: 40_000 });
    const ready = await getPod(c, 'slow-ready');
    expect(status0(ready)).toMatchObject({ ready: true, restartCount: 0 });
    // Ready no sooner than the app allowed, on the status's own clock: from the container's start
    // to the Ready transition (both whole seconds, cut down: at least the delay's whole seconds).
    const readySince = Date.parse(ready!.status!.conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime!);
    const startedAt = Date.parse(status0(ready)!.state!.running!.startedAt!);
    expect(readySince - startedAt).toBeGreaterThanOrEqual(Math.floor(readyAfterMs / 1000) * 1000);
    expect(parseTable(await c.kubectlOK(['get', 'pod', 'slow-ready'])).rows[0]).toMatchObject({ READY: '1/1', STATUS: 'Running' });
    await c.kubectlOK(['delete', 'pod', 'slow-ready', '--wait=false']);
  }, 60_000);

  it('puts configMap and secret contents in files and in the environment', async () => {
    const manifest = `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  greeting: hello from a configmap
  app.conf: |
    port=8080
    mode=test
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData:
  password: s3cr3t-pa55
  token: tok-123
---
${helloPod(
  'configured',
  `    env:
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: app-config, key: greeting}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: app-secret, key: password}}
    envFrom:
    - prefix: SEC_
      secretRef: {name: app-secret}
    volumeMounts:
    - {name: config, mountPath: /etc/config}
    - {name: secret, mountPath: /etc/secret, readOnly: true}
  volumes:
  - name: config
    configMap: {name: app-config}
  - name: secret
    secret: {secretName: app-secret}
`,
)}`;
    await c.kubectlOK(['apply', '-f', '-'], { input: manifest });
    await waitPodReady(c, 'configured');
    const exec = (cmd: string) => c.kubectlOK(['exec', 'configured', '--', 'sh', '-c', cmd]);
    expect(await exec('cat /etc/config/app.conf')).toBe('port=8080\nmode=test\n');
    expect(await exec('cat /etc/config/greeting')).toBe('hello from a configmap');
    expect((await exec('ls /etc/config')).split('\n').filter(Boolean).sort()).toEqual(['app.conf', 'greeting']);
    expect(await exec('cat /etc/secret/password')).toBe('s3cr3t-pa55');
    expect(await exec('cat /etc/secret/token')).toBe('tok-123');
    expect(await exec('echo "$GREETING|$PASSWORD|$SEC_password|$SEC_token"')).toBe('hello from a configmap|s3cr3t-pa55|s3cr3t-pa55|tok-123\n');
    // The secret's files are not writable by the container.
    expect((await c.kubectl(['exec', 'configured', '--', 'sh', '-c', 'echo x > /etc/secret/password'])).code).not.toBe(0);
    await c.kubectlOK(['delete', 'pod', 'configured', '--wait=false']);
  }, 60_000);

  it('reaches CrashLoopBackOff with a growing delay between restarts', async () => {
    // Every status the kubelet writes, from a watch opened first: each finished run shows up in
    // lastState.terminated (with Docker's start and finish stamps) when the next one starts.
    const list = (await c.request('GET', '/api/v1/namespaces/default/pods')).json as { metadata: { resourceVersion: string } };
    const w = openWatch(c, `/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3Dcrasher&resourceVersion=${list.metadata.resourceVersion}`);
    const runs = new Map<string, { startedAt: string; finishedAt: string }>();
    let p: Pod;
    try {
      await c.kubectlOK(['apply', '-f', '-'], { input: helloPod('crasher', '', { HELLO_CRASH_AFTER_MS: '300' }) });
      const last = await w.waitForEvent(
        (e) => {
          const t = status0(e.object)?.lastState?.terminated;
          if (t?.containerID && t.startedAt && t.finishedAt) runs.set(t.containerID, { startedAt: t.startedAt, finishedAt: t.finishedAt });
          return runs.size >= 4 && (status0(e.object)?.restartCount ?? 0) >= 4 && status0(e.object)?.state?.waiting?.reason === 'CrashLoopBackOff';
        },
        'four finished runs, restartCount 4 and CrashLoopBackOff',
        60_000,
      );
      p = last.object as Pod;
    } finally {
      w.close();
    }
    const byStart = [...runs.values()].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
    console.log(`crash loop: runs from lastState ${JSON.stringify(byStart)}`);
    // The kubelet restarted at once after the first crash, then waited base, then 2 x base. The
    // stamps are whole seconds, cut down, so each idle time shows as at least its whole seconds (and
    // a run the watch did not see only makes an idle time longer).
    expect(byStart.length).toBeGreaterThanOrEqual(4);
    const idle = byStart.slice(1).map((r, i) => Date.parse(r.startedAt) - Date.parse(byStart[i]!.finishedAt));
    expect(idle[1]).toBeGreaterThanOrEqual(Math.floor(BACKOFF_BASE_MS / 1000) * 1000);
    expect(idle[2]).toBeGreaterThanOrEqual(Math.floor((2 * BACKOFF_BASE_MS) / 1000) * 1000);
    expect(idle[2]).toBeGreaterThanOrEqual(idle[0]!);
    const s = status0(p)!;
    expect(s.lastState!.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(p.status!.phase).toBe('Running');

    // kubectl shows it, and the kubelet's BackOff events.
    const row = await until(
      'CrashLoopBackOff in kubectl get pod',
      async () => {
        const r = parseTable(await c.kubectlOK(['get', 'pod', 'crasher'])).rows[0]!;
        return r.STATUS === 'CrashLoopBackOff' ? r : undefined;
      },
      20_000,
      200,
    );
    expect(row.READY).toBe('0/1');
    expect(Number(row.RESTARTS!.split(' ')[0])).toBeGreaterThanOrEqual(4);
    const events = JSON.parse(await c.kubectlOK(['get', 'events', '--field-selector', 'involvedObject.name=crasher', '-o', 'json'])) as { items: { reason: string; type: string; message: string; count?: number }[] };
    const backOff = events.items.filter((e) => e.reason === 'BackOff');
    expect(backOff.length).toBeGreaterThan(0);
    expect(backOff[0]).toMatchObject({ type: 'Warning', message: expect.stringMatching(/^Back-off restarting failed container app in pod crasher_default/) });
    const waiting = status0(await getPod(c, 'crasher'))!.state!.waiting;
    if (waiting) expect(waiting.message).toMatch(/^back-off \d+s restarting failed container=app pod=crasher_default/);
    expect(await c.kubectlOK(['logs', 'crasher', '--previous'])).toContain('crashing after 300 ms (HELLO_CRASH_AFTER_MS)');
    await c.kubectlOK(['delete', 'pod', 'crasher', '--wait=false']);
  }, 70_000);

  it('reports a memory hog over its limit as OOMKilled (lastState.terminated) and restarts it', async () => {
    const limits = `    resources:\n      limits: {memory: 64Mi}\n`;
    await c.kubectlOK(['apply', '-f', '-'], { input: helloPod('hog', limits) });
    const hog = await waitPodReady(c, 'hog');
    // Asked from another pod: the hog dies mid-answer, so the request itself fails.
    await fetchFromPod(c, web[0]!.metadata.name!, `http://${hog.status!.podIP}:8080/oom?mb=200`);
    const p = await until(
      'OOMKilled in lastState',
      async () => {
        const x = await getPod(c, 'hog');
        const s = status0(x);
        return s?.lastState?.terminated?.reason === 'OOMKilled' && s.restartCount === 1 && s.state?.running ? x : undefined;
      },
      30_000,
      100,
    );
    expect(status0(p)!.lastState!.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(await c.kubectlOK(['get', 'pod', 'hog', '-o', 'jsonpath={.status.containerStatuses[0].lastState.terminated.reason} {.status.containerStatuses[0].lastState.terminated.exitCode}'])).toBe('OOMKilled 137');
    const describe = await c.kubectlOK(['describe', 'pod', 'hog']);
    expect(describe).toMatch(/Last State:\s+Terminated\s*\n\s+Reason:\s+OOMKilled\s*\n\s+Exit Code:\s+137/);
    expect(describe).toMatch(/Limits:\s*\n\s+memory:\s+64Mi/);
    expect(await c.kubectlOK(['logs', 'hog', '--previous'])).toContain('allocating 200 MB as asked');
    await c.kubectlOK(['delete', 'pod', 'hog', '--wait=false']);
  }, 60_000);
});
