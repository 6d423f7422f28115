import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeList, Pod, ReplicaSet } from '../../src-main/api/types.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { until } from '../helpers/wait.js';
import { openWatch } from '../helpers/watchStream.js';

// The ReplicaSet controller under Deployments, on its own: bare ReplicaSets driven with the real
// kubectl on a control plane with the scheduler and hollow nodes. Pod counts are read from a
// raw watch opened before each change, so a double creation would show even if it were undone.

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({ scheduler: true, controllers: true, hollowNodes: { count: 3, podStartupDelayMs: 100 } });
});

afterAll(async () => {
  await c?.stop();
});

function rsManifest(ns: string, name: string, replicas: number, o: { minReadySeconds?: number } = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      ...(o.minReadySeconds ? { minReadySeconds: o.minReadySeconds } : {}),
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name, tier: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } },
    },
  });
}

async function namespace(ns: string): Promise<void> {
  await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }) });
}

async function get<T>(path: string): Promise<T> {
  const r = await c.request('GET', path);
  if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.text}`);
  return r.json as T;
}

const rs = (ns: string, name: string) => get<ReplicaSet>(`/apis/apps/v1/namespaces/${ns}/replicasets/${name}`);
const pods = async (ns: string, app: string) => (await get<KubeList<Pod>>(`/api/v1/namespaces/${ns}/pods?labelSelector=app%3D${app}`)).items;
const live = (ps: Pod[]) => ps.filter((p) => !p.metadata.deletionTimestamp);
const isReady = (p: Pod) => p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';

/** A raw pod watch from "now" (a list's resourceVersion) in a namespace. */
async function watchPods(ns: string) {
  const list = await get<KubeList<Pod>>(`/api/v1/namespaces/${ns}/pods`);
  const w = openWatch(c, `/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
  expect(await w.status).toBe(200);
  return {
    added: () => w.events.filter((e) => e.type === 'ADDED').map((e) => e.object as Pod),
    deletionsStarted: () => new Set(w.events.filter((e) => e.object?.metadata?.deletionTimestamp || e.type === 'DELETED').map((e) => (e.object as Pod).metadata.name)),
    close: () => w.close(),
  };
}

async function settled(ns: string, name: string, replicas: number): Promise<ReplicaSet> {
  return until(`${name} to report ${replicas} ready replicas`, async () => {
    const r = await rs(ns, name);
    const s = r.status;
    return s && s.replicas === replicas && (s.readyReplicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas && (s.observedGeneration ?? 0) >= (r.metadata.generation ?? 0) && r;
  });
}

describe('ReplicaSets (real kubectl, scheduler, hollow nodes)', () => {
  it('creates exactly spec.replicas pods, replaces a deleted one, scales with kubectl', async () => {
    const ns = 'rs-basic';
    await namespace(ns);
    const w = await watchPods(ns);
    await c.kubectlOK(['apply', '-f', '-'], { input: rsManifest(ns, 'front', 12) });
    const r = await settled(ns, 'front', 12);
    expect(r.status).toMatchObject({ replicas: 12, fullyLabeledReplicas: 12, readyReplicas: 12, availableReplicas: 12, observedGeneration: 1 });
    expect(w.added()).toHaveLength(12); // never over-created, even transiently
    for (const p of w.added()) {
      expect(p.metadata.generateName).toBe('front-');
      expect(p.metadata.labels).toEqual({ app: 'front', tier: 'web' });
      expect(p.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'front', uid: r.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    }
    expect(parseTable(await c.kubectlOK(['-n', ns, 'get', 'rs', 'front'])).rows[0]).toMatchObject({ DESIRED: '12', CURRENT: '12', READY: '12' });

    const victim = w.added()[0]!.metadata.name!;
    await c.kubectlOK(['-n', ns, 'delete', 'pod', victim, '--wait=false']);
    await settled(ns, 'front', 12);
    await until('a replacement', async () => w.added().length === 13);
    expect(w.added()).toHaveLength(13);

    await c.kubectlOK(['-n', ns, 'scale', 'rs', 'front', '--replicas=4']);
    await until('4 pods', async () => (await pods(ns, 'front')).length === 4);
    await settled(ns, 'front', 4);
    expect(w.added()).toHaveLength(13);
    w.close();
  });

  it('adopts matching orphans instead of creating pods, and releases pods whose labels stop matching', async () => {
    const ns = 'rs-adopt';
    await namespace(ns);
    const orphan = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', namespace: ns, labels: { app: 'api' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } };
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(orphan) });
    const w = await watchPods(ns);
    await c.kubectlOK(['apply', '-f', '-'], { input: rsManifest(ns, 'api', 3) });
    const r = await settled(ns, 'api', 3);
    expect(w.added()).toHaveLength(2);
    const stray = await get<Pod>(`/api/v1/namespaces/${ns}/pods/stray`);
    expect(stray.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api', uid: r.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    // The adopted pod lacks the template's tier label: counted, but not fully labeled.
    expect(r.status!.fullyLabeledReplicas).toBe(2);

    // Relabel one pod out of the selector: it is released and replaced.
    const owned = w.added()[0]!.metadata.name!;
    await c.kubectlOK(['-n', ns, 'label', 'pod', owned, 'app=elsewhere', '--overwrite']);
    await until('the relabelled pod to be released', async () => !(await get<Pod>(`/api/v1/namespaces/${ns}/pods/${owned}`)).metadata.ownerReferences?.length);
    await until('a replacement', async () => w.added().length === 3);
    await settled(ns, 'api', 3);
    expect(live(await pods(ns, 'api'))).toHaveLength(3);
    expect(w.added()).toHaveLength(3);
    w.close();
  });

  it('deletes unready pods first when scaling down', async () => {
    const ns = 'rs-order';
    await namespace(ns);
    await c.kubectlOK(['apply', '-f', '-'], { input: rsManifest(ns, 'svc', 4) });
    await settled(ns, 'svc', 4);
    const [sick] = await pods(ns, 'svc');
    // The hollow node reports a pod with this annotation as not Ready.
    await c.kubectlOK(['-n', ns, 'annotate', 'pod', sick!.metadata.name!, 'hollow.flotilla.dev/ready=false']);
    await until('the pod to turn unready', async () => !isReady(await get<Pod>(`/api/v1/namespaces/${ns}/pods/${sick!.metadata.name}`)));
    await until('readyReplicas 3', async () => (await rs(ns, 'svc')).status?.readyReplicas === 3);
    const w = await watchPods(ns);
    await c.kubectlOK(['-n', ns, 'scale', 'rs', 'svc', '--replicas=3']);
    await settled(ns, 'svc', 3);
    expect([...w.deletionsStarted()]).toEqual([sick!.metadata.name]);
    w.close();
  });

  it('counts pods as available only after minReadySeconds', async () => {
    const ns = 'rs-minready';
    const MIN_READY_S = 2;
    await namespace(ns);
    const list = await get<KubeList>(`/apis/apps/v1/namespaces/${ns}/replicasets`);
    const rsWatch = openWatch(c, `/apis/apps/v1/namespaces/${ns}/replicasets?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    const podWatch = openWatch(c, `/api/v1/namespaces/${ns}/pods?watch=true&resourceVersion=${list.metadata.resourceVersion}`);
    try {
      await c.kubectlOK(['apply', '-f', '-'], { input: rsManifest(ns, 'slow', 2, { minReadySeconds: MIN_READY_S }) });
      const flip = await rsWatch.waitForEvent((e) => e.object.status?.availableReplicas === 2, 'availableReplicas 2');
      const flipRV = Number(flip.object.metadata.resourceVersion);
      // In order: both pods Ready while none counted available, then both available.
      const before = rsWatch.events.filter((e) => Number(e.object.metadata.resourceVersion) < flipRV).map((e) => e.object as ReplicaSet);
      expect(before.some((r) => r.status?.readyReplicas === 2 && (r.status.availableReplicas ?? 0) === 0)).toBe(true);

      // The delay, on the server's clock: the status write that counted them available came at
      // least minReadySeconds after the later pod turned Ready. (Both stamps are whole seconds, cut
      // down, so their difference is at least the delay's whole seconds.)
      const podsBefore = podWatch.events.filter((e) => Number(e.object.metadata.resourceVersion) < flipRV).map((e) => e.object as Pod);
      const readySince = new Map<string, number>();
      for (const p of podsBefore) {
        const cond = p.status?.conditions?.find((x) => x.type === 'Ready' && x.status === 'True');
        if (cond?.lastTransitionTime) readySince.set(p.metadata.name!, Date.parse(cond.lastTransitionTime));
      }
      expect(readySince.size).toBe(2);
      const lastReady = Math.max(...readySince.values());
      const statusWrites = (flip.object as ReplicaSet).metadata.managedFields!.filter((m) => m.subresource === 'status');
      const countedAt = Math.max(...statusWrites.map((m) => Date.parse(m.time!)));
      expect(countedAt - lastReady).toBeGreaterThanOrEqual(MIN_READY_S * 1000);
      // Nothing happened to the pods after they were Ready and before they were counted: the
      // controller came back to them by itself.
      expect(isReady(podsBefore[podsBefore.length - 1]!)).toBe(true);
      await settled(ns, 'slow', 2);
    } finally {
      rsWatch.close();
      podWatch.close();
    }
  });
});
