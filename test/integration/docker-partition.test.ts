// `flotilla node partition` and `flotilla node heal` on a real cluster with the real node image,
// run as a user runs them: `flotilla up` in one process, the CLI command in another, kubectl to
// look. A partitioned node's kubelet can no longer reach the API server, so (as in Kubernetes) the
// node lifecycle controller marks the node Ready=Unknown, taints it unreachable and evicts its
// pods, the ReplicaSet replaces them on the other nodes, and the evicted pods stay Terminating
// because only their kubelet can confirm they stopped, while their containers keep running. On
// heal the kubelet comes back, the node is Ready again, and the kubelet finishes the stale pods:
// their containers stop and are removed and their API objects go.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../src-main/api/types.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../src-main/api/taints.js';
import { LABEL, labelFilters } from '../../src-main/cluster/labels.js';
import { dockerId, isReady } from '../helpers/dockerCluster.js';
import { docker } from '../helpers/dockerEngine.js';
import { helloContainer, manifest } from '../helpers/helloApp.js';
import { parseTable } from '../helpers/kubectlTools.js';
import { upWithWeb, type UpCluster } from '../helpers/upCluster.js';
import { until } from '../helpers/wait.js';

const NODES = 3;
const REPLICAS = 4;

let c: UpCluster;
/** The node that is partitioned, and the pods it ran then (name -> Docker id of the app container). */
let victimNode = '';
const victims = new Map<string, string>();

const webPods = async (): Promise<Pod[]> => (await c.listPods('app=web')).items;

async function node(name: string): Promise<Node> {
  return c.getJSON<Node>(`/api/v1/nodes/${name}`);
}

const readyCondition = (n: Node) => n.status?.conditions?.find((x) => x.type === 'Ready')?.status;
const taintKeys = (n: Node) => (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);

/** Every Docker container (any state) of the given pods, found by the labels the kubelet puts on them. */
async function podContainers(pods: Iterable<string>): Promise<{ pod: string; id: string; state: string }[]> {
  const names = new Set(pods);
  const list = await docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: c.name, [LABEL.role]: 'pod' }) });
  return list.filter((x) => names.has(x.Labels[LABEL.pod]!)).map((x) => ({ pod: x.Labels[LABEL.pod]!, id: x.Id, state: x.State }));
}

describe('flotilla node partition / heal on a real Docker cluster', () => {
  beforeAll(async () => {
    c = await upWithWeb('part', NODES, REPLICAS);
  }, 400_000);

  afterAll(async () => {
    await c?.remove();
  }, 120_000);

  it('partition: the node goes NotReady, its pods are replaced elsewhere, and their containers keep running', async () => {
    const before = (await webPods()).filter(isReady);
    expect(before).toHaveLength(REPLICAS);
    // The node with the most replicas (the scheduler spreads them, so every node has some).
    const perNode = new Map<string, Pod[]>();
    for (const p of before) perNode.set(p.spec.nodeName!, [...(perNode.get(p.spec.nodeName!) ?? []), p]);
    [victimNode] = [...perNode.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0]!;
    for (const p of perNode.get(victimNode)!) victims.set(p.metadata.name!, dockerId(p.status!.containerStatuses![0]!.containerID));
    const startedAt = new Map<string, string>();
    for (const id of victims.values()) startedAt.set(id, (await docker.getContainer(id).inspect()).State.StartedAt);
    const victimContainers = await podContainers(victims.keys());
    expect(victimContainers.length).toBe(2 * victims.size); // a sandbox and the app container each

    const r = await c.cli(['node', 'partition', victimNode]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`node ${victimNode}: partition done\n`);
    const ls = (await c.cli(['node', 'ls'])).stdout.split('\n');
    expect(ls.find((l) => l.startsWith(`${victimNode}\t`))).toMatch(/\(partitioned\)/);

    // The node lifecycle controller notices the silence: Ready=Unknown and the unreachable taints.
    await until(`${victimNode} Ready=Unknown and tainted unreachable`, async () => {
      const n = await node(victimNode);
      return readyCondition(n) === 'Unknown' && taintKeys(n).includes(`${TAINT_UNREACHABLE}:NoExecute`);
    }, 60_000, 250);
    // Its pods are evicted (Terminating, marked not Ready) and replaced on the other nodes.
    await until(`${REPLICAS} web pods Ready off ${victimNode}`, async () => {
      const ready = (await webPods()).filter((p) => isReady(p) && !p.metadata.deletionTimestamp && p.spec.nodeName !== victimNode);
      return ready.length === REPLICAS;
    }, 60_000, 250);
    await until('every evicted pod Terminating and not Ready', async () => {
      const now = await webPods();
      return [...victims.keys()].every((name) => {
        const p = now.find((x) => x.metadata.name === name);
        return p?.metadata.deletionTimestamp && p.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'False';
      });
    }, 30_000, 250);

    // What a user sees.
    const nodes = parseTable(await c.kubectlOK(['get', 'nodes'])).rows;
    expect(nodes.find((n) => n.NAME === victimNode)?.STATUS).toBe('NotReady');
    expect(nodes.filter((n) => n.NAME !== victimNode).map((n) => n.STATUS)).toEqual(Array(NODES - 1).fill('Ready'));
    const pods = parseTable(await c.kubectlOK(['get', 'pods', '-l', 'app=web', '-o', 'wide'])).rows;
    for (const name of victims.keys()) expect(pods.find((p) => p.NAME === name)).toMatchObject({ STATUS: 'Terminating', NODE: victimNode });
    expect(pods.filter((p) => p.STATUS === 'Running' && p.NODE !== victimNode)).toHaveLength(REPLICAS);

    // Nobody could tell the partitioned kubelet: its pods' containers run on, untouched.
    expect((await podContainers(victims.keys())).map((x) => [x.id, x.state]).sort()).toEqual(victimContainers.map((x) => [x.id, 'running']).sort());
    for (const [, id] of victims) {
      const info = await docker.getContainer(id).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.State.StartedAt).toBe(startedAt.get(id));
    }
  }, 180_000);

  it('heal: the node is Ready again and its kubelet finishes the evicted pods', async () => {
    expect(victimNode).not.toBe('');
    const r = await c.cli(['node', 'heal', victimNode]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`node ${victimNode}: heal done\n`);
    const ls = (await c.cli(['node', 'ls'])).stdout.split('\n');
    expect(ls.find((l) => l.startsWith(`${victimNode}\t`))).not.toMatch(/partitioned/);

    await until(`${victimNode} Ready and untainted`, async () => {
      const n = await node(victimNode);
      return readyCondition(n) === 'True' && !taintKeys(n).some((t) => t.startsWith(TAINT_UNREACHABLE) || t.startsWith(TAINT_NOT_READY));
    }, 60_000, 250);
    // The kubelet sees the deletions it missed, stops the containers and confirms: the pods go.
    await until('the evicted pods gone from the API', async () => (await webPods()).every((p) => !victims.has(p.metadata.name!)), 60_000, 250);
    await until('no container of an evicted pod left', async () => (await podContainers(victims.keys())).length === 0, 60_000, 250);

    // The Deployment is whole, with nothing doubled: the replacements stay, the evicted do not come back.
    const web = await webPods();
    expect(web.filter((p) => isReady(p) && !p.metadata.deletionTimestamp)).toHaveLength(REPLICAS);
    expect(web).toHaveLength(REPLICAS);
    const rows = parseTable(await c.kubectlOK(['get', 'nodes'])).rows;
    expect(rows.map((n) => n.STATUS)).toEqual(Array(NODES).fill('Ready'));

    // And the healed node runs new pods again.
    const afterHeal = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'after-heal' }, spec: { nodeSelector: { 'kubernetes.io/hostname': victimNode }, terminationGracePeriodSeconds: 2, containers: [helloContainer()] } };
    await c.kubectlOK(['apply', '-f', '-'], { input: manifest(afterHeal) });
    await c.kubectlOK(['wait', '--for=condition=Ready', 'pod/after-heal', '--timeout=60s'], { timeoutMs: 70_000 });
    expect((await c.getJSON<Pod>('/api/v1/namespaces/default/pods/after-heal')).spec.nodeName).toBe(victimNode);
  }, 180_000);
});
