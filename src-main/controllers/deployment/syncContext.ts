import type { Deployment, DeploymentStatus, ReplicaSet } from '../../api/types.js';
import type { ApiClient } from '../../client/apiClient.js';
import type { EventRecorder } from '../../client/eventRecorder.js';
import { replicasOf, type ReplicaCounts } from './util/replicaSets.js';

// What one sync of one Deployment works with: the Deployment as last written or read, its
// ReplicaSets (updated in place as this sync scales them), and pod counts from the pod informer.
// The per-concern files (sync.ts, rolling.ts, recreate.ts, progress.ts) take this instead of the
// controller, which keeps them free of queues and informers.

export const DEPLOYMENTS = 'deployments.apps';
export const REPLICASETS = 'replicasets.apps';

/** Pods of one ReplicaSet as the pod informer sees them. */
export interface PodStats {
  /** Not terminal and not being deleted (what ReplicaSet status.replicas counts). */
  active: number;
  ready: number;
  /** Ready for at least minReadySeconds. */
  available: number;
  /** Being deleted but not gone yet (still running somewhere). */
  terminating: number;
  /** When the next ready-but-not-yet-available pod becomes available (ms from now). */
  recheckInMs?: number;
}

/** The controller services a sync needs. */
export interface DeploymentHost {
  readonly client: ApiClient;
  readonly recorder: EventRecorder;
  now(): number;
  podStats(rs: ReplicaSet): PodStats;
  /** Remember a ReplicaSet this controller wrote until the informer has caught up. */
  rememberReplicaSet(rs: ReplicaSet): void;
  forgetReplicaSet(rs: ReplicaSet): void;
  enqueueAfter(key: string, ms: number): void;
}

export function deploymentWithKind(d: Deployment): Deployment {
  return { ...d, apiVersion: 'apps/v1', kind: 'Deployment' };
}

export function replicaSetWithKind(rs: ReplicaSet): ReplicaSet {
  return { ...rs, apiVersion: 'apps/v1', kind: 'ReplicaSet' };
}

export class SyncContext {
  /** The Deployment as most recently read or written by this sync. */
  d: Deployment;
  /** The generation this sync acts on (observedGeneration it may report). */
  readonly generation: number;
  private readonly replicaSets = new Map<string, ReplicaSet>();
  private readonly stats = new Map<string, PodStats>();
  readonly counts: ReplicaCounts;

  constructor(
    readonly host: DeploymentHost,
    d: Deployment,
    rsList: ReplicaSet[],
  ) {
    this.d = deploymentWithKind(d);
    this.generation = d.metadata.generation ?? 0;
    for (const rs of rsList) this.replicaSets.set(rs.metadata.uid!, replicaSetWithKind(rs));
    this.counts = {
      pods: (rs) => Math.max(replicasOf(this.current(rs)), this.podStats(rs).active),
      available: (rs) => Math.min(replicasOf(this.current(rs)), this.podStats(rs).available),
    };
  }

  get key(): string {
    return `${this.d.metadata.namespace}/${this.d.metadata.name}`;
  }

  /** Every ReplicaSet of the Deployment, in its latest known version. */
  get rsList(): ReplicaSet[] {
    return [...this.replicaSets.values()];
  }

  /** The latest version of a ReplicaSet this sync knows. */
  current(rs: ReplicaSet): ReplicaSet {
    return this.replicaSets.get(rs.metadata.uid!) ?? rs;
  }

  /** Records a ReplicaSet the API server returned after this sync wrote it. */
  wrote(rs: ReplicaSet): ReplicaSet {
    const withKind = replicaSetWithKind(rs);
    this.replicaSets.set(rs.metadata.uid!, withKind);
    this.host.rememberReplicaSet(withKind);
    return withKind;
  }

  deleted(rs: ReplicaSet): void {
    this.replicaSets.delete(rs.metadata.uid!);
    this.host.forgetReplicaSet(rs);
  }

  podStats(rs: ReplicaSet): PodStats {
    const uid = rs.metadata.uid;
    if (!uid) return { active: 0, ready: 0, available: 0, terminating: 0 };
    let s = this.stats.get(uid);
    if (!s) this.stats.set(uid, (s = this.host.podStats(this.current(rs))));
    return s;
  }

  get status(): DeploymentStatus {
    return this.d.status ?? {};
  }
}
