import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { KubeList, Lease, Node } from '../../src-main/api/types.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import { until } from '../helpers/wait.js';
import type { NodeLifecycleController } from '../../src-main/controllers/nodelifecycle/nodeLifecycleController.js';

// The node lifecycle controller at 1,000 hollow nodes (every Lease renewed every 2 s, i.e. 500
// writes a second through one lease informer): no healthy node is ever judged silent, and one
// node that stops is still caught, and not early. Heavy (about a minute of both cores): run with
// FLOTILLA_SCALE=1 (skipped otherwise, by design; .ci/run allows exactly this skip).

const NODES = 1000;
let c: TestCluster;

describe.skipIf(!process.env.FLOTILLA_SCALE)('node lifecycle at 1,000 nodes', () => {
  beforeAll(async () => {
    c = await startTestCluster({ controllers: true, scheduler: true, hollowNodes: { count: NODES } });
  }, 120_000);
  afterAll(async () => c?.stop());

  const notReady = async () => {
    const nodes = ((await c.request('GET', '/api/v1/nodes')).json as KubeList<Node>).items;
    return nodes.filter((n) => n.status?.conditions?.find((x) => x.type === 'Ready')?.status !== 'True').map((n) => n.metadata.name!);
  };

  it('keeps every heartbeating node Ready and catches a silent one', async () => {
    const nlc = c.cp.controllerManager!.controllers.find((x) => x.name === 'node-lifecycle-controller') as NodeLifecycleController;
    const { nodeMonitorPeriodMs: PERIOD, nodeMonitorGracePeriodMs: GRACE } = DEFAULT_CONTROLLER_OPTIONS;
    // Count the controller's own monitor passes (it calls the method anew on every tick).
    let passes = 0;
    const pass = nlc.monitorNodeHealth.bind(nlc);
    nlc.monitorNodeHealth = async () => {
      await pass();
      passes++;
    };
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    // Well past the grace period, twice, in the controller's own passes.
    const needed = Math.ceil((2 * GRACE) / PERIOD) + 1;
    await until(`${needed} monitor passes`, () => passes >= needed, 60_000, 250);
    const cpu = process.cpuUsage(cpu0);
    const wall = Date.now() - t0;
    loop.disable();
    console.log(`1000 hollow nodes, idle: ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)}% of one core for the whole control plane; event loop p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, max ${(loop.max / 1e6).toFixed(0)} ms`);
    expect(await notReady()).toEqual([]);

    // One monitor pass over 1,000 nodes where nothing changes: map lookups, no requests. (Logged;
    // how fast it is belongs in bench/nodes.)
    const p0 = performance.now();
    for (let i = 0; i < 5; i++) await nlc.monitorNodeHealth();
    console.log(`monitor pass over ${NODES} nodes: ${((performance.now() - p0) / 5).toFixed(1)} ms`);

    const victim = 'hollow-node-500';
    c.cp.hollow!.stopHeartbeat(victim);
    const nr = await until('the silent node NotReady', async () => {
      const names = await notReady();
      return names.length ? names : undefined;
    }, 60_000, 250);
    expect(nr).toEqual([victim]);
    // Not before the grace period, on the server's clock: from its last Lease renewal to the
    // condition's change (whole seconds, cut down, so at least the grace's whole seconds).
    const node = (await c.request('GET', `/api/v1/nodes/${victim}`)).json as Node;
    const lease = (await c.request('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${victim}`)).json as Lease;
    const changed = Date.parse(node.status!.conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime!);
    const silentFor = changed - Date.parse(lease.spec!.renewTime!);
    console.log(`silent node marked NotReady ${silentFor} ms after its last renewal`);
    expect(silentFor).toBeGreaterThanOrEqual(Math.floor(GRACE / 1000) * 1000 - 1000);
  }, 180_000);
});
