import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { Event, KubeList, Node, Pod } from '../../src-main/api/types.js';
import type { NodeLifecycleController } from '../../src-main/controllers/nodelifecycle/nodeLifecycleController.js';
import { until } from '../helpers/wait.js';
import { openWatch } from '../helpers/watchStream.js';

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

    c.cp.hollow!.stopHeartbeat(victim);

    // NotReady in `kubectl get nodes` once the last renewal is 6 s old.
    await until('kubectl shows NotReady', async () => new RegExp(`${victim}\\s+NotReady\\s`).test(await c.kubectlOK(['get', 'nodes'])), undefined, 250);
    const n = await node(victim);
    const conds = Object.fromEntries(n.status!.conditions!.map((x) => [x.type, x]));
    for (const t of ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']) {
      expect(conds[t]).toMatchObject({ status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    }
    const tainted = await until('unreachable:NoExecute taint', async () => {
      const taints = (await node(victim)).spec?.taints ?? [];
      return taints.find((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute');
    });
    // Added when the node went Unknown, not left over from before (both stamps from the controller).
    expect(Date.parse(tainted.timeAdded!)).toBeGreaterThanOrEqual(Date.parse(conds.Ready!.lastTransitionTime!));

    // Its pods are no longer Ready (the kubelet cannot vouch for them).
    await until('pods on the node not Ready', async () => {
      const ps = (await pods()).filter((p) => p.spec.nodeName === victim);
      return ps.length > 0 && ps.every((p) => !isReady(p));
    });

    // The Deployment's pods run elsewhere.
    await until('6 ready pods off the stopped node', async () => {
      const ps = (await pods('app=web')).filter((p) => p.spec.nodeName !== victim && !p.metadata.deletionTimestamp && p.status?.phase === 'Running' && isReady(p));
      return ps.length === 6;
    }, undefined, 200);

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
    await until('kubectl shows Ready', async () => new RegExp(`${victim}\\s+Ready\\s`).test(await c.kubectlOK(['get', 'nodes'])), undefined, 250);
    await until('taints removed', async () => {
      const taints = (await node(victim)).spec?.taints ?? [];
      return !taints.some((t) => t.key === 'node.kubernetes.io/unreachable' || t.key === 'node.kubernetes.io/not-ready');
    });
    await until('evicted pods finished', async () => {
      const names = (await pods()).map((p) => p.metadata.name!);
      return victimPods.every((v) => !names.includes(v));
    });
    await until('forever Ready again', async () => (await pods()).find((p) => p.metadata.name === 'forever' && isReady(p)));
    await c.kubectlOK(['delete', 'deployment', 'web']);
    await c.kubectlOK(['delete', 'pod', 'forever', '--timeout=20s'], { timeoutMs: 25_000 });
  }, 120_000);

  it('a NoExecute taint evicts pods at once, after tolerationSeconds, or never', async () => {
    const target = 'hollow-node-0';
    const mk = (name: string, tolerations?: object[]) =>
      c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name, labels: { t: 'taint' } }, spec: { nodeName: target, containers: [{ name: 'c', image: 'busybox:1.36' }], ...(tolerations ? { tolerations } : {}) } });
    await mk('plain');
    await mk('two-seconds', [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 }]);
    await mk('always', [{ key: 'dedicated', operator: 'Equal', value: 'special', effect: 'NoExecute' }]);
    await until('3 ready pods', async () => (await pods('t=taint')).filter(isReady).length === 3);

    const taintEviction = (c.cp.controllerManager!.controllers.find((x) => x.name === 'node-lifecycle-controller') as NodeLifecycleController).taintEviction;
    const list = (await c.request('GET', '/api/v1/namespaces/default/pods')).json as KubeList;
    const w = openWatch(c, `/api/v1/namespaces/default/pods?watch=true&labelSelector=t%3Dtaint&resourceVersion=${list.metadata.resourceVersion}`);
    await c.kubectlOK(['taint', 'node', target, 'dedicated=special:NoExecute']);
    // At once for the pod that does not tolerate it; two seconds after the controller first saw
    // the taint (kubectl sets no timeAdded) for the one that tolerates it that long; never for the other.
    const asked = (name: string) =>
      w.waitForEvent((e) => e.object.metadata.name === name && !!e.object.metadata.deletionTimestamp, `${name} evicted`).then((e) => {
        const p = e.object as Pod;
        return { rv: Number(p.metadata.resourceVersion), at: Date.parse(p.metadata.deletionTimestamp!) - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000 };
      });
    const [plain, twoSeconds] = await Promise.all([asked('plain'), asked('two-seconds')]);
    w.close();
    expect(plain.rv).toBeLessThan(twoSeconds.rv);
    // The delay, on the server's clock: from the taint's write (kubectl's managedFields entry on
    // the node) to the eviction's delete (deletionTimestamp less the grace period). Both are whole
    // seconds, cut down, so their difference is at least the toleration's whole seconds.
    const taintedNode = await node(target);
    const taintWrite = taintedNode.metadata.managedFields!.find((m) => m.manager === 'kubectl-taint')!;
    expect(twoSeconds.at - Date.parse(taintWrite.time!)).toBeGreaterThanOrEqual(2000);
    // The pod that tolerates the taint forever was passed over while the others were evicted.
    expect((await pods('t=taint')).map((p) => [p.metadata.name, p.metadata.deletionTimestamp])).toEqual([['always', undefined]]);
    expect(taintEviction.pendingEvictions().has('default/always')).toBe(false);

    await c.kubectlOK(['taint', 'node', target, 'dedicated-']);
    await c.kubectlOK(['delete', 'pod', 'always', '--timeout=20s'], { timeoutMs: 25_000 });
  });

  it('a cordoned node gets the unschedulable NoSchedule taint, removed on uncordon', async () => {
    await c.kubectlOK(['cordon', 'hollow-node-2']);
    await until('unschedulable taint', async () => (await node('hollow-node-2')).spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'));
    await c.kubectlOK(['uncordon', 'hollow-node-2']);
    await until('taint removed', async () => !(await node('hollow-node-2')).spec?.taints?.length);
  });
});
