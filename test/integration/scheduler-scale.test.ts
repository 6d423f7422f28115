import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { Pod } from '../../src-main/api/types.js';
import { until } from '../helpers/wait.js';

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
    const pods = await until(
      `all ${PODS} pods bound`,
      async () => {
        const items = (await c.request('GET', '/api/v1/namespaces/default/pods')).json.items as Pod[];
        const bound = items.filter((p) => p.spec.nodeName).length;
        if (bound !== PODS) throw new Error(`${bound} of ${PODS} bound`);
        return items;
      },
      60_000,
      200,
    );
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
    await until('the scheduler to count every binding', () => c.cp.scheduler!.scheduler.stats().scheduled >= PODS).catch(() => undefined);
    const stats = c.cp.scheduler!.scheduler.stats();
    expect(stats).toMatchObject({ scheduled: PODS, bindErrors: 0, unschedulable: 0 });
    console.log(`scheduler-scale: ${PODS} pods bound in ${Date.now() - t0} ms; max replicas of one owner on a node: ${maxPerOwner}`);

    await client.create('pods', 'default', { metadata: { name: 'one-more' }, spec: { containers: [{ name: 'c', image: 'nginx:1.25', resources: { requests: { cpu: '300m' } } }] } });
    const cond = await until('one-more to get a PodScheduled condition', async () => {
      const p = (await c.request('GET', '/api/v1/namespaces/default/pods/one-more')).json as Pod;
      return p.status?.conditions?.find((x) => x.type === 'PodScheduled');
    });
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable', message: `0/${NODES} nodes are available: ${NODES} Insufficient cpu, ${NODES} Too many pods.` });
  }, 120_000);
});
