import type { NodeSelectorTerm, Pod, Toleration } from '../api/types.js';
import type { NodeInfo } from './nodeInfo.js';

// The shapes every plugin works on. A PodInfo is computed once per scheduling attempt (requests
// parsed, ports and owner extracted) so that the per-node plugin calls are plain arithmetic and
// map lookups: with 1,000 nodes a pod is filtered against hundreds of them.

export interface HostPort {
  /** "0.0.0.0" when the pod did not name one (kube's default: every address). */
  ip: string;
  protocol: string;
  port: number;
}

/** Resource amounts as the scheduler counts them: millicores, bytes, and raw values for the rest. */
export interface Resources {
  milliCPU: number;
  memory: number;
  /** ephemeral-storage, extended resources (example.com/gpu), hugepages-*: their Value(). */
  scalars?: Map<string, number>;
}

export interface PodInfo {
  pod: Pod;
  /** namespace/name (the informer key). */
  key: string;
  uid: string;
  namespace: string;
  name: string;
  /** What the pod requests (kube's PodRequests: containers, init containers, sidecars, overhead); 0 when unset. */
  requests: Resources;
  /** Same, with kube's defaults (100m cpu, 200Mi memory) for containers that request nothing: used by scoring. */
  nonZeroRequests: Resources;
  hostPorts: HostPort[];
  /** uid of the controlling owner (ReplicaSet, StatefulSet, ...), for spreading replicas. */
  ownerUid: string | undefined;
  tolerations: Toleration[];
  nodeSelector: Record<string, string> | undefined;
  requiredNodeAffinity: NodeSelectorTerm[] | undefined;
  preferredNodeAffinity: { weight: number; preference: NodeSelectorTerm }[] | undefined;
  priority: number;
}

/** What a filter says about one node: null = fits; otherwise kube's reason text(s). */
export type FilterResult = null | string | string[];

export interface FilterPlugin {
  readonly name: string;
  filter(pod: PodInfo, node: NodeInfo): FilterResult;
}

/** The nodes a scheduling cycle sees (the scheduler's cache is one). */
export interface Snapshot {
  /** Nodes that have a Node object, in a stable order for the rotating start index. */
  readonly nodes: readonly NodeInfo[];
  get(nodeName: string): NodeInfo | undefined;
  /** Optional index: node name -> pods of this controller there (what OwnerSpread counts). */
  ownerPlacement?(ownerUid: string): ReadonlyMap<string, number>;
  /** Optional: how many nodes carry a PreferNoSchedule taint (none = TaintToleration scores are all equal). */
  readonly preferNoScheduleNodes?: number;
}

export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  /** false = the plugin has nothing to say about this pod (kube's PreScore "Skip"). */
  applies?(pod: PodInfo, snapshot: Snapshot): boolean;
  /** Work done once per pod before scoring nodes (kube's PreScore); its result is passed to score(). */
  preScore?(pod: PodInfo, snapshot: Snapshot): unknown;
  /** A raw score for one feasible node; 0..100 unless normalize() maps it there. */
  score(pod: PodInfo, node: NodeInfo, snapshot: Snapshot, state?: unknown): number;
  /** Maps the raw scores of all feasible nodes onto 0..100, in place (kube's NormalizeScore). */
  normalize?(scores: Float64Array, count: number): void;
}

export const MAX_NODE_SCORE = 100;
