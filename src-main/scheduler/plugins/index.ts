import type { FilterPlugin, ScorePlugin } from '../types.js';
import { NodeUnschedulable } from './nodeUnschedulable.js';
import { TaintTolerationFilter, TaintTolerationScore } from './taintToleration.js';
import { NodeReady } from './nodeReady.js';
import { NodeAffinityFilter, NodeAffinityScore } from './nodeAffinity.js';
import { NodePorts } from './nodePorts.js';
import { NodeResourcesFit } from './nodeResourcesFit.js';
import { LeastAllocated } from './leastAllocated.js';
import { BalancedAllocation } from './balancedAllocation.js';
import { OwnerSpread } from './ownerSpread.js';

// The default profile. Filters run in kube's order and stop at the first that rejects a node, so
// a node is counted once in the "0/N nodes are available" message under the first reason (a
// cordoned node is "unschedulable" even if it is also full). NodeReady sits after
// TaintToleration so that the lifecycle controller's not-ready taint, once present, is what the
// message names, as in Kubernetes.
export const DEFAULT_FILTERS: readonly FilterPlugin[] = [NodeUnschedulable, TaintTolerationFilter, NodeReady, NodeAffinityFilter, NodePorts, NodeResourcesFit];

// Weights as kube's defaults: TaintToleration 3, NodeAffinity 2, spreading 2 (PodTopologySpread's
// weight), least allocated 1, balanced allocation 1.
export const DEFAULT_SCORES: readonly ScorePlugin[] = [LeastAllocated, BalancedAllocation, OwnerSpread, NodeAffinityScore, TaintTolerationScore];

