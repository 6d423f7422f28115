import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigMap, Container, Pod, Secret, Service } from '../../src-main/api/types.js';
import { silentLogger } from '../../src-main/api/log.js';
import { Backoff } from '../../src-main/kubelet/backoff.js';
import { buildEnv, expandCommand, expandVars, fieldRefValue, resourceFieldValue, serviceEnvVars, type EnvSources } from '../../src-main/kubelet/env.js';
import { isValidImageName } from '../../src-main/kubelet/images.js';
import { containerSpecHash, dockerContainerName, dockerVolumeName, stableStringify } from '../../src-main/kubelet/labels.js';
import { kubeletOptionsFromEnv, parseLabels } from '../../src-main/kubelet/main.js';
import { leaseObject, nodeConditions } from '../../src-main/kubelet/nodeStatus.js';
import { resolvePort } from '../../src-main/kubelet/probes.js';
import { dockerResources, quantityMilli, quantityValue } from '../../src-main/kubelet/resources.js';
import type { RuntimeContainer } from '../../src-main/kubelet/runtime.js';
import { computePodStatus, podPhase, statusPatch, type StatusInput } from '../../src-main/kubelet/status.js';
import { Demuxer } from '../../src-main/kubelet/streams.js';
import { makeTar } from '../../src-main/kubelet/tar.js';
import { atomicWriterEntries, copyEntries, planVolumes, projectKeys, subPathFiles } from '../../src-main/kubelet/volumes.js';
import { runtimeContainer, statusInput, testPod } from '../helpers/kubeletObjects.js';

const pod = testPod;

function svc(name: string, ns: string, ip: string, ports: Service['spec']['ports']): Service {
  return { metadata: { name, namespace: ns }, spec: { clusterIP: ip, ports } };
}

const sources = (cms: Record<string, ConfigMap['data']>, secrets: Record<string, Record<string, string>>): EnvSources => ({
  getConfigMap: async (_ns, n) => (cms[n] ? { metadata: { name: n }, data: cms[n] } : undefined),
  getSecret: async (_ns, n) => (secrets[n] ? ({ metadata: { name: n }, data: Object.fromEntries(Object.entries(secrets[n]!).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) } as Secret) : undefined),
});

describe('kubelet env', () => {
  it('expands $(VAR) like kube: known names, unknown kept, $$ escapes', () => {
    const look = (n: string) => ({ A: 'x', B: 'y' })[n];
    expect(expandVars('$(A)-$(B)-$(C)', look)).toBe('x-y-$(C)');
    expect(expandVars('$$(A) $$ $x $(A', look)).toBe('$(A) $ $x $(A');
    expect(expandVars('plain', look)).toBe('plain');
  });

  it('builds service variables for the namespace plus the master service', () => {
    const services = [
      svc('kubernetes', 'default', '10.96.0.1', [{ name: 'https', port: 443 }]),
      svc('my-db', 'ns', '10.96.0.20', [
        { name: 'sql', port: 5432 },
        { name: 'metrics', port: 9090, protocol: 'UDP' },
      ]),
      svc('headless', 'ns', 'None', [{ port: 80 }]),
      svc('other', 'elsewhere', '10.96.0.30', [{ port: 80 }]),
    ];
    const env = serviceEnvVars(services, pod({}));
    expect(env).toMatchObject({
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      MY_DB_SERVICE_HOST: '10.96.0.20',
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_SQL: '5432',
      MY_DB_SERVICE_PORT_METRICS: '9090',
      MY_DB_PORT: 'tcp://10.96.0.20:5432',
      MY_DB_PORT_5432_TCP: 'tcp://10.96.0.20:5432',
      MY_DB_PORT_5432_TCP_PROTO: 'tcp',
      MY_DB_PORT_5432_TCP_PORT: '5432',
      MY_DB_PORT_5432_TCP_ADDR: '10.96.0.20',
      MY_DB_PORT_9090_UDP: 'udp://10.96.0.20:9090',
    });
    expect(Object.keys(env).some((k) => k.startsWith('HEADLESS') || k.startsWith('OTHER'))).toBe(false);
    // enableServiceLinks: false keeps only the master service.
    const off = serviceEnvVars(services, pod({ enableServiceLinks: false }));
    expect(Object.keys(off).every((k) => k.startsWith('KUBERNETES_'))).toBe(true);
  });

  it('resolves env in order with envFrom, refs and service variables, and reports kube errors', async () => {
    const c: Container = {
      name: 'c',
      image: 'i',
      envFrom: [{ configMapRef: { name: 'cm' }, prefix: 'P_' }, { secretRef: { name: 's' } }],
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'a' } } },
        { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'L', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'COMBO', value: '$(A)/$(S)/$(FOO_SERVICE_HOST)' },
        { name: 'FOO_SERVICE_HOST', value: 'overridden' },
      ],
      command: ['run', '$(A)'],
      args: ['--ip=$(IP)'],
    };
    const res = await buildEnv(c, { pod: pod({}, { labels: { app: 'web' } }), podIP: '10.0.0.9', serviceEnv: { FOO_SERVICE_HOST: '10.96.0.5', BAR_SERVICE_HOST: '10.96.0.6' } }, sources({ cm: { a: '1', b: '2' } }, { s: { k: 'secret' } }));
    if ('error' in res) throw new Error(res.error);
    const m = Object.fromEntries(res.env.map((e) => [e.name, e.value]));
    expect(m).toEqual({ P_a: '1', P_b: '2', k: 'secret', A: '1', S: 'secret', IP: '10.0.0.9', L: 'web', COMBO: '1/secret/10.96.0.5', FOO_SERVICE_HOST: 'overridden', BAR_SERVICE_HOST: '10.96.0.6' });
    expect(expandCommand(c, res.env)).toEqual({ command: ['run', '1'], args: ['--ip=10.0.0.9'] });

    const missing = await buildEnv({ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'a' } } }] }, { pod: pod({}), serviceEnv: {} }, sources({}, {}));
    expect(missing).toEqual({ error: 'configmap "nope" not found' });
    const badKey = await buildEnv({ name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'zz' } } }] }, { pod: pod({}), serviceEnv: {} }, sources({}, { s: { k: 'v' } }));
    expect(badKey).toEqual({ error: "couldn't find key zz in Secret ns/s" });
    const optional = await buildEnv({ name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'a', optional: true } } }] }, { pod: pod({}), serviceEnv: {} }, sources({}, {}));
    expect(optional).toEqual({ env: [] });
  });

  it('answers downward API field and resource references', () => {
    const p = pod({}, { annotations: { a: 'b' } });
    expect(fieldRefValue('metadata.name', { pod: p })).toBe('p');
    expect(fieldRefValue('spec.nodeName', { pod: p })).toBe('n1');
    expect(fieldRefValue("metadata.annotations['a']", { pod: p })).toBe('b');
    expect(fieldRefValue('status.hostIP', { pod: p, hostIP: '172.18.0.2' })).toBe('172.18.0.2');
    expect(fieldRefValue('spec.bogus', { pod: p })).toEqual({ error: 'unsupported fieldPath: spec.bogus' });
    const c: Container = { name: 'c', resources: { limits: { cpu: '1500m', memory: '128Mi' } } };
    expect(resourceFieldValue({ resource: 'limits.cpu' }, c)).toBe('2');
    expect(resourceFieldValue({ resource: 'limits.cpu', divisor: '1m' }, c)).toBe('1500');
    expect(resourceFieldValue({ resource: 'limits.memory', divisor: '1Mi' }, c)).toBe('128');
    expect(resourceFieldValue({ resource: 'limits.memory' }, { name: 'x' }, { memory: '4Gi' })).toBe(String(4 * 1024 ** 3));
  });
});

describe('kubelet resources, names and hashes', () => {
  it('maps limits and requests to Docker cgroup settings', () => {
    expect(quantityMilli('250m')).toBe(250);
    expect(quantityMilli('2')).toBe(2000);
    expect(quantityValue('64Mi')).toBe(64 * 1024 * 1024);
    expect(quantityValue('1G')).toBe(1e9);
    expect(dockerResources({ name: 'c', resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } } })).toEqual({ NanoCpus: 5e8, CpuShares: 256, Memory: 134217728, MemorySwap: 134217728 });
    expect(dockerResources({ name: 'c' })).toEqual({ CpuShares: 2 });
    // A limit alone is also the request (kube defaults requests to limits).
    expect(dockerResources({ name: 'c', resources: { limits: { cpu: '1' } } })).toMatchObject({ NanoCpus: 1e9, CpuShares: 1024 });
  });

  it('names containers like dockershim and hashes specs independent of key order', () => {
    const id = { cluster: 'c1', node: 'n1', namespace: 'ns', pod: 'web', uid: '1234' };
    expect(dockerContainerName(id, 'app', 3)).toBe('k8s_app_web_ns_1234_3');
    expect(dockerVolumeName(id, 'data')).toMatch(/^flotilla_ns_web_data_[0-9a-f]{12}$/);
    expect(stableStringify({ b: 1, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    const a: Container = { name: 'c', image: 'i:1', env: [{ name: 'A', value: '1' }] };
    const b = { env: [{ value: '1', name: 'A' }], image: 'i:1', name: 'c' } as Container;
    expect(containerSpecHash(a)).toBe(containerSpecHash(b));
    expect(containerSpecHash({ ...a, image: 'i:2' })).not.toBe(containerSpecHash(a));
  });

  it('validates image references and resolves named ports', () => {
    for (const ok of ['nginx', 'nginx:1.27', 'flotilla/hello:1.0', '127.0.0.1:5000/a/b:tag', 'repo@sha256:abc']) expect(isValidImageName(ok)).toBe(true);
    for (const bad of ['', 'UPPER/case', 'has space', undefined]) expect(isValidImageName(bad)).toBe(false);
    const c: Container = { name: 'c', ports: [{ name: 'http', containerPort: 8080 }] };
    expect(resolvePort('http', c)).toBe(8080);
    expect(resolvePort(9090, c)).toBe(9090);
    expect(resolvePort('9091', c)).toBe(9091);
    expect(resolvePort('nope', c)).toBeUndefined();
    expect(parseLabels('a=b, c=d=e,bad')).toEqual({ a: 'b', c: 'd=e' });
  });
});

describe('kubelet back-off', () => {
  it('restarts the first failure at once, then doubles up to the cap, and forgets quiet keys', () => {
    let now = 0;
    const b = new Backoff({ baseMs: 10_000, maxMs: 40_000 }, { now: () => now });
    expect(b.remaining('k', now)).toBe(0); // first crash: restart now
    expect(b.next('k')).toBe(10_000);
    now = 1000; // crashed again at t=1s
    expect(b.remaining('k', 1000)).toBe(10_000);
    now = 11_000;
    expect(b.remaining('k', 1000)).toBe(0);
    expect(b.next('k')).toBe(20_000);
    expect(b.next('k')).toBe(40_000);
    expect(b.next('k')).toBe(40_000);
    expect(b.remainingSinceUpdate('k')).toBe(40_000);
    now += 2 * 40_000 + 1;
    expect(b.remaining('k', now)).toBe(0);
    expect(b.next('k')).toBe(10_000);
    b.resetPrefix('k');
    expect(b.get('k')).toBe(0);
  });
});

/** A container of pod p that started a second after it was created. */
function rc(over: Partial<RuntimeContainer>): RuntimeContainer {
  return runtimeContainer({ dockerName: 'n', startedAt: '2026-01-01T00:00:01Z', startedMs: Date.parse('2026-01-01T00:00:01Z'), ...over });
}

function input(p: Pod, insts: RuntimeContainer[], extra: Partial<StatusInput> = {}): StatusInput {
  return statusInput(p, insts, { hostIP: '172.18.0.2', podIP: '172.18.128.5', ...extra });
}

describe('kubelet pod status', () => {
  it('reports a running, ready pod with kube conditions and container ids', () => {
    const p = pod({}, {}, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], qosClass: 'BestEffort' });
    const s = computePodStatus(input(p, [rc({ id: 'abc', sandboxId: 'sb' })]));
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('172.18.128.5');
    expect((s as Record<string, unknown>).hostIPs).toEqual([{ ip: '172.18.0.2' }]);
    expect(s.qosClass).toBe('BestEffort');
    expect(Object.fromEntries(s.conditions!.map((c) => [c.type, c.status]))).toEqual({ PodReadyToStartContainers: 'True', Initialized: 'True', Ready: 'True', ContainersReady: 'True', PodScheduled: 'True' });
    expect(s.containerStatuses![0]).toMatchObject({ name: 'c', ready: true, started: true, restartCount: 0, containerID: 'docker://abc', imageID: 'docker://sha256:abc', state: { running: { startedAt: '2026-01-01T00:00:01Z' } } });
  });

  it('shows CrashLoopBackOff with the last run as lastState, and keeps the phase Running', () => {
    const dead = rc({ id: 'd2', attempt: 2, state: 'exited', exitCode: 3, finishedAt: '2026-01-01T00:00:30Z', sandboxId: 'sb' });
    const older = rc({ id: 'd1', attempt: 1, state: 'exited', exitCode: 3, sandboxId: 'sb' });
    const waiting = new Map([['c', { reason: 'CrashLoopBackOff', message: 'back-off 20s restarting failed container=c pod=p_ns(uid-1)' }]]);
    const s = computePodStatus(input(pod({}), [dead, older], { waiting }));
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses![0]).toMatchObject({ restartCount: 2, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 3, reason: 'Error', containerID: 'docker://d2' } } });
    expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [c]' });
  });

  it('derives Succeeded/Failed for finished pods and OOMKilled reasons', () => {
    const oom = rc({ state: 'exited', exitCode: 137, oomKilled: true, sandboxId: 'sb' });
    const s = computePodStatus(input(pod({ restartPolicy: 'Never' }), [oom]));
    expect(s.phase).toBe('Failed');
    expect(s.containerStatuses![0]!.state!.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    const ok = computePodStatus(input(pod({ restartPolicy: 'OnFailure' }), [rc({ state: 'exited', exitCode: 0, sandboxId: 'sb' })]));
    expect(ok.phase).toBe('Succeeded');
    expect(ok.containerStatuses![0]!.state!.terminated!.reason).toBe('Completed');
    // A deleted pod whose containers were stopped ends Failed even with restartPolicy Always.
    const killed = computePodStatus(input(pod({}), [rc({ state: 'exited', exitCode: 143, sandboxId: 'sb' })], { terminal: true }));
    expect(killed.phase).toBe('Failed');
  });

  it('keeps the pod Pending while init containers run, and shows PodInitializing', () => {
    const p = pod({ initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }] });
    const insts = [rc({ name: 'i1', kind: 'init', state: 'exited', exitCode: 0, sandboxId: 'sb' }), rc({ name: 'i2', kind: 'init', state: 'running', sandboxId: 'sb' })];
    const s = computePodStatus(input(p, insts));
    expect(s.phase).toBe('Pending');
    expect(s.initContainerStatuses!.map((x) => Object.keys(x.state!)[0])).toEqual(['terminated', 'running']);
    expect(s.containerStatuses![0]!.state!.waiting!.reason).toBe('PodInitializing');
    expect(s.conditions!.find((c) => c.type === 'Initialized')).toMatchObject({ status: 'False', message: 'containers with incomplete status: [i2]' });
    // Init runs of an earlier sandbox do not count.
    const stale = computePodStatus(input(p, insts.map((r) => ({ ...r, sandboxId: 'old' }))));
    expect(stale.initContainerStatuses!.every((x) => x.state!.waiting?.reason === 'PodInitializing')).toBe(true);
    // A failed init container fails a Never pod.
    expect(podPhase(pod({ restartPolicy: 'Never' }), [{ name: 'i', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1 } } }], [])).toBe('Failed');
  });

  it('gates Ready on readiness gates and keeps conditions it does not own', () => {
    const p = pod({ readinessGates: [{ conditionType: 'example.com/gate' }] }, {}, { conditions: [{ type: 'example.com/gate', status: 'False' }] });
    const s = computePodStatus(input(p, [rc({ sandboxId: 'sb' })]));
    expect(s.conditions!.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ReadinessGatesNotReady' });
    expect(s.conditions!.find((c) => c.type === 'example.com/gate')!.status).toBe('False');
    const open = computePodStatus(input({ ...p, status: { conditions: [{ type: 'example.com/gate', status: 'True' }] } }, [rc({ sandboxId: 'sb' })]));
    expect(open.conditions!.find((c) => c.type === 'Ready')!.status).toBe('True');
  });

  it('keeps transition times and writes a patch only for changes', () => {
    const first = computePodStatus(input(pod({}), [rc({ sandboxId: 'sb' })]));
    const again = computePodStatus({ ...input({ ...pod({}), status: first }, [rc({ sandboxId: 'sb' })]), now: new Date('2026-01-01T01:00:00Z') });
    expect(again.conditions).toEqual(first.conditions);
    expect(statusPatch(first, again, stableStringify)).toBeUndefined();
    const changed = computePodStatus(input({ ...pod({}), status: first }, [rc({ sandboxId: 'sb' })], { ready: () => false }));
    const patch = statusPatch(first, changed, stableStringify)!;
    expect(Object.keys(patch).sort()).toEqual(['conditions', 'containerStatuses']);
    expect(statusPatch({ ...first, reason: 'Old' }, first, stableStringify)).toEqual({ reason: null });
  });
});

describe('kubelet volumes and tar', () => {
  it('projects keys and items, and fails on a missing item key', () => {
    const data = { a: Buffer.from('1'), b: Buffer.from('2') };
    expect(projectKeys(data, undefined, 0o644, 'configmap')).toEqual([
      { path: 'a', content: Buffer.from('1'), mode: 0o644 },
      { path: 'b', content: Buffer.from('2'), mode: 0o644 },
    ]);
    expect(projectKeys(data, [{ key: 'b', path: 'dir/b.txt', mode: 0o400 }], 0o644, 'configmap')).toEqual([{ path: 'dir/b.txt', content: Buffer.from('2'), mode: 0o400 }]);
    expect(projectKeys(data, [{ key: 'z', path: 'z' }], 0o644, 'secret')).toEqual({ error: 'secret references non-existent config key: z' });
  });

  it("lays files out like kube's atomic writer", () => {
    const { payload, links } = atomicWriterEntries([{ path: 'dir/x', content: Buffer.from('x'), mode: 0o600 }, { path: 'y', content: Buffer.from('y'), mode: 0o644 }], new Date('2026-01-02T03:04:05.678Z'));
    expect(payload[0]!.path).toMatch(/^\.\.2026_01_02_03_04_05\.678\d{6}$/);
    const dir = payload[0]!.path;
    expect(payload.slice(1).map((e) => [e.path, e.type])).toEqual([
      [`${dir}/dir`, 'dir'],
      [`${dir}/dir/x`, 'file'],
      [`${dir}/y`, 'file'],
    ]);
    expect(links.map((e) => [e.path, e.target])).toEqual([
      ['..data', dir],
      ['dir', '..data/dir'],
      ['y', '..data/y'],
    ]);
  });

  it('selects subPath files and places them below the mount parent', () => {
    const files = [
      { path: 'nginx.conf', content: Buffer.from('c'), mode: 0o644 },
      { path: 'conf.d/a.conf', content: Buffer.from('a'), mode: 0o644 },
    ];
    expect(subPathFiles(files, 'nginx.conf')).toEqual([{ path: '', content: Buffer.from('c'), mode: 0o644 }]);
    expect(subPathFiles(files, 'conf.d').map((f) => f.path)).toEqual(['a.conf']);
    expect(copyEntries('/etc/nginx/nginx.conf', subPathFiles(files, 'nginx.conf'), '/etc/nginx').map((e) => e.path)).toEqual(['nginx.conf']);
    expect(copyEntries('/opt/x/conf', subPathFiles(files, 'conf.d'), '/').map((e) => [e.path, e.type])).toEqual([
      ['opt', 'dir'],
      ['opt/x', 'dir'],
      ['opt/x/conf', 'dir'],
      ['opt/x/conf/a.conf', 'file'],
    ]);
  });

  it('plans Docker volumes and refuses sources Flotilla cannot provide', () => {
    const id = { cluster: 'c1', node: 'n1', namespace: 'ns', pod: 'p', uid: 'u' };
    const ok = planVolumes(pod({ volumes: [{ name: 'a', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } }, { name: 'b', hostPath: { path: '/data' } }] }), id);
    expect(ok.error).toBeUndefined();
    expect(ok.volumes[0]).toMatchObject({ kind: 'emptyDir', memory: true, tmpfsBytes: 16 * 1024 * 1024, labels: { 'flotilla.dev/pod-uid': 'u', 'flotilla.dev/volume': 'a' } });
    expect(ok.volumes[1]).toMatchObject({ kind: 'hostPath', labels: { 'flotilla.dev/role': 'hostpath' } });
    expect(planVolumes(pod({ volumes: [{ name: 'v', persistentVolumeClaim: { claimName: 'x' } }] }), id).error).toMatch(/persistentVolumeClaim volumes are not supported/);
  });

  it('writes tar archives that tar(1) reads back, long names included', () => {
    const long = `${'d'.repeat(120)}/file.txt`;
    const buf = makeTar([
      { path: 'dir', type: 'dir' },
      { path: 'dir/a.txt', type: 'file', content: 'hello', mode: 0o600 },
      { path: 'link', type: 'symlink', target: 'dir/a.txt' },
      { path: long, type: 'file', content: 'x' },
    ]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelet-tar-'));
    try {
      fs.writeFileSync(path.join(dir, 't.tar'), buf);
      execFileSync('tar', ['-xf', 't.tar'], { cwd: dir });
      expect(fs.readFileSync(path.join(dir, 'dir/a.txt'), 'utf8')).toBe('hello');
      expect(fs.statSync(path.join(dir, 'dir/a.txt')).mode & 0o777).toBe(0o600);
      expect(fs.readlinkSync(path.join(dir, 'link'))).toBe('dir/a.txt');
      expect(fs.readFileSync(path.join(dir, long), 'utf8')).toBe('x');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('demultiplexes Docker streams split at any byte', () => {
    const frame = (s: number, t: string) => Buffer.concat([Buffer.from([s, 0, 0, 0, 0, 0, 0, Buffer.byteLength(t)]), Buffer.from(t)]);
    const all = Buffer.concat([frame(1, 'out'), frame(2, 'err'), frame(1, 'more')]);
    const got: string[] = [];
    const d = new Demuxer((s, p) => got.push(`${s}:${p.toString()}`));
    for (const b of all) d.push(Buffer.from([b]));
    expect(got).toEqual(['1:out', '2:err', '1:more']);
  });
});

describe('kubelet node status', () => {
  it('keeps transition times and builds Leases with microsecond renew times', () => {
    const t1 = new Date('2026-01-01T00:00:00Z');
    const c1 = nodeConditions(undefined, t1);
    const c2 = nodeConditions(c1, new Date('2026-01-01T00:01:00Z'));
    expect(c2.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z', lastHeartbeatTime: '2026-01-01T00:01:00Z' });
    const c3 = nodeConditions(c2, new Date('2026-01-01T00:02:00Z'), false, 'docker down');
    expect(c3.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady', message: 'docker down', lastTransitionTime: '2026-01-01T00:02:00Z' });
    const l = leaseObject('n1', 10, t1);
    expect(l.spec).toMatchObject({ holderIdentity: 'n1', leaseDurationSeconds: 10, renewTime: '2026-01-01T00:00:00.000000Z' });
  });
});

describe('kubelet main (node container environment)', () => {
  it('reads the cluster manager environment, with token and CA from files', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelet-env-'));
    try {
      fs.writeFileSync(path.join(dir, 'token'), 'tok-123\n');
      fs.writeFileSync(path.join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n');
      const env = {
        FLOTILLA_API_URL: 'https://172.18.0.1:6443',
        FLOTILLA_NODE_NAME: 'node-1',
        FLOTILLA_TOKEN_FILE: path.join(dir, 'token'),
        FLOTILLA_CA_FILE: path.join(dir, 'ca.crt'),
        FLOTILLA_CLUSTER: 'dev',
        FLOTILLA_NETWORK: 'flotilla.dev',
        FLOTILLA_NODE_IP: '172.18.0.2',
        FLOTILLA_PAUSE_IMAGE: 'flotilla/pause:abc',
        FLOTILLA_NODE_CPU: '4',
        FLOTILLA_NODE_MEMORY: '8Gi',
        FLOTILLA_NODE_PODS: '50',
        FLOTILLA_IMAGE_PULLS: 'false',
        FLOTILLA_CLUSTER_DNS: '10.96.0.10',
        FLOTILLA_NODE_LABELS: 'zone=a',
      };
      const o = await kubeletOptionsFromEnv(env, {} as never, silentLogger);
      expect(o).toMatchObject({
        nodeName: 'node-1',
        clusterName: 'dev',
        network: 'flotilla.dev',
        nodeIP: '172.18.0.2',
        pauseImage: 'flotilla/pause:abc',
        capacity: { cpu: '4', memory: '8Gi', pods: '50' },
        imagePulls: false,
        clusterDNS: ['10.96.0.10'],
        labels: { zone: 'a' },
        server: { port: 10250, token: 'tok-123' },
      });
      expect(o.client.config).toMatchObject({ url: 'https://172.18.0.1:6443', token: 'tok-123' });
      o.client.close();
      await expect(kubeletOptionsFromEnv({ ...env, FLOTILLA_TOKEN_FILE: '' }, {} as never, silentLogger)).rejects.toThrow(/FLOTILLA_TOKEN/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
