import { describe, it, expect } from 'vitest';
import type { Deployment, IntOrString, KubeObject, ReplicaSet } from '../../src-main/api/types.js';
import { ApiRequestError } from '../../src-main/client/apiClient.js';
import type { EventRecorder } from '../../src-main/client/eventRecorder.js';
import { syncDeployment } from '../../src-main/controllers/deployment/deploymentController.js';
import { SyncContext, type DeploymentHost, type PodStats } from '../../src-main/controllers/deployment/syncContext.js';
import { REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION } from '../../src-main/controllers/deployment/util/annotations.js';
import { getCondition } from '../../src-main/controllers/deployment/util/conditions.js';
import { maxSurge, maxUnavailable } from '../../src-main/controllers/deployment/util/fenceposts.js';
import { computeHash } from '../../src-main/controllers/deployment/util/hash.js';
import { FakeApiClient } from '../helpers/fakeApiClient.js';

// The Deployment controller's sync code (sync.ts, rolling.ts, recreate.ts, progress.ts) driven
// against an in-memory API and a simulated ReplicaSet controller and kubelet, with the actors
// interleaved at random. Every intermediate state is checked against maxSurge/maxUnavailable.

const T0 = Date.parse('2025-01-01T00:00:00Z');

interface SimPod {
  uid: string;
  rs: string;
  readyAt: number; // sim ms; Infinity = never
  terminating: boolean;
}

function mulberry32(seed: number) {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Sim implements DeploymentHost {
  now = () => this.time;
  time = T0;
  uidSeq = 0;
  pods: SimPod[] = [];
  events: { reason: string; message: string; type: string }[] = [];
  violations: string[] = [];
  checkAvailability = false;
  never = new Set<string>(); // RS names whose pods never become ready
  random: () => number;
  startupMs = 1500;

  constructor(seed = 1) {
    this.random = mulberry32(seed);
  }

  readonly recorder = { event: (_o: KubeObject, type: string, reason: string, message: string) => this.events.push({ type, reason, message }) } as unknown as EventRecorder;
  /** The API server: its objects carry the simulated time as creationTimestamp. */
  readonly client = new FakeApiClient({ now: () => this.time });

  enqueueAfter(): void {}
  rememberReplicaSet(): void {}
  forgetReplicaSet(): void {}
  log(): void {}

  podStats(rs: ReplicaSet): PodStats {
    const minReady = (rs.spec.minReadySeconds ?? 0) * 1000;
    const s: PodStats = { active: 0, ready: 0, available: 0, terminating: 0 };
    for (const p of this.pods) {
      if (p.rs !== rs.metadata.uid) continue;
      if (p.terminating) {
        s.terminating++;
        continue;
      }
      s.active++;
      if (p.readyAt <= this.time) {
        s.ready++;
        if (p.readyAt + minReady <= this.time) s.available++;
      }
    }
    return s;
  }

  get d(): Deployment {
    return this.client.object<Deployment>('deployments.apps', 'default', 'web')!;
  }

  replicaSets(): ReplicaSet[] {
    return this.client.stored<ReplicaSet>('replicasets.apps');
  }

  async createDeployment(replicas: number, o: { surge?: IntOrString; unavailable?: IntOrString; strategy?: 'Recreate'; image?: string; minReadySeconds?: number; progressDeadlineSeconds?: number; revisionHistoryLimit?: number } = {}): Promise<void> {
    const d: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: o.image ?? 'nginx:1' }] } },
        strategy: o.strategy ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.surge ?? '25%', maxUnavailable: o.unavailable ?? '25%' } },
        minReadySeconds: o.minReadySeconds ?? 0,
        revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
        progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      },
    };
    await this.client.create('deployments.apps', 'default', d);
  }

  async editDeployment(fn: (d: Deployment) => void): Promise<void> {
    const d = this.d;
    fn(d);
    await this.client.update('deployments.apps', d);
  }

  async syncDeployment(): Promise<void> {
    const d = this.d;
    const rss = this.replicaSets().filter((rs) => rs.metadata.ownerReferences?.[0]?.uid === d.metadata.uid);
    try {
      await syncDeployment(new SyncContext(this, d, rss));
    } catch (e) {
      if (!(e instanceof ApiRequestError && e.code === 409)) throw e;
    }
  }

  /** The ReplicaSet controller: pods to spec (unready and newest deleted first), then status. */
  async syncReplicaSets(): Promise<void> {
    for (const rs of this.replicaSets()) {
      const mine = this.pods.filter((p) => p.rs === rs.metadata.uid && !p.terminating);
      const spec = rs.spec.replicas ?? 1;
      if (mine.length < spec) {
        for (let i = mine.length; i < spec; i++) {
          const never = this.never.has(rs.metadata.name!);
          this.pods.push({ uid: `pod-${++this.uidSeq}`, rs: rs.metadata.uid!, readyAt: never ? Infinity : this.time + this.startupMs * (0.5 + this.random()), terminating: false });
        }
      } else if (mine.length > spec) {
        const victims = [...mine].sort((a, b) => Number(a.readyAt <= this.time) - Number(b.readyAt <= this.time) || b.readyAt - a.readyAt).slice(0, mine.length - spec);
        for (const v of victims) v.terminating = true;
      }
      this.check();
      const s = this.podStats(rs);
      await this.client.update('replicasets.apps', { ...rs, status: { replicas: s.active, readyReplicas: s.ready, availableReplicas: s.available, observedGeneration: rs.metadata.generation } }, 'status');
    }
  }

  /** Kubelets: terminating pods go away. */
  reapPods(): void {
    this.pods = this.pods.filter((p) => !p.terminating);
  }

  check(): void {
    const d = this.d;
    const replicas = d.spec.replicas ?? 1;
    const active = this.pods.filter((p) => !p.terminating);
    const limit = replicas + maxSurge(d);
    // A resize may shrink the limit below what already runs; only rollouts are held to it.
    if (active.length > limit && this.checkAvailability) this.violations.push(`t=${this.time - T0}: ${active.length} pods > ${limit}`);
    if (this.checkAvailability) {
      const available = active.filter((p) => p.readyAt + (d.spec.minReadySeconds ?? 0) * 1000 <= this.time).length;
      const floor = replicas - maxUnavailable(d);
      if (d.spec.strategy?.type !== 'Recreate' && available < floor) this.violations.push(`t=${this.time - T0}: ${available} available < ${floor}`);
    }
    if (d.spec.strategy?.type === 'Recreate') {
      const owners = new Set(this.pods.map((p) => p.rs));
      if (owners.size > 1) this.violations.push(`t=${this.time - T0}: pods of ${owners.size} ReplicaSets at once`);
    }
  }

  /** Runs the actors in random order for a while, or until `done`. */
  async run(done: () => boolean, maxSteps = 2000): Promise<number> {
    for (let step = 0; step < maxSteps; step++) {
      if (done()) return step;
      const actions = [() => this.syncDeployment(), () => this.syncReplicaSets(), () => this.reapPods(), () => (this.time += 100 + Math.floor(this.random() * 400))];
      for (let i = actions.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        [actions[i], actions[j]] = [actions[j]!, actions[i]!];
      }
      for (const a of actions) {
        if (this.random() < 0.25) continue; // skip some turns: controllers lag each other
        await a();
        this.check();
      }
    }
    throw new Error(`not done after ${maxSteps} steps; status ${JSON.stringify(this.d.status)}`);
  }

  complete(): boolean {
    const d = this.d;
    const s = d.status ?? {};
    const r = d.spec.replicas ?? 1;
    return (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) && (s.updatedReplicas ?? 0) === r && (s.replicas ?? 0) === r && (s.availableReplicas ?? 0) === r && this.pods.length === r;
  }
}

async function rolledOut(sim: Sim): Promise<void> {
  await sim.run(() => sim.complete());
}

describe('Deployment controller (simulated cluster)', () => {
  it('rolls out a new Deployment and reports it like kube', async () => {
    const sim = new Sim(7);
    await sim.createDeployment(3);
    await rolledOut(sim);
    const d = sim.d;
    const [rs] = sim.replicaSets();
    const hash = computeHash(d.spec.template);
    expect(rs!.metadata.name).toBe(`web-${hash}`);
    expect(rs!.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.selector.matchLabels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.spec.template!.metadata!.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
    expect(rs!.metadata.annotations).toEqual({ 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
    expect(d.metadata.annotations?.[REVISION_ANNOTATION]).toBe('1');
    expect(sim.events[0]).toEqual({ type: 'Normal', reason: 'ScalingReplicaSet', message: `Scaled up replica set web-${hash} from 0 to 3` });
    await sim.run(() => getCondition(sim.d.status, 'Progressing')?.reason === 'NewReplicaSetAvailable');
    const s = sim.d.status!;
    expect(s).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3 });
    expect(s.unavailableReplicas).toBeUndefined();
    expect(getCondition(s, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' });
    expect(getCondition(s, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "web-${hash}" has successfully progressed.` });
  });

  const configs: [number, IntOrString, IntOrString, number?][] = [
    [3, '25%', '25%'],
    [4, 1, 0],
    [5, 0, 1],
    [10, '25%', '25%'],
    [10, '50%', '10%', 2],
    [6, 3, 2],
    [1, 0, '100%'],
    [7, '1%', '1%', 1],
  ];
  for (const [replicas, surge, unavailable, minReady] of configs) {
    it(`rolling update ${replicas} replicas, maxSurge ${surge}, maxUnavailable ${unavailable}${minReady ? `, minReadySeconds ${minReady}` : ''} stays within bounds`, async () => {
      for (let seed = 1; seed <= 6; seed++) {
        const sim = new Sim(seed * 31 + replicas);
        await sim.createDeployment(replicas, { surge, unavailable, minReadySeconds: minReady });
        await rolledOut(sim);
        sim.checkAvailability = true;
        await sim.editDeployment((d) => (d.spec.template.spec.containers[0]!.image = 'nginx:2'));
        await rolledOut(sim);
        expect(sim.violations, `seed ${seed}`).toEqual([]);
        const rss = sim.replicaSets().sort((a, b) => Number(a.metadata.annotations![REVISION_ANNOTATION]) - Number(b.metadata.annotations![REVISION_ANNOTATION]));
        expect(rss.map((r) => [r.metadata.annotations![REVISION_ANNOTATION], r.spec.replicas])).toEqual([
          ['1', 0],
          ['2', replicas],
        ]);
      }
    });
  }

  it('Recreate never runs old and new pods together', async () => {
    for (let seed = 1; seed <= 5; seed++) {
      const sim = new Sim(seed);
      await sim.createDeployment(4, { strategy: 'Recreate' });
      await rolledOut(sim);
      await sim.editDeployment((d) => (d.spec.template.spec.containers[0]!.image = 'nginx:2'));
      await rolledOut(sim);
      expect(sim.violations).toEqual([]);
      expect(sim.replicaSets().map((r) => r.spec.replicas).sort()).toEqual([0, 4]);
    }
  });

  it('undo to an old template reuses its ReplicaSet with the next revision', async () => {
    const sim = new Sim(3);
    await sim.createDeployment(3);
    await rolledOut(sim);
    const first = sim.replicaSets()[0]!;
    await sim.editDeployment((d) => (d.spec.template.spec.containers[0]!.image = 'nginx:2'));
    await rolledOut(sim);
    await sim.editDeployment((d) => (d.spec.template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } }));
    await rolledOut(sim);
    const rss = sim.replicaSets();
    expect(rss).toHaveLength(2);
    const reused = rss.find((r) => r.metadata.uid === first.metadata.uid)!;
    expect(reused.spec.replicas).toBe(3);
    expect(reused.metadata.annotations![REVISION_ANNOTATION]).toBe('3');
    expect(reused.metadata.annotations![REVISION_HISTORY_ANNOTATION]).toBe('1');
    expect(sim.d.metadata.annotations![REVISION_ANNOTATION]).toBe('3');
  });

  it('scales a settled Deployment up and down with "from N to M" events', async () => {
    const sim = new Sim(5);
    await sim.createDeployment(2);
    await rolledOut(sim);
    await sim.editDeployment((d) => (d.spec.replicas = 5));
    await rolledOut(sim);
    await sim.editDeployment((d) => (d.spec.replicas = 1));
    await rolledOut(sim);
    const name = sim.replicaSets()[0]!.metadata.name;
    const msgs = sim.events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
    expect(msgs).toEqual([`Scaled up replica set ${name} from 0 to 2`, `Scaled up replica set ${name} from 2 to 5`, `Scaled down replica set ${name} from 5 to 1`]);
    expect(sim.replicaSets()[0]!.metadata.annotations!['deployment.kubernetes.io/desired-replicas']).toBe('1');
  });

  it('splits a resize during a rollout proportionally', async () => {
    const sim = new Sim(9);
    await sim.createDeployment(10, { surge: 3, unavailable: 2 });
    await rolledOut(sim);
    sim.never.add('web-' + computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }));
    await sim.editDeployment((d) => (d.spec.template.spec.containers[0]!.image = 'nginx:2'));
    // The rollout stalls: 5 new pods that never become ready, 8 old ones.
    await sim.run(() => sim.replicaSets().reduce((n, r) => n + (r.spec.replicas ?? 0), 0) === 13 && sim.replicaSets().length === 2, 500);
    for (let i = 0; i < 30; i++) await sim.run(() => false, 1).catch(() => {});
    const before = new Map(sim.replicaSets().map((r) => [r.metadata.name, r.spec.replicas!]));
    await sim.editDeployment((d) => (d.spec.replicas = 20));
    await sim.run(() => sim.replicaSets().reduce((n, r) => n + (r.spec.replicas ?? 0), 0) === 23, 200);
    const after = sim.replicaSets();
    for (const r of after) {
      const was = before.get(r.metadata.name)!;
      expect(r.spec.replicas!).toBeGreaterThan(was); // both grew
    }
  });

  it('pauses: a template change waits, a resize does not; resume rolls out', async () => {
    const sim = new Sim(11);
    await sim.createDeployment(2);
    await rolledOut(sim);
    await sim.editDeployment((d) => (d.spec.paused = true));
    await sim.syncDeployment();
    expect(getCondition(sim.d.status, 'Progressing')).toMatchObject({ status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' });
    await sim.editDeployment((d) => {
      d.spec.template.spec.containers[0]!.image = 'nginx:2';
      d.spec.replicas = 4;
    });
    await sim.run(() => sim.pods.length === 4 && (sim.d.status?.availableReplicas ?? 0) === 4, 300);
    expect(sim.replicaSets()).toHaveLength(1);
    await sim.editDeployment((d) => (d.spec.paused = false));
    await sim.syncDeployment();
    // DeploymentResumed is set and, in the same sync, replaced by the rollout it lets through.
    expect(getCondition(sim.d.status, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetCreated' });
    await rolledOut(sim);
    expect(sim.replicaSets().map((r) => r.spec.replicas).sort()).toEqual([0, 4]);
  });

  it('reports ProgressDeadlineExceeded when new pods never become ready', async () => {
    const sim = new Sim(13);
    sim.never.add('web-' + computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } }));
    await sim.createDeployment(2, { progressDeadlineSeconds: 5 });
    await sim.run(() => getCondition(sim.d.status, 'Progressing')?.reason === 'ProgressDeadlineExceeded', 500);
    const c = getCondition(sim.d.status, 'Progressing')!;
    expect(c.status).toBe('False');
    expect(c.message).toMatch(/^ReplicaSet "web-[a-z0-9]+" has timed out progressing\.$/);
    expect(getCondition(sim.d.status, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' });
    expect(sim.time - T0).toBeGreaterThanOrEqual(5000);
  });

  it('resolves a pod-template-hash collision with collisionCount', async () => {
    const sim = new Sim(19);
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
    // Someone else's ReplicaSet already has the name the new one would get.
    await sim.client.create('replicasets.apps', 'default', { metadata: { name: `web-${computeHash(template)}`, labels: { other: 'x' } }, spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { ...template, metadata: { labels: { other: 'x' } } } } });
    await sim.createDeployment(2);
    await rolledOut(sim);
    expect(sim.d.status?.collisionCount).toBe(1);
    const mine = sim.replicaSets().filter((r) => r.metadata.ownerReferences?.length);
    expect(mine.map((r) => r.metadata.name)).toEqual([`web-${computeHash(template, 1)}`]);
  });

  it('keeps revisionHistoryLimit old ReplicaSets', async () => {
    const sim = new Sim(17);
    await sim.createDeployment(1, { revisionHistoryLimit: 2 });
    await rolledOut(sim);
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4', 'nginx:5']) {
      await sim.editDeployment((d) => (d.spec.template.spec.containers[0]!.image = image));
      await rolledOut(sim);
    }
    await sim.run(() => sim.replicaSets().length === 3, 100);
    expect(sim.replicaSets().map((r) => r.metadata.annotations![REVISION_ANNOTATION]).sort()).toEqual(['3', '4', '5']);
  });
});
