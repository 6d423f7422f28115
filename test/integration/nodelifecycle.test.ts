import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { Event, KubeList, Node, Pod } from '../../src-main/api/types.js';
import type { NodeLifecycleController } from '../../src-main/controllers/nodelifecycle/nodeLifecycleController.js';

// The node lifecycle and taint eviction controllers with the desktop timing defaults (Lease
// renewed every 2 s, a node silent for 6 s is Unknown and tainted, pods tolerate that for 3 s),
// against the real API server, scheduler, ReplicaSet/Deployment controllers and hollow nodes.
// What happens is checked here; exactly when is checked on a manual clock in
// nodelifecycle-clock.test.ts, so nothing here asserts how long anything took.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ controllers: true, scheduler: true, hollowNodes: { count: 3, podStartupDelayMs: 50 } });
});
afterAll(async () => c?.stop());

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 10_000, everyMs = 100): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const node = async (name: string) => (await c.request('GET', `/api/v1/nodes/${name}`)).json as Node;
const pods = async (selector = '') => ((await c.request('GET', `/api/v1/namespaces/default/pods${selector ? `?labelSelector=${encodeURIComponent(selector)}` : ''}`)).json as KubeList<Pod>).items;
const isReady = (p: Pod) => p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'True';
const events = async () => ((await c.request('GET', '/api/v1/namespaces/default/events')).json as KubeList<Event>).items;

describe('node lifecycle', () => {
  it('a node that stops heartbeating goes NotReady, is tainted, its pods move; it comes back clean', async () => {
    await c.kubectlOK(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=6']);
    const running = await until('6 ready pods', async () => {
      const ps = (await pods('app=web')).filter((p) => p.status?.phase === 'Running' && isReady(p));
      return ps.length === 6 ? ps : undefined;
    });
    // The node with the most of them stops.
    const perNode = new Map<string, number>();
    for (const p of running) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    const victim = [...perNode.entries()].sort((a, b) => b[1] - a[1])[0]![0];
    const victimPods = running.filter((p) => p.spec.nodeName === victim).map((p) => p.metadata.name!);
    // A pod that tolerates an unreachable node forever stays put.
    await c.request('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'forever' },
      spec: { nodeName: victim, containers: [{ name: 'c', image: 'busybox:1.36' }], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] },
    });
    await until('forever running', async () => (await pods()).find((p) => p.metadata.name === 'forever' && isReady(p)));

    const t0 = Date.now();
    c.cp.hollow!.stopHeartbeat(victim);

    // NotReady in `kubectl get nodes` once the last renewal is 6 s old.
    await until('kubectl shows NotReady', async () => new RegExp(`${victim}\\s+NotReady\\s`).test(await c.kubectlOK(['get', 'nodes'])), 12_000, 250);
    const n = await node(victim);
    const conds = Object.fromEntries(n.status!.conditions!.map((x) => [x.type, x]));
    for (const t of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      expect(conds[t]).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    }
    const tainted = await until('unreachable:NoExecute taint', async () => {
      const taints = (await node(victim)).spec?.taints ?? [];
      return taints.find((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
    }, 3000);
    expect(Date.parse(tainted.timeAdded!)).toBeGreaterThan(t0);

    // Its pods are no longer Ready (the kubelet cannot vouch for them).
    await until('pods on the node not Ready', async () => {
      const ps = (await pods()).filter((p) => p.spec.nodeName === victim);
      return ps.length > 0 && ps.every((p) => !isReady(p));
    }, 3000);

    // The Deployment's pods run elsewhere.
    await until('6 ready pods off the stopped node', async () => {
      const ps = (await pods('app=web')).filter((p) => p.spec.nodeName !== victim && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isReady(p));
      return ps.length === 6;
    }, 20_000, 200);

    // The evicted pods are terminating (their kubelet is gone), with the reason on them and an event.
    const onVictim = (await pods()).filter((p) => p.spec.nodeName === victim);
    for (const name of victimPods) {
      const p = onVictim.find((x) => x.metadata.name === name)!;
      expect(p.metadata.deletionTimestamp).toBeTruthy();
      expect(p.status!.conditions!.find((x) => x.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
    }
    expect(onVictim.find((p) => p.metadata.name === 'forever')!.metadata.deletionTimestamp).toBeUndefined();
    const evs = await events();
    for (const name of victimPods) {
      expect(evs.some((e) => e.reason === 'TaintManagerEviction' && e.involvedObject.name === name && e.message === `Marking for deletion Pod default/${name}`)).toBe(true);
    }
    expect(evs.some((e) => e.reason === 'NodeNotReady' && e.involvedObject.kind === 'Node' && e.involvedObject.name === victim && e.message === `Node ${victim} status is now: NodeNotReady`)).toBe(true);
    expect(evs.some((e) => e.reason === 'NodeNotReady' && e.involvedObject.kind === 'Pod' && e.type === 'Warning')).toBe(true);
    // Nothing new goes to the unreachable node.
    expect((await node(victim)).spec!.taints!.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoSchedule')).toBe(true);

    // It comes back: Ready, untainted, and its kubelet finishes the evicted pods.
    await c.cp.hollow!.resumeHeartbeat(victim);
    await until('kubectl shows Ready', async () => new RegExp(`${victim}\\s+Ready\\s`).test(await c.kubectlOK(['get', 'nodes'])), 10_000, 250);
    await until('taints removed', async () => {
      const taints = (await node(victim)).spec?.taints ?? [];
      return !taints.some((t) => t.key === 'node.kubernetes.io/unreachable' || t.key === 'node.kubernetes.io/not-ready');
    }, 5000);
    await until('evicted pods finished', async () => {
      const names = (await pods()).map((p) => p.metadata.name!);
      return victimPods.every((v) => !names.includes(v));
    }, 5000);
    await until('forever Ready again', async () => (await pods()).find((p) => p.metadata.name === 'forever' && isReady(p)), 5000);
    await c.kubectlOK(['delete', 'deployment', 'web']);
    await c.kubectlOK(['delete', 'pod', 'forever', '--timeout=20s'], { timeoutMs: 25_000 });
  }, 60_000);

  it('a NoExecute taint evicts pods at once, after tolerationSeconds, or never', async () => {
    const target = 'hollow-node-0';
    const mk = (name: string, tolerations?: object[]) =>
      c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name, labels: { t: 'taint' } }, spec: { nodeName: target, containers: [{ name: 'c', image: 'busybox:1.36' }], ...(tolerations ? { tolerations } : {}) } });
    await mk('plain');
    await mk('two-seconds', [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
    await mk('always', [{ key: 'dedicated', operator: 'Equal', value: 'special', effect: 'NoExecute' }]);
    await until('3 ready pods', async () => (await pods('t=taint')).filter(isReady).length === 3);

    const taintEviction = (c.cp.controllerManager!.controllers.find((x) => x.name === 'node-lifecycle-controller') as NodeLifecycleController).taintEviction;
    const beforeTaint = Date.now();
    await c.kubectlOK(['taint', 'node', target, 'dedicated=special:NoExecute']);
    // At once for the pod that does not tolerate it; two seconds after the controller first saw
    // the taint (kubectl sets no timeAdded) for the one that tolerates it that long, scheduled
    // while it still runs; never for the other.
    const scheduled = await until('two-seconds scheduled', async () => taintEviction.pendingEvictions().get('default/two-seconds'), 5000, 20);
    expect(scheduled).toBeGreaterThanOrEqual(beforeTaint + 2000);
    expect(taintEviction.pendingEvictions().has('default/always')).toBe(false);
    await until('plain evicted', async () => !(await pods('t=taint')).some((p) => p.metadata.name === 'plain'), 5000, 50);
    await until('two-seconds evicted', async () => !(await pods('t=taint')).some((p) => p.metadata.name === 'two-seconds'), 5000, 50);
    expect((await pods('t=taint')).map((p) => p.metadata.name)).toEqual(['always']);
    expect(taintEviction.pendingEvictions().has('default/always')).toBe(false);

    await c.kubectlOK(['taint', 'node', target, 'dedicated-']);
    await c.kubectlOK(['delete', 'pod', 'always', '--timeout=20s'], { timeoutMs: 25_000 });
  });

  it('a cordoned node gets the unschedulable NoSchedule taint, removed on uncordon', async () => {
    await c.kubectlOK(['cordon', 'hollow-node-2']);
    await until('unschedulable taint', async () => (await node('hollow-node-2')).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'), 5000);
    await c.kubectlOK(['uncordon', 'hollow-node-2']);
    await until('taint removed', async () => !(await node('hollow-node-2')).spec?.taints?.length, 5000);
  });
});
