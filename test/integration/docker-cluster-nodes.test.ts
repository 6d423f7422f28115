// Issue 4 acceptance, part 2: what happens to pods when a node misbehaves, on a real 3-node
// Docker cluster: a kubelet restart (docker restart of the node container) adopts its pods
// without restarting them; a stopped or killed node's pods come back Running on the other nodes
// (the node lifecycle controller notices after 6 s without a Lease renewal and evicts 3 s later;
// the ReplicaSet replaces them; how long that takes is logged, and measured in bench/). Users see
// it all with the real kubectl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src-main/api/types.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { dockerId, getPod, isReady, listPods, readyPods, removeDockerCluster, startDockerCluster, uniqueClusterName, type DockerTestCluster } from '../helpers/dockerCluster.js';
import { docker, dockerUp } from '../helpers/dockerEngine.js';
import { helloDeployment, manifest, servingHello } from '../helpers/helloApp.js';
import { skipWithout } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('b');
const REPLICAS = 6;

let c: DockerTestCluster;

async function nodeReady(name: string): Promise<boolean> {
  const r = await c.request('GET', `/api/v1/nodes/${name}`);
  const n = r.json as { spec?: { taints?: unknown[] }; status?: { conditions?: { type: string; status: string }[] } };
  return !!n.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') && !(n.spec?.taints ?? []).length;
}

async function waitNodeReady(name: string): Promise<void> {
  await until(`node ${name} Ready and untainted`, () => nodeReady(name), 60_000, 200);
}

function byNode(pods: Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pods) out[p.spec.nodeName!] = (out[p.spec.nodeName!] ?? 0) + 1;
  return out;
}

/**
 * Takes a node down with `down`, then waits until the Deployment has all its replicas Running
 * and Ready on the other nodes (logging how long that took). Then brings the node back and waits
 * until the evicted pods are gone.
 */
async function failOver(node: string, how: 'stop' | 'kill'): Promise<void> {
  const cluster = c.cp.docker!.cluster;
  const before = await readyPods(c, 'app=web');
  const victims = before.filter((p) => p.spec.nodeName === node).map((p) => p.metadata.name!);
  expect(victims.length).toBeGreaterThan(0);
  const t0 = performance.now();
  const downed = how === 'stop' ? await cluster.stopNode(node) : await cluster.killNode(node);
  expect(downed.running).toBe(false);
  if (how === 'kill') expect(downed.exitCode).toBe(137);
  let sawNotReady = false;
  await until(
    `${REPLICAS} web pods Ready off ${node}`,
    async () => {
      if (!sawNotReady) sawNotReady = !(await nodeReady(node));
      const ready = (await readyPods(c, 'app=web')).filter((p) => p.spec.nodeName !== node);
      return ready.length === REPLICAS;
    },
    40_000,
    200,
  );
  const ms = Math.round(performance.now() - t0);
  const after = await readyPods(c, 'app=web');
  console.log(`${how} ${node}: its ${victims.length} pods replaced and Running elsewhere after ${ms} ms; pods per node now ${JSON.stringify(byNode(after))}`);
  expect(sawNotReady).toBe(true);
  expect(after.every((p) => p.spec.nodeName !== node && !victims.includes(p.metadata.name!))).toBe(true);
  // What a user sees meanwhile.
  const nodes = parseTable(await c.kubectlOK(['get', 'nodes'])).rows;
  expect(nodes.find((r) => r.NAME === node)?.STATUS).toMatch(/^NotReady/);
  const pods = parseTable(await c.kubectlOK(['get', 'pods', '-l', 'app=web', '-o', 'wide'])).rows;
  expect(pods.filter((r) => r.STATUS === 'Running' && r.NODE !== node)).toHaveLength(REPLICAS);
  for (const v of victims) expect(pods.find((r) => r.NAME === v)?.STATUS ?? 'gone').toMatch(/^(Terminating|gone)$/);

  // The node comes back: its kubelet finishes the evicted pods, nothing of them stays.
  await cluster.startNode(node);
  await waitNodeReady(node);
  await until(`evicted pods of ${node} gone`, async () => (await listPods(c, 'app=web')).every((p) => !victims.includes(p.metadata.name!)), 30_000, 250);
  const left = await docker.listContainers({ all: true, filters: { label: [`flotilla.dev/cluster=${CLUSTER}`, `flotilla.dev/node=${node}`, 'flotilla.dev/role=pod'] } });
  expect(left.filter((x) => victims.includes(x.Labels['flotilla.dev/pod']!))).toEqual([]);
}

describe.skipIf(skipWithout('a Docker engine', dockerUp))('node failures on a 3-node Docker cluster (issue 4)', () => {
  beforeAll(async () => {
    c = await startDockerCluster(CLUSTER);
    await c.kubectlOK(['apply', '-f', '-'], { input: manifest(helloDeployment('web', REPLICAS)) });
    await c.kubectlOK(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
  }, 300_000);

  afterAll(async () => {
    await removeDockerCluster(c, CLUSTER);
  }, 120_000);

  it('runs the Deployment on every node', async () => {
    const pods = await readyPods(c, 'app=web');
    expect(pods).toHaveLength(REPLICAS);
    expect(byNode(pods)).toEqual({ 'node-1': 2, 'node-2': 2, 'node-3': 2 });
  });

  it('a kubelet restart (docker restart of the node container) adopts its pods without restarting them', async () => {
    const node = 'node-1';
    const mine = (await readyPods(c, 'app=web')).filter((p) => p.spec.nodeName === node);
    expect(mine.length).toBeGreaterThan(0);
    const containerIds = new Map(mine.map((p) => [p.metadata.name!, dockerId(p.status!.containerStatuses![0]!.containerID)]));
    const startedAt = new Map<string, string>();
    for (const id of containerIds.values()) startedAt.set(id, (await docker.getContainer(id).inspect()).State.StartedAt);
    const nodeContainer = (await c.cp.docker!.cluster.getNode(node)).containerId;
    const nodeStartedBefore = (await docker.getContainer(nodeContainer).inspect()).State.StartedAt;

    const t0 = performance.now();
    await docker.getContainer(nodeContainer).restart({ t: 10 });
    const restarted = await docker.getContainer(nodeContainer).inspect();
    expect(restarted.State.Running).toBe(true);
    expect(restarted.State.StartedAt).not.toBe(nodeStartedBefore);
    // The new kubelet is up once it renews the node's Lease after the restart.
    const restartedAt = Date.parse(restarted.State.StartedAt);
    await until(
      'a Lease renewal by the restarted kubelet',
      async () => {
        const l = (await c.request('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`)).json as { spec?: { renewTime?: string } };
        return Date.parse(l.spec?.renewTime ?? '') >= restartedAt - 1;
      },
      30_000,
      100,
    );
    console.log(`docker restart ${node}: kubelet back (Lease renewed) after ${Math.round(performance.now() - t0)} ms`);
    // A positive control: a pod created now, on this node, gets Running and Ready. The new
    // kubelet has then synced its pods (it takes over the ones it found at start before any new
    // one) and run its readiness probes (every second) more than once.
    await c.request('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'after-restart' },
      spec: { nodeName: node, terminationGracePeriodSeconds: 2, containers: [servingHello()] },
    });
    await until('the control pod Ready on the restarted node', async () => isReady(await getPod(c, 'after-restart')));
    await c.kubectlOK(['delete', 'pod', 'after-restart', '--wait=false']);
    expect(await nodeReady(node)).toBe(true);
    for (const p of mine) {
      const now = await getPod(c, p.metadata.name!);
      const s = now!.status!.containerStatuses![0]!;
      expect(dockerId(s.containerID)).toBe(containerIds.get(p.metadata.name!));
      expect(s.restartCount).toBe(0);
      expect(s.ready).toBe(true);
      expect(now!.status!.podIP).toBe(p.status!.podIP);
      const info = await docker.getContainer(dockerId(s.containerID)).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.State.StartedAt).toBe(startedAt.get(info.Id));
    }
    const rows = parseTable(await c.kubectlOK(['get', 'pods', '-l', 'app=web', '-o', 'wide'])).rows.filter((r) => r.NODE === node);
    expect(rows.map((r) => [r.READY, r.STATUS, r.RESTARTS])).toEqual(mine.map(() => ['1/1', 'Running', '0']));
  }, 60_000);

  it('a stopped node’s pods come back Running on the other nodes', async () => {
    await failOver('node-2', 'stop');
  }, 120_000);

  it('a killed node’s pods come back Running on the other nodes', async () => {
    await failOver('node-3', 'kill');
  }, 120_000);
});
