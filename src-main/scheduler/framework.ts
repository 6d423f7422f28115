import type { NodeInfo } from './nodeInfo.js';
import { DEFAULT_FILTERS, DEFAULT_SCORES } from './plugins/index.js';
import type { FilterPlugin, PodInfo, ScorePlugin, Snapshot } from './types.js';

// One scheduling cycle for one pod (kube's schedulePod): filter nodes starting at a rotating
// index until enough feasible ones are found (percentageOfNodesToScore), score those, pick the
// best (ties broken at random). Synchronous and allocation-light: it runs for every pod, over
// hundreds of nodes, on the event loop the API server also uses.

export interface FrameworkOptions {
  filters?: readonly FilterPlugin[];
  scores?: readonly ScorePlugin[];
  /** 1..100 = that share of the nodes; 0 or unset = kube's adaptive default (50% - nodes/125, at least 5%). */
  percentageOfNodesToScore?: number;
  /** Never stop the search with fewer feasible nodes than this (kube: 100). */
  minFeasibleNodesToFind?: number;
  /** How many scored nodes a result keeps (for the last-attempt annotation). */
  topScores?: number;
  random?: () => number;
}

export interface NodeScore {
  node: string;
  /** Sum of weight * plugin score. */
  total: number;
  /** Each plugin's score on 0..100 (before its weight). */
  plugins: Record<string, number>;
}

export interface ScheduleResult {
  /** The chosen node; undefined when none fits. */
  node?: string;
  numAllNodes: number;
  /** Nodes the filters looked at. */
  evaluated: number;
  feasible: number;
  /** reason text -> number of nodes rejected with it. */
  filtered: Map<string, number>;
  /** Filter plugins that rejected at least one node (what a cluster change must help). */
  rejectors: Set<string>;
  /** Best-scored nodes, best (the chosen one) first. */
  scores: NodeScore[];
}

export interface FilterFailure {
  plugin: string;
  reasons: string[];
}

export class Framework {
  readonly filters: readonly FilterPlugin[];
  readonly scores: readonly ScorePlugin[];
  private nextStartNodeIndex = 0;
  private readonly pct: number;
  private readonly minFeasible: number;
  private readonly topN: number;
  private readonly random: () => number;
  private feasibleBuf: NodeInfo[] = [];
  private totals = new Float64Array(128);
  private pluginBufs: Float64Array[] = [];

  constructor(opts: FrameworkOptions = {}) {
    this.filters = opts.filters ?? DEFAULT_FILTERS;
    this.scores = opts.scores ?? DEFAULT_SCORES;
    this.pct = opts.percentageOfNodesToScore ?? 0;
    this.minFeasible = opts.minFeasibleNodesToFind ?? 100;
    this.topN = opts.topScores ?? 5;
    this.random = opts.random ?? Math.random;
  }

  /** kube's numFeasibleNodesToFind. */
  numFeasibleNodesToFind(numAllNodes: number): number {
    if (numAllNodes < this.minFeasible) return numAllNodes;
    let pct = this.pct;
    if (pct <= 0) {
      pct = 50 - Math.floor(numAllNodes / 125);
      if (pct < 5) pct = 5;
    }
    if (pct >= 100) return numAllNodes;
    const n = Math.floor((numAllNodes * pct) / 100);
    return n < this.minFeasible ? this.minFeasible : n;
  }

  /** Runs the filters in order; the first rejection decides. */
  runFilters(pod: PodInfo, node: NodeInfo): FilterFailure | null {
    for (const f of this.filters) {
      const r = f.filter(pod, node);
      if (r === null) continue;
      return { plugin: f.name, reasons: typeof r === 'string' ? [r] : r };
    }
    return null;
  }

  schedule(pod: PodInfo, snapshot: Snapshot): ScheduleResult {
    const nodes = snapshot.nodes;
    const n = nodes.length;
    const result: ScheduleResult = { numAllNodes: n, evaluated: 0, feasible: 0, filtered: new Map(), rejectors: new Set(), scores: [] };
    if (n === 0) {
      result.rejectors.add('*');
      return result;
    }
    const want = this.numFeasibleNodesToFind(n);
    const feasible = this.feasibleBuf;
    feasible.length = 0;
    const start = this.nextStartNodeIndex % n;
    let processed = 0;
    for (let i = 0; i < n && feasible.length < want; i++) {
      const node = nodes[(start + i) % n]!;
      processed++;
      const failure = this.runFilters(pod, node);
      if (!failure) {
        feasible.push(node);
        continue;
      }
      result.rejectors.add(failure.plugin);
      for (const r of failure.reasons) result.filtered.set(r, (result.filtered.get(r) ?? 0) + 1);
    }
    this.nextStartNodeIndex = (start + processed) % n;
    result.evaluated = processed;
    result.feasible = feasible.length;
    if (!feasible.length) return result;
    this.scoreAndSelect(pod, snapshot, feasible, result);
    feasible.length = 0; // drop references until the next cycle
    return result;
  }

  private scoreAndSelect(pod: PodInfo, snapshot: Snapshot, feasible: NodeInfo[], result: ScheduleResult): void {
    const count = feasible.length;
    if (this.totals.length < count) this.totals = new Float64Array(Math.max(count, this.totals.length * 2));
    const totals = this.totals;
    totals.fill(0, 0, count);
    const active: { plugin: ScorePlugin; buf: Float64Array }[] = [];
    for (let p = 0; p < this.scores.length; p++) {
      const plugin = this.scores[p]!;
      if (plugin.applies && !plugin.applies(pod, snapshot)) continue;
      let buf = this.pluginBufs[p];
      if (!buf || buf.length < count) buf = this.pluginBufs[p] = new Float64Array(Math.max(count, 128));
      const state = plugin.preScore?.(pod, snapshot);
      for (let i = 0; i < count; i++) buf[i] = plugin.score(pod, feasible[i]!, snapshot, state);
      plugin.normalize?.(buf, count);
      for (let i = 0; i < count; i++) totals[i] += plugin.weight * buf[i]!;
      active.push({ plugin, buf });
    }

    // Highest total wins; ties are broken uniformly at random (reservoir sampling, as kube's selectHost).
    let best = 0;
    let ties = 1;
    for (let i = 1; i < count; i++) {
      if (totals[i]! > totals[best]!) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    result.node = feasible[best]!.name;

    // The chosen node, then the next best ones (insertion into a short sorted list).
    const top: number[] = [best];
    const k = this.topN - 1;
    if (k > 0) {
      const rest: number[] = [];
      for (let i = 0; i < count; i++) {
        if (i === best) continue;
        const t = totals[i]!;
        if (rest.length === k && t <= totals[rest[k - 1]!]!) continue;
        let j = rest.length < k ? rest.length : k - 1;
        while (j > 0 && totals[rest[j - 1]!]! < t) {
          rest[j] = rest[j - 1]!;
          j--;
        }
        rest[j] = i;
      }
      top.push(...rest);
    }
    result.scores = top.slice(0, this.topN).map((i) => {
      const plugins: Record<string, number> = {};
      for (const a of active) plugins[a.plugin.name] = a.buf[i]!;
      return { node: feasible[i]!.name, total: totals[i]!, plugins };
    });
  }
}
