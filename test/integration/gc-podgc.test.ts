import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { KubeList, Pod } from '../../src-main/api/types.js';
import { DEFAULT_PODGC_TIMING } from '../../src-main/controllers/podgc/podGCController.js';
import { until } from '../helpers/wait.js';
import { openWatch } from '../helpers/watchStream.js';

// Pod garbage collection against the real API server and hollow nodes: pods bound to a node
// that does not exist (or no longer does) are force-deleted after a short quarantine, and
// terminated pods beyond the threshold are deleted oldest first.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ controllers: true, scheduler: true, controllerOptions: { terminatedPodGCThreshold: 2 }, hollowNodes: { count: 2, podStartupDelayMs: 50 } });
});
afterAll(async () => c?.stop());

const pods = async (selector: string) => ((await c.request('GET', `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`)).json as KubeList<Pod>).items;

describe('pod GC', () => {
  it('force-deletes a pod bound to a node that does not exist, after the quarantine', async () => {
    const list = (await c.request('GET', '/api/v1/namespaces/default/pods')).json as KubeList;
    const w = openWatch(c, `/api/v1/namespaces/default/pods?watch=true&labelSelector=t%3Dlost&resourceVersion=${list.metadata.resourceVersion}`);
    try {
      await c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'lost', labels: { t: 'lost' } }, spec: { nodeName: 'no-such-node', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
      const gone = await w.waitForEvent((e) => e.type === 'DELETED', 'the lost pod deleted');
      // Marked Failed with the reason first, then deleted: nothing else happened to it.
      expect(w.events.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
      const last = gone.object as Pod;
      expect(last.status?.phase).toBe('Failed');
      const marked = last.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
      expect(marked).toMatchObject({ status: 'True', reason: 'DeletionByPodGC', message: 'PodGC: node no longer exists' });
      // The quarantine, on the server's clock: the mark came no sooner than the quarantine after
      // the pod (and so its missing node) appeared. Both stamps are whole seconds, cut down, so
      // their difference is at least the quarantine's whole seconds.
      const waited = Date.parse(marked!.lastTransitionTime!) - Date.parse(last.metadata.creationTimestamp!);
      expect(waited).toBeGreaterThanOrEqual(Math.floor(DEFAULT_PODGC_TIMING.quarantineMs / 1000) * 1000);
    } finally {
      w.close();
    }
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
    });
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
    await until('two left', async () => (await pods('t=done')).length === 2, 25_000);
    expect((await pods('t=done')).map((p) => p.metadata.name).sort()).toEqual(['done-c', 'done-d']);
  }, 30_000);
});
