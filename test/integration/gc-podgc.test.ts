import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { KubeList, Pod } from '../../src-main/api/types.js';

// Pod garbage collection against the real API server and hollow nodes: pods bound to a node
// that does not exist (or no longer does) are force-deleted after a short quarantine, and
// terminated pods beyond the threshold are deleted oldest first.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ controllers: true, scheduler: true, controllerOptions: { terminatedPodGCThreshold: 2 }, hollowNodes: { count: 2, podStartupDelayMs: 50 } });
});
afterAll(async () => c?.stop());

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 10_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pods = async (selector: string) => ((await c.request('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`)).json as KubeList<Pod>).items;

describe('pod GC', () => {
  it('force-deletes a pod bound to a node that does not exist, after the quarantine', async () => {
    await c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'lost', labels: { t: 'lost' } }, spec: { nodeName: 'no-such-node', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    await new Promise((r) => setTimeout(r, 1000));
    expect((await pods('t=lost')).length).toBe(1); // still in quarantine
    await until('lost pod collected', async () => (await pods('t=lost')).length === 0, 5000);
  });

  it("force-deletes a deleted node's pods; their ReplicaSet replaces them elsewhere", async () => {
    await c.kubectlOK(['create', 'deployment', 'gcweb', '--image=nginx:1.27', '--replicas=4']);
    const running = await until('4 running pods', async () => {
      const ps = (await pods('app=gcweb')).filter((p) => p.status?.phase === 'Running');
      return ps.length === 4 ? ps : undefined;
    });
    const victim = running[0]!.spec.nodeName!;
    const onVictim = running.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata.uid);
    c.cp.hollow!.stopHeartbeat(victim); // its kubelet is gone for good
    await c.kubectlOK(['delete', 'node', victim]);
    await until('pods of the deleted node gone and replaced', async () => {
      const ps = await pods('app=gcweb');
      return !ps.some((p) => onVictim.includes(p.metadata.uid)) && ps.filter((p) => p.status?.phase === 'Running' && p.spec.nodeName !== victim).length === 4;
    }, 10_000);
  });

  it('deletes the oldest terminated pods beyond the threshold', async () => {
    const node = ((await c.request('GET', '/api/v1/nodes')).json as KubeList).items[0]!.metadata.name!;
    for (const name of ['done-a', 'done-b', 'done-c', 'done-d']) {
      // The hollow kubelet leaves these alone (it would start them only after 10 minutes).
      await c.request('POST', '/api/v1/namespaces/default/pods', {
        metadata: { name, labels: { t: 'done' }, annotations: { 'hollow.flotilla.dev/startup-ms': '600000' } },
        spec: { nodeName: node, containers: [{ name: 'c', image: 'busybox:1.36' }] },
      });
      await c.request('PATCH', `/api/v1/namespaces/default/pods/${name}/status`, { status: { phase: 'Succeeded' } }, { 'Content-Type': 'application/merge-patch+json' });
    }
    // The sweep runs every 10 s.
    await until('two left', async () => (await pods('t=done')).length === 2, 15_000);
    expect((await pods('t=done')).map((p) => p.metadata.name).sort()).toEqual(['done-c', 'done-d']);
  }, 30_000);
});
