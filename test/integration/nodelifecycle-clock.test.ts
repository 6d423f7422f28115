import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src-main/api/clock.js';
import { nowISO } from '../../src-main/api/time.js';
import type { Lease, Node, Pod, Taint } from '../../src-main/api/types.js';
import { ApiClient } from '../../src-main/client/apiClient.js';
import { InformerFactory, type Informer } from '../../src-main/client/informer.js';
import { makeContext } from '../../src-main/client/controller.js';
import { NodeLifecycleController } from '../../src-main/controllers/nodelifecycle/nodeLifecycleController.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { recordingLogger } from '../helpers/logger.js';
import { until } from '../helpers/wait.js';

// The node lifecycle and taint eviction controllers against the real API server, with their
// time on a ManualClock: the grace period, the per-zone taint rate and tolerationSeconds are
// checked to the millisecond by moving the clock, without waiting for any of them. Nodes,
// Leases and pod status are written by the test, as kubelets would.

const PERIOD = DEFAULT_CONTROLLER_OPTIONS.nodeMonitorPeriodMs; // 1 s
const GRACE = DEFAULT_CONTROLLER_OPTIONS.nodeMonitorGracePeriodMs; // 6 s
const TOLERATION_MS = DEFAULT_CONTROLLER_OPTIONS.defaultTolerationSeconds * 1000; // 3 s
const UNREACHABLE = 'node.kubernetes.io/unreachable';

let c: TestCluster;
let client: ApiClient;
let informers: InformerFactory;
let nlc: NodeLifecycleController;
let leases: Informer<Lease>;
const log = recordingLogger();
// Whole seconds, like the timestamps the controllers write; ahead of every object the test creates.
const clock = new ManualClock(Math.ceil(Date.now() / 1000) * 1000 + 5000);
const START = clock.now();
let passes = 0;

const node = (name: string) => client.get<Node>('nodes', undefined, name);
const pod = (name: string) => client.get<Pod>('pods', 'default', name);
const noExecute = (n: Node, key = UNREACHABLE): Taint | undefined => n.spec?.taints?.find((t) => t.key === key && t.effect === 'NoExecute');
const ready = (n: Node) => n.status?.conditions?.find((x) => x.type === 'Ready')?.status;

function readyConditions(): Node['status'] {
  const t = nowISO();
  return { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: t, lastTransitionTime: t }] };
}

let renewals = 0;
/** What a kubelet does every few seconds: renew its Lease. */
async function writeLease(name: string): Promise<string> {
  const renewTime = new Date(Date.now() + renewals++).toISOString().replace('Z', '000Z');
  await client.update('leases.coordination.k8s.io', { metadata: { name, namespace: 'kube-node-lease' }, spec: { holderIdentity: name, leaseDurationSeconds: 10, renewTime } });
  return renewTime;
}

/** Renews the Lease and waits until the controller's cache has it. */
async function renewLease(name: string): Promise<void> {
  const renewTime = await writeLease(name);
  await until(`lease ${name} in the cache`, () => leases.get('kube-node-lease', name)?.spec?.renewTime === renewTime);
}

/** Moves the clock one monitor period (node c, the healthy one, renews first) and waits for that pass. */
async function nextPass(): Promise<void> {
  await renewLease('c');
  const n = passes;
  clock.advance(PERIOD);
  await until(`monitor pass ${n + 1}`, () => passes > n);
}

beforeAll(async () => {
  c = await startTestCluster();
  client = new ApiClient({ url: c.cp.url, token: c.cp.adminToken, ca: c.cp.caCert, userAgent: 'nodelifecycle-clock-test' });
  for (const name of ['a', 'b', 'c']) {
    await client.create('nodes', undefined, { metadata: { name }, status: readyConditions() });
    await client.patch('nodes', undefined, name, { status: readyConditions() }, 'merge', 'status');
    await writeLease(name); // the informer does not run yet: only the write matters here
  }
  const onNode = (name: string, nodeName: string, tolerations?: object[]) =>
    client.create('pods', 'default', { metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox:1.36' }], ...(tolerations ? { tolerations } : {}) } });
  await onNode('web-a', 'a');
  await onNode('web-b', 'b');
  await onNode('forever-a', 'a', [{ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]);
  for (const name of ['web-a', 'web-b', 'forever-a']) {
    await client.patch('pods', 'default', name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: nowISO() }] } }, 'strategic', 'status');
  }

  informers = new InformerFactory(client);
  nlc = new NodeLifecycleController(makeContext(client, informers, DEFAULT_CONTROLLER_OPTIONS, log.log, clock));
  const pass = nlc.monitorNodeHealth.bind(nlc);
  nlc.monitorNodeHealth = async () => {
    await pass();
    passes++;
  };
  nlc.init();
  leases = informers.informer<Lease>('leases.coordination.k8s.io');
  await informers.start();
  nlc.run();
  clock.advance(0); // the first pass is due at once
  await until('first monitor pass', () => passes === 1);
}, 30_000);

afterAll(async () => {
  await nlc?.stop();
  informers?.stop();
  client?.close();
  await c?.stop();
});

describe('node lifecycle on a manual clock', () => {
  it('marks silent nodes Unknown after exactly the grace period, taints them one per second per zone, and evicts after tolerationSeconds', async () => {
    // Nodes a and b fall silent at START (their last sign of life was seen by the first pass).
    for (let t = PERIOD; t <= GRACE; t += PERIOD) await nextPass();
    expect(clock.now()).toBe(START + GRACE);
    for (const name of ['a', 'b']) expect(ready(await node(name))).toBe('True'); // silent for exactly the grace period: not yet

    await nextPass(); // START + 7 s: silent for longer than the grace period
    const tFirst = clock.now();
    const [a1, b1] = [await node('a'), await node('b')];
    expect([ready(a1), ready(b1), ready(await node('c'))]).toEqual(['Unknown', 'Unknown', 'True']);
    expect(a1.status!.conditions!.find((x) => x.type === 'Ready')).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: nowISO(tFirst) });
    // The zone's limiter lets one NoExecute taint through per second (evictionQPS 1, burst 1).
    const firstTainted = [a1, b1].filter((n) => noExecute(n));
    expect(firstTainted).toHaveLength(1);
    expect(noExecute(firstTainted[0]!)!.timeAdded).toBe(nowISO(tFirst));

    await nextPass(); // START + 8 s: the next token
    const tSecond = clock.now();
    const [a2, b2] = [await node('a'), await node('b')];
    expect([noExecute(a2), noExecute(b2)].map((t) => t?.timeAdded).sort()).toEqual([nowISO(tFirst), nowISO(tSecond)]);

    // Their pods were marked not Ready when the nodes went Unknown.
    for (const name of ['web-a', 'web-b', 'forever-a']) {
      await until(`${name} not Ready`, async () => (await pod(name)).status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False');
    }

    // web-a and web-b tolerate the taint for the default 3 s, counted from its timeAdded.
    const tA = Date.parse(noExecute(a2)!.timeAdded!);
    const tB = Date.parse(noExecute(b2)!.timeAdded!);
    await until('evictions scheduled', () => nlc.taintEviction.pendingEvictions().size === 2);
    expect(Object.fromEntries(nlc.taintEviction.pendingEvictions())).toEqual({ 'default/web-a': tA + TOLERATION_MS, 'default/web-b': tB + TOLERATION_MS });

    const due = Math.max(tA, tB) + TOLERATION_MS;
    while (clock.now() + PERIOD <= due) {
      await nextPass();
      for (const name of ['web-a', 'web-b']) {
        const p = await pod(name);
        const dueAt = name === 'web-a' ? tA + TOLERATION_MS : tB + TOLERATION_MS;
        if (clock.now() < dueAt) expect(p.metadata.deletionTimestamp).toBeUndefined();
      }
    }
    await nextPass(); // past both deadlines (the eviction timers fire 10 ms after them)
    for (const name of ['web-a', 'web-b']) {
      const p = await until(`${name} evicted`, async () => {
        const cur = await pod(name);
        return cur.metadata.deletionTimestamp ? cur : undefined;
      });
      expect(p.status!.conditions!.find((x) => x.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
    }
    // Tolerated forever: never scheduled, never deleted.
    expect((await pod('forever-a')).metadata.deletionTimestamp).toBeUndefined();
    expect(nlc.taintEviction.pendingEvictions().has('default/forever-a')).toBe(false);

    // Node a's kubelet reports again: Ready, and the NoExecute taint goes in the next pass.
    await client.patch('nodes', undefined, 'a', { status: readyConditions() }, 'merge', 'status');
    await until('a Ready in the cache', () => informers.informer<Node>('nodes').get(undefined, 'a')?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
    await renewLease('a');
    await nextPass();
    expect(noExecute(await node('a'))).toBeUndefined();
    expect(noExecute(await node('b'))).toBeDefined();
    expect(log.lines().filter((l) => !/stopped posting status|tainted node|deleting pod|zone state changed zone="" state=Normal/.test(l))).toEqual([]);
  }, 60_000);
});
