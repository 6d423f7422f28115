import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { KubeObject, KubeList, Pod, ReplicaSet } from '../../src-main/api/types.js';
import { until } from '../helpers/wait.js';

// The garbage collector against the real API server, controller manager, scheduler and hollow
// nodes: `kubectl delete --cascade=background|foreground|orphan` on ReplicaSets and Deployments,
// and dependents whose owners are gone.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ controllers: true, scheduler: true, hollowNodes: { count: 2, podStartupDelayMs: 50 } });
});
afterAll(async () => c?.stop());

const get = async <T = KubeObject>(path: string) => {
  const r = await c.request('GET', path);
  return r.status === 200 ? (r.json as T) : undefined;
};
const podsOf = async (app: string) => ((await c.request('GET', `/api/v1/namespaces/default/pods?labelSelector=app%3D${app}`)).json as KubeList<Pod>).items;

function rsManifest(name: string, replicas = 2): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, labels: { app: name } },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nginx:1.27' }] } } },
  });
}

async function createRunningRS(name: string, replicas = 2): Promise<{ rs: ReplicaSet; pods: Pod[] }> {
  await c.kubectlOK(['apply', '-f', '-'], { input: rsManifest(name, replicas) });
  const pods = await until(`${replicas} running pods of ${name}`, async () => {
    const ps = (await podsOf(name)).filter((p) => p.status?.phase === 'Running');
    return ps.length === replicas ? ps : undefined;
  });
  const rs = (await get<ReplicaSet>(`/apis/apps/v1/namespaces/default/replicasets/${name}`))!;
  for (const p of pods) expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true })]);
  return { rs, pods };
}

describe('garbage collector', () => {
  it('--cascade=background: the ReplicaSet goes at once, its pods follow', async () => {
    await createRunningRS('bg');
    await c.kubectlOK(['delete', 'rs', 'bg', '--cascade=background']);
    expect(await get('/apis/apps/v1/namespaces/default/replicasets/bg')).toBeUndefined();
    await until('pods of bg gone', async () => (await podsOf('bg')).length === 0);
  });

  it('--cascade=foreground: the ReplicaSet waits until its pods are gone', async () => {
    await createRunningRS('fg');
    // kubectl waits for the owner to disappear; by then every blocking dependent is gone.
    await c.kubectlOK(['delete', 'rs', 'fg', '--cascade=foreground', '--timeout=20s'], { timeoutMs: 25_000 });
    expect(await get('/apis/apps/v1/namespaces/default/replicasets/fg')).toBeUndefined();
    expect(await podsOf('fg')).toEqual([]);
  });

  it('--cascade=foreground is held by a blocking dependent until it goes', async () => {
    const { rs } = await createRunningRS('hold');
    // A dependent that cannot go yet: a ConfigMap with a finalizer nobody else removes.
    await c.request('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: {
        name: 'hold-cm',
        finalizers: ['example.com/hold'],
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'hold', uid: rs.metadata.uid, blockOwnerDeletion: true }],
      },
    });
    await c.kubectlOK(['delete', 'rs', 'hold', '--cascade=foreground', '--wait=false']);
    // The pods go; the ConfigMap is being deleted but its finalizer holds it, and with it the owner.
    await until('pods of hold gone', async () => (await podsOf('hold')).length === 0);
    const cm = await until('configmap marked for deletion', async () => {
      const o = await get('/api/v1/namespaces/default/configmaps/hold-cm');
      return o?.metadata.deletionTimestamp ? o : undefined;
    });
    // A positive control: a dependent whose owner never existed, created after the ConfigMap was
    // marked. Once the collector has removed it, it has also weighed the owner again (the marked
    // ConfigMap enqueued it first), so an owner it wrongly released would be gone by now.
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-4000-8000-0000000000a1' };
    await c.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'hold-control', ownerReferences: [ghost] } });
    await until('the control collected', async () => (await get('/api/v1/namespaces/default/configmaps/hold-control')) === undefined);
    const held = (await get<ReplicaSet>('/apis/apps/v1/namespaces/default/replicasets/hold'))!;
    expect(held.metadata.deletionTimestamp).toBeTruthy();
    expect(held.metadata.finalizers).toEqual(['foregroundDeletion']);
    // Release the dependent: the owner finishes.
    await c.request('PATCH', '/api/v1/namespaces/default/configmaps/hold-cm', { metadata: { finalizers: null, resourceVersion: cm.metadata.resourceVersion } }, { 'Content-Type': 'application/merge-patch+json' });
    await until('ReplicaSet hold gone', async () => (await get('/apis/apps/v1/namespaces/default/replicasets/hold')) === undefined);
  });

  it('--cascade=orphan: the ReplicaSet goes, its pods stay without ownerReferences', async () => {
    const { pods } = await createRunningRS('orph');
    await c.kubectlOK(['delete', 'rs', 'orph', '--cascade=orphan', '--timeout=20s'], { timeoutMs: 25_000 });
    expect(await get('/apis/apps/v1/namespaces/default/replicasets/orph')).toBeUndefined();
    const left = await podsOf('orph');
    expect(left.map((p) => p.metadata.uid).sort()).toEqual(pods.map((p) => p.metadata.uid).sort());
    for (const p of left) {
      expect(p.metadata.ownerReferences ?? []).toEqual([]);
      expect(p.metadata.deletionTimestamp).toBeUndefined();
    }
    await c.kubectlOK(['delete', 'pods', '-l', 'app=orph', '--timeout=20s'], { timeoutMs: 25_000 });
  });

  it('deleting a Deployment collects its ReplicaSets and their pods', async () => {
    await c.kubectlOK(['create', 'deployment', 'dep', '--image=nginx:1.27', '--replicas=2']);
    await until('2 running pods of dep', async () => (await podsOf('dep')).filter((p) => p.status?.phase === 'Running').length === 2);
    await c.kubectlOK(['delete', 'deployment', 'dep']);
    await until('ReplicaSets and pods of dep gone', async () => {
      const rss = ((await c.request('GET', '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Ddep')).json as KubeList).items;
      return rss.length === 0 && (await podsOf('dep')).length === 0;
    });
  });

  it('--cascade=foreground on a Deployment passes down: pods, then ReplicaSets, then the Deployment', async () => {
    await c.kubectlOK(['create', 'deployment', 'fgdep', '--image=nginx:1.27', '--replicas=2']);
    await until('2 running pods of fgdep', async () => (await podsOf('fgdep')).filter((p) => p.status?.phase === 'Running').length === 2);
    await c.kubectlOK(['delete', 'deployment', 'fgdep', '--cascade=foreground', '--timeout=20s'], { timeoutMs: 25_000 });
    expect(await get('/apis/apps/v1/namespaces/default/deployments/fgdep')).toBeUndefined();
    const rss = ((await c.request('GET', '/apis/apps/v1/namespaces/default/replicasets?labelSelector=app%3Dfgdep')).json as KubeList).items;
    expect(rss).toEqual([]);
    expect(await podsOf('fgdep')).toEqual([]);
  });

  it('collects an object whose only owner never existed, and drops a dangling owner when another lives', async () => {
    const owner = (await c.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner-cm' } })).json as KubeObject;
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-4000-8000-000000000000' };
    await c.request('POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'orphan-secret', ownerReferences: [ghost] }, stringData: { a: 'b' } });
    await c.request('POST', '/api/v1/namespaces/default/secrets', {
      metadata: { name: 'two-owners', ownerReferences: [ghost, { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner-cm', uid: owner.metadata.uid }] },
      stringData: { a: 'b' },
    });
    await until('orphan-secret collected', async () => (await get('/api/v1/namespaces/default/secrets/orphan-secret')) === undefined);
    const kept = await until('dangling reference dropped', async () => {
      const s = await get('/api/v1/namespaces/default/secrets/two-owners');
      return s?.metadata.ownerReferences?.length === 1 ? s : undefined;
    });
    expect(kept.metadata.ownerReferences).toEqual([expect.objectContaining({ name: 'owner-cm', uid: owner.metadata.uid })]);
    // And when the last owner goes, so does the dependent.
    await c.kubectlOK(['delete', 'configmap', 'owner-cm']);
    await until('two-owners collected', async () => (await get('/api/v1/namespaces/default/secrets/two-owners')) === undefined);
  });

  it('collects the Lease of a deleted node (owned by its Node)', async () => {
    const node = (await c.request('POST', '/api/v1/nodes', { metadata: { name: 'gc-node' } })).json as KubeObject;
    await c.request('POST', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
      metadata: { name: 'gc-node', ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'gc-node', uid: node.metadata.uid }] },
      spec: { holderIdentity: 'gc-node', leaseDurationSeconds: 10 },
    });
    await c.kubectlOK(['delete', 'node', 'gc-node']);
    await until('lease collected', async () => (await get('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/gc-node')) === undefined);
  });
});
