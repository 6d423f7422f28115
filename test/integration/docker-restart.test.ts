// Stopping `flotilla up` with Ctrl-C (SIGINT to its process group, as a terminal sends it) and
// starting it again on the same data folder, with pods running. The first stop must be clean (exit
// 0, its stop message, the data folder lock released) and leave the nodes and pods running; the
// second `up` must adopt them as they are: the same node and pod containers (no duplicates, by
// label), the same container IDs, no restarts (Docker's StartedAt and RestartCount, the pods'
// restartCount), and the pods Ready throughout, even after the node lifecycle controller of the
// new control plane has had time to evict pods of nodes it considered lost.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Node, Pod } from '../../src-main/api/types.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../src-main/api/taints.js';
import { DEFAULT_CONTROLLER_OPTIONS } from '../../src-main/client/controllerOptions.js';
import { LABEL, labelFilters } from '../../src-main/cluster/labels.js';
import { killGroup } from '../helpers/cliProcess.js';
import { dockerId, isReady } from '../helpers/dockerCluster.js';
import { docker } from '../helpers/dockerEngine.js';
import { upWithWeb, type UpCluster } from '../helpers/upCluster.js';
import type { WatchStream } from '../helpers/watchStream.js';
import { until } from '../helpers/wait.js';

const NODES = 2;
const REPLICAS = 3;

/** What Docker holds for the cluster: one entry per container, keyed by role/node/pod/container. */
interface DockerView {
  key: string;
  id: string;
  running: boolean;
  startedAt: string;
  restartCount: number;
}

async function dockerView(cluster: string): Promise<DockerView[]> {
  const list = await docker.listContainers({ all: true, filters: labelFilters({ [LABEL.cluster]: cluster }) });
  const out: DockerView[] = [];
  for (const x of list) {
    const l = x.Labels;
    const info = await docker.getContainer(x.Id).inspect();
    out.push({
      key: `${l[LABEL.role]}/${l[LABEL.node]}/${l[LABEL.pod] ?? ''}/${l['flotilla.dev/container'] ?? ''}`,
      id: x.Id,
      running: info.State.Running,
      startedAt: info.State.StartedAt,
      restartCount: info.RestartCount,
    });
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

let c: UpCluster;
let port = '';
let dockerBefore: DockerView[] = [];
let podsBefore: Pod[] = [];
/** Nodes as listed just before the stop. */
let nodesBefore: Node[] = [];

/** When the Ready condition last changed: unchanged across the restart means it never flipped. */
const readySince = (o: Pod | Node): string | undefined => o.status?.conditions?.find((x: { type: string }) => x.type === 'Ready')?.lastTransitionTime;

const webPods = async (): Promise<Pod[]> => (await c.listPods('app=web')).items;

describe('flotilla up: Ctrl-C, then up again over running pods', () => {
  beforeAll(async () => {
    c = await upWithWeb('restart', NODES, REPLICAS);
    port = new URL(c.url()).port;
  }, 400_000);

  afterAll(async () => {
    await c?.remove();
  }, 120_000);

  it('SIGINT stops up cleanly: exit 0, its stop message, the lock released; nodes and pods run on', async () => {
    const list = await c.listPods('app=web');
    podsBefore = list.items;
    nodesBefore = (await c.getJSON<{ items: Node[] }>('/api/v1/nodes')).items;
    expect(nodesBefore.every((n) => readySince(n))).toBe(true);
    expect(podsBefore.filter(isReady)).toHaveLength(REPLICAS);
    expect(new Set(podsBefore.map((p) => p.spec.nodeName)).size).toBe(NODES); // spread over both nodes
    dockerBefore = await dockerView(c.name);
    // Each node container, and per pod one sandbox and one app container, all running: the web
    // pods and the two cluster DNS pods (kube-system/coredns).
    expect(dockerBefore.filter((d) => d.key.startsWith('node/'))).toHaveLength(NODES);
    expect(dockerBefore.filter((d) => d.key.startsWith('pod/'))).toHaveLength(2 * (REPLICAS + 2));
    expect(dockerBefore.every((d) => d.running)).toBe(true);
    expect(fs.existsSync(path.join(c.data, 'lock'))).toBe(true);

    const up = c.up!;
    killGroup(up.pid, 'SIGINT');
    expect(await up.exited).toBe(0);
    expect(up.child.signalCode).toBeNull();
    const out = up.output();
    // The first up created its nodes (the positive control for the adoption check below).
    expect(out).toMatch(/cluster: node started .*node=node-1/);
    expect(out).toContain('\nSIGINT: stopping...\n');
    expect(out.indexOf('stopped.\n')).toBeGreaterThan(out.indexOf('SIGINT: stopping...'));
    expect(fs.existsSync(path.join(c.data, 'lock'))).toBe(false);

    // The control plane is gone; what runs on Docker is untouched.
    const during = await dockerView(c.name);
    expect(during.map((d) => [d.key, d.id, d.running, d.startedAt])).toEqual(dockerBefore.map((d) => [d.key, d.id, true, d.startedAt]));
  }, 60_000);

  it('up again on the same folder adopts the same nodes and pods: no duplicates, no restarts, Ready throughout', async () => {
    expect(podsBefore).toHaveLength(REPLICAS);
    // On the same port, as a user's second `up` (default 6443) would be.
    const up = await c.start(['--port', port]);
    const servedAt = Date.now();
    expect(new URL(c.url()).port).toBe(port);
    // Every change from as soon as the new control plane serves. (The store's watch history starts
    // at its newest resourceVersion after a restart, so resourceVersions from before the stop may be
    // 410 Expired, as kube answers for a compacted revision; what happened in between is proven by
    // the Ready conditions' lastTransitionTime below.)
    const podsNow = await c.listPods('app=web');
    const podWatch: WatchStream<Pod> = c.watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${podsNow.metadata.resourceVersion}`);
    const nodesNow = await c.getJSON<{ metadata: { resourceVersion: string } }>('/api/v1/nodes');
    const nodeWatch: WatchStream<Node> = c.watch(`/api/v1/nodes?watch=true&resourceVersion=${nodesNow.metadata.resourceVersion}`);
    try {
      expect([await podWatch.status, await nodeWatch.status]).toEqual([200, 200]);
      await c.waitNodesReady();
      // The new control plane works end to end: one more replica is scheduled, started and Ready.
      await c.kubectlOK(['scale', 'deployment/web', `--replicas=${REPLICAS + 1}`]);
      await c.kubectlOK(['rollout', 'status', 'deployment/web', '--timeout=60s'], { timeoutMs: 70_000 });
      // Long enough for the new node lifecycle controller to have declared a silent node lost and
      // evicted its pods (grace period, then the pods' toleration): every kubelet has renewed its
      // Lease since, so none was lost.
      const o = DEFAULT_CONTROLLER_OPTIONS;
      const safeAfter = servedAt + o.nodeMonitorGracePeriodMs + o.defaultTolerationSeconds * 1000 + 2 * o.leaseRenewIntervalMs;
      await until(
        'a Lease renewal of every node past the eviction window',
        async () => {
          const leases = await c.getJSON<{ items: { metadata: { name: string }; spec?: { renewTime?: string } }[] }>('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases');
          return leases.items.length === NODES && leases.items.every((l) => Date.parse(l.spec?.renewTime ?? '') > safeAfter);
        },
        60_000,
        250,
      );
    } finally {
      podWatch.close();
      nodeWatch.close();
    }
    expect(podWatch.events.filter((e) => e.type === 'ERROR')).toEqual([]);
    expect(nodeWatch.events.filter((e) => e.type === 'ERROR')).toEqual([]);
    console.log(`after the restart: ${podWatch.events.length} pod and ${nodeWatch.events.length} node events watched`);

    // `up` created nothing: it adopted (no "node started" line, no duplicate removed).
    expect(up.output()).not.toMatch(/cluster: node started/);
    expect(up.output()).not.toMatch(/duplicate/);

    // No Ready condition flipped across the stop and the restart: same lastTransitionTime as before.
    const nodesAfter = (await c.getJSON<{ items: Node[] }>('/api/v1/nodes')).items;
    expect(nodesAfter.map((n) => [n.metadata.name, readySince(n)])).toEqual(nodesBefore.map((n) => [n.metadata.name, readySince(n)]));
    const podsAfter = await webPods();
    for (const before of podsBefore) expect([before.metadata.name, readySince(podsAfter.find((p) => p.metadata.name === before.metadata.name)!)]).toEqual([before.metadata.name, readySince(before)]);

    // Nodes stayed Ready and untainted in every change the watch saw.
    for (const e of nodeWatch.events) {
      const n = e.object;
      expect([n.metadata.name, n.status?.conditions?.find((x) => x.type === 'Ready')?.status]).toEqual([n.metadata.name, 'True']);
      expect((n.spec?.taints ?? []).filter((t) => t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY)).toEqual([]);
    }
    // The original pods were never deleted, evicted, restarted or not Ready.
    const original = new Map(podsBefore.map((p) => [p.metadata.name!, p]));
    for (const e of podWatch.events.filter((x) => original.has(x.object.metadata.name!))) {
      const p = e.object;
      expect([p.metadata.name, e.type, p.metadata.deletionTimestamp, isReady(p), p.status?.containerStatuses?.[0]?.restartCount]).toEqual([p.metadata.name, 'MODIFIED', undefined, true, 0]);
    }

    // The API: the same pods, with the same containers, IPs and restart counts, Ready.
    const now = await webPods();
    expect(now.filter((p) => isReady(p) && !p.metadata.deletionTimestamp)).toHaveLength(REPLICAS + 1);
    for (const [name, before] of original) {
      const p = now.find((x) => x.metadata.name === name);
      expect(p, name).toBeDefined();
      const s = p!.status!.containerStatuses![0]!;
      const s0 = before.status!.containerStatuses![0]!;
      expect([p!.metadata.uid, p!.spec.nodeName, p!.status!.podIP, dockerId(s.containerID), s.restartCount, s.ready, s.state?.running?.startedAt]).toEqual([
        before.metadata.uid,
        before.spec.nodeName,
        before.status!.podIP,
        dockerId(s0.containerID),
        s0.restartCount,
        true,
        s0.state?.running?.startedAt,
      ]);
    }

    // Docker: every container from before, unchanged and never restarted; exactly one container per
    // node, per pod sandbox and per pod container; the only new ones belong to the new replica.
    const after = await dockerView(c.name);
    const keys = after.map((d) => d.key);
    expect(keys.length).toBe(new Set(keys).size);
    const newPod = now.find((p) => !original.has(p.metadata.name!))!.metadata.name!;
    // The watch saw the new replica come (so it was delivering events all along).
    expect(podWatch.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === newPod)).toBe(true);
    expect(after.filter((d) => !d.key.includes(`/${newPod}/`)).map((d) => [d.key, d.id, d.running, d.startedAt, d.restartCount])).toEqual(
      dockerBefore.map((d) => [d.key, d.id, true, d.startedAt, d.restartCount]),
    );
    expect(after.filter((d) => d.key.includes(`/${newPod}/`))).toHaveLength(2);
  }, 240_000);
});
