import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { Pod } from '../../src-main/api/types.js';

// Many pods at once over many hollow nodes, exactly filling them: with 64 bindings in flight and
// pods assumed onto their node before the binding returns, no node may be over-committed, every
// pod must be bound, the replicas of each owner must be spread, and one pod more fits nowhere.

const NODES = 200;
const PODS = NODES * 6;
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({
    scheduler: true,
    hollowNodes: { count: NODES, podStartupDelayMs: 50, capacity: { cpu: '2', memory: '4Gi', pods: '6' } },
  });
}, 120_000);
afterAll(async () => c?.stop());

describe('scheduler at scale', () => {
  it(`binds ${PODS} pods over ${NODES} nodes, filling them exactly`, async () => {
    const client = c.cp.componentClient('scale-test');
    const t0 = Date.now();
    let next = 0;
    const worker = async () => {
      while (next < PODS) {
        const i = next++;
        await client.create('pods', 'default', {
          metadata: {
            name: `s-${i}`,
            ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${i % 5}`, uid: `rs-uid-${i % 5}`, controller: true }],
          },
          // 300m x 6 = 1800m of 2 cores: cpu and the pod count both bind.
          spec: { containers: [{ name: 'c', image: 'nginx:1.25', resources: { requests: { cpu: '300m', memory: '256Mi' } } }] },
        });
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    let pods: Pod[] = [];
    for (;;) {
      const r = await c.request('GET', '/api/v1/namespaces/default/pods');
      pods = r.json.items as Pod[];
      if (pods.filter((p) => p.spec.nodeName).length === PODS) break;
      if (Date.now() - t0 > 60_000) throw new Error(`only ${pods.filter((p) => p.spec.nodeName).length} of ${PODS} pods bound in 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const perNode = new Map<string, number>();
    const perOwnerNode = new Map<string, number>();
    for (const p of pods) {
      perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
      const k = `${p.metadata.ownerReferences![0]!.name}@${p.spec.nodeName}`;
      perOwnerNode.set(k, (perOwnerNode.get(k) ?? 0) + 1);
    }
    expect(perNode.size).toBe(NODES);
    expect(Math.max(...perNode.values())).toBe(6);
    // 240 pods per owner over 200 nodes: spreading keeps each owner to a few per node.
    const maxPerOwner = Math.max(...perOwnerNode.values());
    expect(maxPerOwner).toBeLessThanOrEqual(3);
    // The pods can be seen bound before the scheduler has processed its last binding responses.
    const waitFrom = Date.now();
    while (c.cp.scheduler!.scheduler.stats().scheduled < PODS && Date.now() - waitFrom < 10_000) await new Promise((r) => setTimeout(r, 20));
    const stats = c.cp.scheduler!.scheduler.stats();
    expect(stats).toMatchObject({ scheduled: PODS, bindErrors: 0, unschedulable: 0 });
    console.log(`scheduler-scale: ${PODS} pods bound in ${Date.now() - t0} ms; max replicas of one owner on a node: ${maxPerOwner}`);

    await client.create('pods', 'default', { metadata: { name: 'one-more' }, spec: { containers: [{ name: 'c', image: 'nginx:1.25', resources: { requests: { cpu: '300m' } } }] } });
    for (;;) {
      const p = (await c.request('GET', '/api/v1/namespaces/default/pods/one-more')).json as Pod;
      const cond = p.status?.conditions?.find((x) => x.type === 'PodScheduled');
      if (cond) {
        expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable', message: `0/${NODES} nodes are available: ${NODES} Insufficient cpu, ${NODES} Too many pods.` });
        break;
      }
      if (Date.now() - t0 > 90_000) throw new Error('one-more was not marked unschedulable');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);
});
