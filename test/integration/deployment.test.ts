import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, Event, KubeList, Pod, ReplicaSet } from '../../src-main/api/types.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { until } from '../helpers/wait.js';
import { openWatch, type WatchStream } from '../helpers/watchStream.js';

// Deployments end to end with the real kubectl: the deployment and ReplicaSet controllers, the
// scheduler and hollow nodes (which report bound pods Running and Ready after a delay) on a real
// API server. Rollout limits are checked on the pod WATCH HISTORY: a raw watch opened before the
// change records every pod event, and the replay checks maxSurge/maxUnavailable after each one.

let c: TestCluster;
const STARTUP_MS = 150;

beforeAll(async () => {
  c = await startTestCluster({ scheduler: true, controllers: true, hollowNodes: { count: 3, podStartupDelayMs: STARTUP_MS } });
});

afterAll(async () => {
  await c?.stop();
});

interface DeployOpts {
  replicas?: number;
  image?: string;
  strategy?: 'RollingUpdate' | 'Recreate';
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  minReadySeconds?: number;
  progressDeadlineSeconds?: number;
  podAnnotations?: Record<string, string>;
}

function manifest(ns: string, name: string, o: DeployOpts = {}): string {
  const strategy =
    o.strategy === 'Recreate'
      ? { type: 'Recreate' }
      : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.maxSurge ?? '25%', maxUnavailable: o.maxUnavailable ?? '25%' } };
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas: o.replicas ?? 3,
      selector: { matchLabels: { app: name } },
      strategy,
      ...(o.minReadySeconds !== undefined ? { minReadySeconds: o.minReadySeconds } : {}),
      ...(o.progressDeadlineSeconds !== undefined ? { progressDeadlineSeconds: o.progressDeadlineSeconds } : {}),
      template: {
        metadata: { labels: { app: name }, ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}) },
        spec: { containers: [{ name: 'nginx', image: o.image ?? 'nginx:1.25' }] },
      },
    },
  });
}

async function namespace(ns: string): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }) });
}

async function deploy(ns: string, name: string, o: DeployOpts = {}): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: manifest(ns, name, o) });
}

async function rolloutStatus(ns: string, name: string): Promise<string> {
  return c.kubectlOK(['-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=45s'], { timeoutMs: 50_000 });
}

async function get<T>(path: string): Promise<T> {
  const r = await c.request('GET', path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
  return r.json as T;
}

const deployment = (ns: string, name: string) => get<Deployment>(`/apis/apps/v1/namespaces/${ns}/deployments/${name}`);
const replicaSets = async (ns: string, name: string) =>
  (await get<KubeList<ReplicaSet>>(`/apis/apps/v1/namespaces/${ns}/replicasets?labelSelector=app%3D${name}`)).items.sort((a, b) => revision(a) - revision(b));
const podsOf = async (ns: string, name: string) => get<KubeList<Pod>>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${name}`);
const revision = (o: { metadata: { annotations?: Record<string, string> } }) => Number(o.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0);

// ---- watch history ----

interface PodHistory {
  stream: WatchStream;
  initial: Pod[];
}

/** Lists the pods of a Deployment, then watches them from the list's resourceVersion: nothing is missed. */
async function recordPods(ns: string, name: string): Promise<PodHistory> {
  const list = await podsOf(ns, name);
  const stream = openWatch(c, `/api/v1/namespaces/${ns}/pods?watch=true&labelSelector=app%3D${name}&resourceVersion=${list.metadata.resourceVersion}`);
  expect(await stream.status).toBe(200);
  return { stream, initial: list.items };
}

interface Snapshot {
  /** Pods neither terminating nor finished. */
  active: number;
  /** Active pods that are Ready. */
  available: number;
  /** Pods that still exist (terminating included), by pod-template-hash. */
  byHash: Map<string, number>;
  event: string;
  /**
   * Only where a pod's deletion was asked for: the active pods that had been Ready for
   * minReadySeconds at that moment, on the server's clock (Ready's lastTransitionTime and the
   * deletion request, deletionTimestamp minus the grace period; both whole seconds, cut down,
   * which keeps "ready + minReadySeconds <= asked" true of the stamps when it was true).
   */
  availableWhenDeleted?: number;
}

const readySince = (p: Pod) => {
  const t = p.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True')?.lastTransitionTime;
  return t ? Date.parse(t) : undefined;
};

function isReady(p: Pod): boolean {
  return p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
}

/** Replays the history: the state after the initial list and after every event. */
function replay(h: PodHistory, minReadySeconds = 0): Snapshot[] {
  const pods = new Map<string, Pod>();
  for (const p of h.initial) pods.set(p.metadata.uid!, p);
  const snap = (event: string, deletionAskedAt?: number): Snapshot => {
    let active = 0;
    let available = 0;
    let availableWhenDeleted = 0;
    const byHash = new Map<string, number>();
    for (const p of pods.values()) {
      const hash = p.metadata.labels?.['pod-template-hash'] ?? '';
      byHash.set(hash, (byHash.get(hash) ?? 0) + 1);
      if (p.metadata.deletionTimestamp || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') continue;
      active++;
      if (isReady(p)) available++;
      const since = readySince(p);
      if (deletionAskedAt !== undefined && since !== undefined && since + minReadySeconds * 1000 <= deletionAskedAt) availableWhenDeleted++;
    }
    return { active, available, byHash, event, ...(deletionAskedAt !== undefined ? { availableWhenDeleted } : {}) };
  };
  const out = [snap('initial list')];
  for (const e of h.stream.events) {
    if (e.type === 'BOOKMARK') continue;
    const p = e.object as Pod;
    const wasTerminating = !!pods.get(p.metadata.uid!)?.metadata.deletionTimestamp;
    if (e.type === 'DELETED') pods.delete(p.metadata.uid!);
    else pods.set(p.metadata.uid!, p);
    const askedNow = e.type !== 'DELETED' && p.metadata.deletionTimestamp && !wasTerminating;
    const askedAt = askedNow ? Date.parse(p.metadata.deletionTimestamp!) - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000 : undefined;
    out.push(snap(`${e.type} ${p.metadata.name}${p.metadata.deletionTimestamp ? ' (terminating)' : ''}${isReady(p) ? ' ready' : ''}`, askedAt));
  }
  return out;
}

/** Waits until the recorded history ends with exactly `replicas` pods, all of template `hash`, all ready. */
async function historySettles(h: PodHistory, hash: string, replicas: number, minReadySeconds = 0): Promise<Snapshot[]> {
  return until(`the pods of ${hash} to be all that is left`, async () => {
    const snaps = replay(h, minReadySeconds);
    const last = snaps[snaps.length - 1]!;
    return last.byHash.size === 1 && last.byHash.get(hash) === replicas && last.available === replicas ? snaps : undefined;
  });
}

function newHash(rss: ReplicaSet[]): string {
  return rss[rss.length - 1]!.metadata.labels!['pod-template-hash']!;
}

// ---- tests ----

describe('Deployments (real kubectl, scheduler, hollow nodes)', () => {
  it('rolls out; kubectl rollout status completes; ReplicaSet, pods, status and events look like kube', async () => {
    await namespace('d-basic');
    await deploy('d-basic', 'web', { replicas: 3 });
    const out = await rolloutStatus('d-basic', 'web');
    expect(out).toContain('deployment "web" successfully rolled out');

    const d = await deployment('d-basic', 'web');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    const conds = Object.fromEntries((d.status!.conditions ?? []).map((x) => [x.type, x]));
    expect(conds.Available).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });

    const [rs] = await replicaSets('d-basic', 'web');
    const hash = rs!.metadata.labels!['pod-template-hash']!;
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    expect(rs!.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    expect(rs!.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
    await until('Progressing=NewReplicaSetAvailable', async () => {
      const p = (await deployment('d-basic', 'web')).status?.conditions?.find((x) => x.type === 'Progressing');
      return p?.reason === 'NewReplicaSetAvailable' && p;
    }).then((p) => expect(p.message).toBe(`ReplicaSet "web-${hash}" has successfully progressed.`));

    const pods = (await podsOf('d-basic', 'web')).items;
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `web-${hash}`, uid: rs!.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      expect(p.spec.nodeName).toMatch(/^hollow-node-\d$/);
    }

    const table = parseTable(await c.kubectlOK(['-n', 'd-basic', 'get', 'deploy', 'web']));
    expect(table.rows[0]).toMatchObject({ NAME: 'web', READY: '3/3', 'UP-TO-DATE': '3', AVAILABLE: '3' });
    const rsTable = parseTable(await c.kubectlOK(['-n', 'd-basic', 'get', 'rs']));
    expect(rsTable.rows[0]).toMatchObject({ NAME: `web-${hash}`, DESIRED: '3', CURRENT: '3', READY: '3' });

    const described = await c.kubectlOK(['-n', 'd-basic', 'describe', 'deployment', 'web']);
    expect(described).toMatch(/Replicas:\s+3 desired \| 3 updated \| 3 total \| 3 available \| 0 unavailable/);
    expect(described).toMatch(/Available\s+True\s+MinimumReplicasAvailable/);
    expect(described).toMatch(/Progressing\s+True\s+NewReplicaSetAvailable/);
    expect(described).toMatch(new RegExp(`NewReplicaSet:\\s+web-${hash} \\(3/3 replicas created\\)`));
    expect(described).toMatch(new RegExp(`ScalingReplicaSet\\s+.*Scaled up replica set web-${hash} from 0 to 3`));

    const events = await get<KubeList<Event>>('/api/v1/namespaces/d-basic/events?fieldSelector=involvedObject.kind%3DDeployment');
    expect(events.items.map((e) => [e.reason, e.message, e.source?.component])).toContainEqual(['ScalingReplicaSet', `Scaled up replica set web-${hash} from 0 to 3`, 'deployment-controller']);
    const rsEvents = await get<KubeList<Event>>('/api/v1/namespaces/d-basic/events?fieldSelector=involvedObject.kind%3DReplicaSet');
    expect(rsEvents.items.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(3);
    expect(rsEvents.items[0]!.message).toMatch(new RegExp(`^Created pod: web-${hash}-[a-z0-9]{5}$`));
  });

  it('a rolling update (kubectl set image) never exceeds maxSurge nor drops below maxUnavailable', async () => {
    const ns = 'd-rolling';
    await namespace(ns);
    // 6 replicas, maxSurge 2, maxUnavailable 1: at most 8 pods, at least 5 available, at every event.
    await deploy(ns, 'web', { replicas: 6, maxSurge: 2, maxUnavailable: 1 });
    await rolloutStatus(ns, 'web');
    const h = await recordPods(ns, 'web');
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    expect(await rolloutStatus(ns, 'web')).toContain('successfully rolled out');
    const rss = await replicaSets(ns, 'web');
    expect(rss.map((r) => [revision(r), r.spec.replicas])).toEqual([
      [1, 0],
      [2, 6],
    ]);
    const snaps = await historySettles(h, newHash(rss), 6);
    h.stream.close();
    const tooMany = snaps.filter((s) => s.active > 8);
    const tooFew = snaps.filter((s) => s.available < 5);
    expect(tooMany, 'states with more than replicas+maxSurge pods').toEqual([]);
    expect(tooFew, 'states with fewer than replicas-maxUnavailable available pods').toEqual([]);
    // It really was a rolling update: both templates ran side by side and the surge was used.
    expect(snaps.some((s) => s.byHash.size === 2)).toBe(true);
    expect(Math.max(...snaps.map((s) => s.active))).toBe(8);
    expect(snaps.length).toBeGreaterThan(30);
  });

  it('a rollover (new template while a rollout is under way) stays within the bounds too', async () => {
    const ns = 'd-rollover';
    await namespace(ns);
    // 12 replicas, maxSurge 3, maxUnavailable 2: at most 15 pods, at least 10 available.
    await deploy(ns, 'web', { replicas: 12, maxSurge: 3, maxUnavailable: 2 });
    await rolloutStatus(ns, 'web');
    const h = await recordPods(ns, 'web');
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await until('the second ReplicaSet to have ready pods', async () => {
      const rss = await replicaSets(ns, 'web');
      return rss.length === 2 && (rss[1]!.status?.readyReplicas ?? 0) >= 2;
    });
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.27']);
    await rolloutStatus(ns, 'web');
    const rss = await replicaSets(ns, 'web');
    expect(rss.map((r) => [r.spec.template!.spec.containers[0]!.image, r.spec.replicas])).toEqual([
      ['nginx:1.25', 0],
      ['nginx:1.26', 0],
      ['nginx:1.27', 12],
    ]);
    const snaps = await historySettles(h, newHash(rss), 12);
    h.stream.close();
    expect(snaps.filter((s) => s.active > 15)).toEqual([]);
    expect(snaps.filter((s) => s.available < 10)).toEqual([]);
    expect(snaps.some((s) => s.byHash.size === 3)).toBe(true);
  });

  it('the same with percentages (25%/25% of 4: one extra pod, one unavailable) and minReadySeconds', async () => {
    const ns = 'd-percent';
    await namespace(ns);
    // 2 s: stamps are whole seconds, so anything counted available less than a second after
    // turning Ready shows as too early.
    await deploy(ns, 'web', { replicas: 4, minReadySeconds: 2 });
    await rolloutStatus(ns, 'web');
    const h = await recordPods(ns, 'web');
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await rolloutStatus(ns, 'web');
    const snaps = await historySettles(h, newHash(await replicaSets(ns, 'web')), 4, 2);
    h.stream.close();
    expect(snaps.filter((s) => s.active > 5)).toEqual([]);
    // Ready is a lower bound of available: with minReadySeconds the floor holds for ready pods too.
    expect(snaps.filter((s) => s.available < 3)).toEqual([]);
    // And minReadySeconds itself: whenever an old pod was let go, 3 others had been Ready for at
    // least minReadySeconds (so the new pods replacing the 4 old ones were not counted at once).
    const deletions = snaps.filter((s) => s.availableWhenDeleted !== undefined);
    expect(deletions).toHaveLength(4);
    expect(deletions.filter((s) => s.availableWhenDeleted! < 3)).toEqual([]);
    expect((await deployment(ns, 'web')).status?.availableReplicas).toBe(4);
  });

  it('kubectl rollout history lists revisions and rollout undo returns to the previous template', async () => {
    const ns = 'd-undo';
    await namespace(ns);
    await deploy(ns, 'web', { replicas: 2, image: 'nginx:1.25' });
    await rolloutStatus(ns, 'web');
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await rolloutStatus(ns, 'web');
    // The Deployment's annotations (here the change cause history prints) follow onto its new ReplicaSet.
    await c.kubectlOK(['-n', ns, 'annotate', 'deployment/web', 'kubernetes.io/change-cause=image 1.26']);
    await until('the change cause on the ReplicaSet', async () => (await replicaSets(ns, 'web'))[1]!.metadata.annotations?.['kubernetes.io/change-cause'] === 'image 1.26');
    const [first, second] = await replicaSets(ns, 'web');

    const history = await c.kubectlOK(['-n', ns, 'rollout', 'history', 'deployment/web']);
    expect(history).toMatch(/deployment\.apps\/web/);
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+image 1\.26/);
    expect(await c.kubectlOK(['-n', ns, 'rollout', 'history', 'deployment/web', '--revision=1'])).toMatch(/Image:\s+nginx:1\.25/);

    expect(await c.kubectlOK(['-n', ns, 'rollout', 'undo', 'deployment/web'])).toContain('deployment.apps/web rolled back');
    await rolloutStatus(ns, 'web');
    const d = await deployment(ns, 'web');
    expect(d.spec.template.spec.containers[0]!.image).toBe('nginx:1.25');
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const rss = await replicaSets(ns, 'web');
    // The first ReplicaSet is reused, with the next revision and its old one in revision-history.
    expect(rss.map((r) => [r.metadata.name, revision(r), r.spec.replicas])).toEqual([
      [second!.metadata.name, 2, 0],
      [first!.metadata.name, 3, 2],
    ]);
    expect(rss[1]!.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    // kubectl undo also restores the old revision's annotations: revision 3 has no change cause.
    expect(await c.kubectlOK(['-n', ns, 'rollout', 'history', 'deployment/web'])).toMatch(/REVISION\s+CHANGE-CAUSE\n2\s+image 1\.26\n3\s+<none>/);

    // Undo to an explicit revision, and the no-op case.
    expect(await c.kubectlOK(['-n', ns, 'rollout', 'undo', 'deployment/web', '--to-revision=2'])).toContain('rolled back');
    await rolloutStatus(ns, 'web');
    expect((await deployment(ns, 'web')).spec.template.spec.containers[0]!.image).toBe('nginx:1.26');
    expect(await c.kubectlOK(['-n', ns, 'rollout', 'undo', 'deployment/web', '--to-revision=4'])).toContain('skipped rollback (current template already matches revision 4)');
  });

  it('kubectl rollout restart starts a new ReplicaSet', async () => {
    const ns = 'd-restart';
    await namespace(ns);
    await deploy(ns, 'web', { replicas: 2 });
    await rolloutStatus(ns, 'web');
    const before = (await podsOf(ns, 'web')).items.map((p) => p.metadata.name);
    expect(await c.kubectlOK(['-n', ns, 'rollout', 'restart', 'deployment/web'])).toContain('deployment.apps/web restarted');
    await rolloutStatus(ns, 'web');
    const rss = await replicaSets(ns, 'web');
    expect(rss).toHaveLength(2);
    expect(rss[1]!.spec.template!.metadata!.annotations?.['kubectl.kubernetes.io/restartedAt']).toBeDefined();
    const after = await until('the old pods to be gone', async () => {
      const names = (await podsOf(ns, 'web')).items.map((p) => p.metadata.name!);
      return names.length === 2 && names.every((n) => !before.includes(n)) && names;
    });
    expect(after.every((n) => n.startsWith(`${rss[1]!.metadata.name}-`))).toBe(true);
  });

  it('kubectl scale up and down', async () => {
    const ns = 'd-scale';
    await namespace(ns);
    await deploy(ns, 'web', { replicas: 2 });
    await rolloutStatus(ns, 'web');
    await c.kubectlOK(['-n', ns, 'scale', 'deployment/web', '--replicas=5']);
    await rolloutStatus(ns, 'web');
    expect(parseTable(await c.kubectlOK(['-n', ns, 'get', 'deploy', 'web'])).rows[0]).toMatchObject({ READY: '5/5', 'UP-TO-DATE': '5', AVAILABLE: '5' });
    await c.kubectlOK(['-n', ns, 'scale', 'deployment/web', '--replicas=1']);
    await rolloutStatus(ns, 'web');
    await until('one pod', async () => (await podsOf(ns, 'web')).items.length === 1);
    const [rs] = await replicaSets(ns, 'web');
    expect(rs!.spec.replicas).toBe(1);
    expect(rs!.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('1');
    const msgs = (await get<KubeList<Event>>(`/api/v1/namespaces/${ns}/events?fieldSelector=reason%3DScalingReplicaSet`)).items.map((e) => e.message);
    expect(msgs).toEqual(expect.arrayContaining([`Scaled up replica set ${rs!.metadata.name} from 0 to 2`, `Scaled up replica set ${rs!.metadata.name} from 2 to 5`, `Scaled down replica set ${rs!.metadata.name} from 5 to 1`]));
  });

  it('Recreate never has old and new pods at once', async () => {
    const ns = 'd-recreate';
    await namespace(ns);
    await deploy(ns, 'web', { replicas: 3, strategy: 'Recreate' });
    await rolloutStatus(ns, 'web');
    const h = await recordPods(ns, 'web');
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await rolloutStatus(ns, 'web');
    const snaps = await historySettles(h, newHash(await replicaSets(ns, 'web')), 3);
    h.stream.close();
    // Terminating old pods count: the new ones start only once the old ones are gone.
    expect(snaps.filter((s) => s.byHash.size > 1)).toEqual([]);
    expect(snaps.some((s) => s.byHash.size === 0)).toBe(true);
  });

  it('pause holds template changes but not scaling; resume rolls out', async () => {
    const ns = 'd-pause';
    await namespace(ns);
    await deploy(ns, 'web', { replicas: 2, image: 'nginx:1.24' });
    await rolloutStatus(ns, 'web');
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.25']);
    await rolloutStatus(ns, 'web');
    expect(await c.kubectlOK(['-n', ns, 'rollout', 'pause', 'deployment/web'])).toContain('deployment.apps/web paused');
    await c.kubectlOK(['-n', ns, 'set', 'image', 'deployment/web', 'nginx=nginx:1.26']);
    await c.kubectlOK(['-n', ns, 'scale', 'deployment/web', '--replicas=3']);
    const paused = await until('the paused spec to be observed', async () => {
      const d = await deployment(ns, 'web');
      return (d.status?.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && d.status?.availableReplicas === 3 && d;
    });
    expect(paused.status!.conditions!.find((x) => x.type === 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    const rss = await replicaSets(ns, 'web');
    expect(rss.map((r) => [r.spec.template!.spec.containers[0]!.image, r.spec.replicas])).toEqual([
      ['nginx:1.24', 0],
      ['nginx:1.25', 3],
    ]);
    expect((await c.kubectl(['-n', ns, 'rollout', 'undo', 'deployment/web'])).stderr).toMatch(/cannot rollback a paused deployment/);

    expect(await c.kubectlOK(['-n', ns, 'rollout', 'resume', 'deployment/web'])).toContain('deployment.apps/web resumed');
    await rolloutStatus(ns, 'web');
    const after = await replicaSets(ns, 'web');
    expect(after.map((r) => [r.spec.template!.spec.containers[0]!.image, r.spec.replicas])).toEqual([
      ['nginx:1.24', 0],
      ['nginx:1.25', 0],
      ['nginx:1.26', 3],
    ]);
  });

  it('reports ProgressDeadlineExceeded when pods never become ready, and rollout status fails', async () => {
    const ns = 'd-deadline';
    await namespace(ns);
    await deploy(ns, 'web', { replicas: 2, progressDeadlineSeconds: 2, podAnnotations: { 'hollow.flotilla.dev/ready': 'false' } });
    const r = await c.kubectl(['-n', ns, 'rollout', 'status', 'deployment/web', '--timeout=30s'], { timeoutMs: 35_000 });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('deployment "web" exceeded its progress deadline');
    const d = await deployment(ns, 'web');
    const p = d.status!.conditions!.find((x) => x.type === 'Progressing')!;
    expect(p).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(p.message).toMatch(/^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
    expect(d.status!.conditions!.find((x) => x.type === 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    expect(d.status).toMatchObject({ replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
  });
});
