// Issue 7 item 12: a control plane with a fresh data folder and an existing cluster name must not
// adopt the node containers of another control plane (they carry its CA and token: their kubelets
// loop on certificate errors while `up` says all is well). Every object is labelled with the
// cluster id (a hash of the CA) and the data folder; the built CLI (dist/cli.cjs) then
//  - refuses while the other cluster's data folder still holds it (running or not), saying what
//    to run, and touches nothing;
//  - once that folder is gone (the user started over), replaces the old nodes, their pods,
//    volumes and network with fresh ones: the new nodes are Ready with the new CA and nothing of
//    the old cluster is left running.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterIdOf, findForeignObjects } from '../../src-main/cluster/identity.js';
import { LABEL, labelFilters } from '../../src-main/cluster/labels.js';
import { call, credsFrom, flotilla, spawnUp, type UpGroup } from '../helpers/cliProcess.js';
import { deleteClusterByName, leftovers, prepareNodeImages, uniqueClusterName } from '../helpers/dockerCluster.js';
import { docker, dockerUp } from '../helpers/dockerEngine.js';
import { HELLO_IMAGE, helloContainer } from '../helpers/helloApp.js';
import { skipWithout } from '../helpers/requirements.js';
import { until } from '../helpers/wait.js';

const CLUSTER = uniqueClusterName('id');
const NODES = 2;

let root: string;
let dataA: string;
let dataB: string;
const groups: UpGroup[] = [];

function up(data: string): UpGroup {
  const u = spawnUp(['--data', data, '--nodes', String(NODES), '--cluster', CLUSTER], { timeoutMs: 180_000 });
  groups.push(u);
  return u;
}

async function readyNodes(url: string, data: string): Promise<string[]> {
  const r = await call(url, credsFrom(data), 'GET', '/api/v1/nodes');
  if (r.status !== 200) return [];
  const items = r.json.items as { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
  return items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).map((n) => n.metadata.name).sort();
}

const caOf = (data: string) => fs.readFileSync(path.join(data, 'pki', 'ca.crt'), 'utf8');
const clusterContainers = () => docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: CLUSTER }) });

describe.skipIf(skipWithout('a Docker engine', dockerUp))('a new control plane and another one\'s nodes under the same cluster name (issue 7 item 12)', () => {
  beforeAll(async () => {
    await prepareNodeImages();
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-identity-'));
    dataA = path.join(root, 'a');
    dataB = path.join(root, 'b');
  }, 300_000);

  afterAll(async () => {
    await Promise.all(groups.map((g) => g.stop()));
    await deleteClusterByName(CLUSTER);
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 120_000);

  let oldIds: string[] = [];
  let caA = '';

  it('labels the network, nodes and volumes with the cluster id and data folder', async () => {
    const a = up(dataA);
    const url = await a.serving;
    await until(`${NODES} Ready nodes`, async () => (await readyNodes(url, dataA)).length === NODES, 90_000, 250);
    const pod = await call(url, credsFrom(dataA), 'POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'old' },
      spec: { terminationGracePeriodSeconds: 1, containers: [helloContainer()] },
    });
    expect(pod.status).toBe(201);
    await until('pod old Running', async () => (await call(url, credsFrom(dataA), 'GET', '/api/v1/namespaces/default/pods/old')).json.status?.phase === 'Running', 60_000, 250);
    // The add-ons' pods too (cluster DNS): the containers compared below must all exist by then.
    await until('every pod Running', async () => {
      const pods = (await call(url, credsFrom(dataA), 'GET', '/api/v1/pods')).json.items as { status?: { phase?: string; containerStatuses?: { state?: { running?: unknown } }[] } }[];
      return pods.length > 1 && pods.every((p) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((c) => c.state?.running));
    }, 60_000, 250);

    caA = caOf(dataA);
    const id = clusterIdOf(caA);
    const owner = { [LABEL.clusterId]: id, [LABEL.dataDir]: dataA };
    const nets = await docker.listNetworks({ filters: labelFilters({ [LABEL.cluster]: CLUSTER }) });
    expect(nets.map((n) => n.Labels)).toEqual([expect.objectContaining(owner)]);
    const nodes = await docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: CLUSTER, [LABEL.role]: 'node' }) });
    expect(nodes).toHaveLength(NODES);
    for (const n of nodes) expect(n.Labels).toMatchObject(owner);
    const vols = (await docker.listVolumes({ filters: labelFilters({ [LABEL.cluster]: CLUSTER, [LABEL.role]: 'node' }) })).Volumes ?? [];
    expect(vols).toHaveLength(NODES);
    for (const v of vols) expect(v.Labels).toMatchObject(owner);

    oldIds = (await clusterContainers()).map((c) => c.Id);
    expect(oldIds.length).toBeGreaterThanOrEqual(NODES + 2); // nodes, the pod's sandbox and container
  }, 240_000);

  it('refuses while the other cluster\'s data folder holds it, running or not, and says what to run', async () => {
    const a = groups[0]!;
    const running = up(dataB);
    expect(await running.exited).toBe(1);
    expect(running.output()).toContain(`cluster name "${CLUSTER}" is taken`);
    expect(running.output()).toContain(`belong to the cluster whose data is in ${dataA}, which is running (process ${a.pid}`);
    expect(running.output()).toContain(`Remove that cluster with 'flotilla down --data ${dataA}' and start this one again, or give this one another name with --cluster NAME.`);

    expect(await a.stop()).toBe(0); // its nodes and pods keep running
    const stopped = up(dataB);
    expect(await stopped.exited).toBe(1);
    expect(stopped.output()).toContain(`belong to the cluster whose data is in ${dataA} (not running). Remove that cluster with 'flotilla down --data ${dataA}'`);

    // Nothing was touched, and the refused folder names no cluster (its `down` removes nothing of A's).
    const now = await clusterContainers();
    expect(now.map((c) => c.Id).sort()).toEqual([...oldIds].sort());
    expect(now.every((c) => c.State === 'running')).toBe(true);
    expect(fs.existsSync(path.join(dataB, 'cluster.json'))).toBe(false);
  }, 120_000);

  it('once that folder is gone, replaces the old nodes: Ready with the new CA, nothing of the old cluster left', async () => {
    fs.rmSync(dataA, { recursive: true, force: true }); // the user starts over
    const b = up(dataB);
    const url = await b.serving;
    expect(b.output()).toMatch(new RegExp(`WARN cluster: nodes belong to another control plane, which is gone; replacing them cluster=${CLUSTER} nodes=\\S+ owners="CA [0-9a-f]{16}, data folder ${dataA.replace(/[/.]/g, '\\$&')}"`));
    const ready = await until(`${NODES} Ready nodes with the new CA`, async () => {
      const r = await readyNodes(url, dataB);
      return r.length === NODES ? r : undefined;
    }, 90_000, 250);
    expect(ready).toEqual(['node-1', 'node-2']);

    const caB = caOf(dataB);
    const now = await clusterContainers();
    expect(now.filter((c) => oldIds.includes(c.Id))).toEqual([]);
    const nodes = now.filter((c) => c.Labels[LABEL.role] === 'node');
    expect(nodes).toHaveLength(NODES);
    for (const n of nodes) {
      expect(n.Labels).toMatchObject({ [LABEL.clusterId]: clusterIdOf(caB), [LABEL.dataDir]: dataB });
      const env = (await docker.getContainer(n.Id).inspect()).Config.Env;
      expect(env).toContain(`FLOTILLA_CA=${caB}`);
    }
    // The old pod's containers went with their node; the new control plane knows no such pod.
    expect(now.filter((c) => c.Labels[LABEL.pod] === 'old')).toEqual([]);
    expect((await call(url, credsFrom(dataB), 'GET', '/api/v1/namespaces/default/pods/old')).status).toBe(404);
    // Every file the control plane wrote is private (item 14), cluster.json included.
    expect(fs.existsSync(path.join(dataB, 'cluster.json'))).toBe(true);
    for (const f of fs.readdirSync(dataB, { recursive: true }) as string[]) {
      const st = fs.statSync(path.join(dataB, f));
      expect(`${f} ${(st.mode & 0o777).toString(8)}`).toBe(`${f} ${st.isDirectory() ? '700' : '600'}`);
    }

    // A node container of an older version has no cluster-id label: it is known by the CA in its
    // environment (here A's, so it is foreign; one with B's CA is not).
    const made: string[] = [];
    try {
      for (const [node, ca] of [['node-8', caA], ['node-9', caB]] as const) {
        const c = await docker.createContainer({ name: `flotilla-test-${CLUSTER}-${node}`, Image: HELLO_IMAGE, Env: [`FLOTILLA_CA=${ca}`], Labels: { [LABEL.cluster]: CLUSTER, [LABEL.role]: 'node', [LABEL.node]: node } });
        made.push(c.id);
      }
      const found = await findForeignObjects(docker, CLUSTER, clusterIdOf(caB));
      expect(found).toEqual({ owners: [{ clusterId: clusterIdOf(caA) }], names: [`flotilla-test-${CLUSTER}-node-8`] });
    } finally {
      for (const id of made) await docker.getContainer(id).remove({ force: true });
    }

    // And `down` removes it all.
    const down = await flotilla(['down', '--data', dataB]);
    expect(down.code).toBe(0);
    expect(await b.exited).toBe(0);
    expect(await leftovers(CLUSTER)).toEqual({ containers: [], volumes: [], networks: [] });
  }, 240_000);
});
