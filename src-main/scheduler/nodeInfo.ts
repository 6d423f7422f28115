import type { Node, Taint } from '../api/types.js';
import { nodeAllocatable, type Allocatable } from './resources.js';
import type { HostPort, PodInfo, Resources } from './types.js';

// One node as the scheduler sees it (kube's framework.NodeInfo): the Node's facts that filters
// read, plus the running sum of what the pods bound (or assumed) to it request. Pods can be
// known before their Node is (informers are independent), so `node` may be missing for a while.

const EMPTY: readonly Taint[] = [];

export class NodeInfo {
  node: Node | undefined;
  allocatable: Allocatable = { milliCPU: 0, memory: 0, pods: 0 };
  labels: Record<string, string> = {};
  /** Every taint on the node. */
  taints: readonly Taint[] = EMPTY;
  unschedulable = false;
  /** status of the Ready condition; undefined when the node reports no conditions. */
  ready: string | undefined;

  /** Sum of the bound and assumed pods' requests (what NodeResourcesFit subtracts). */
  readonly requested: Resources = { milliCPU: 0, memory: 0 };
  /** Same with kube's non-zero defaults (what least-allocated scoring uses). */
  readonly nonZeroRequested: Resources = { milliCPU: 0, memory: 0 };
  /** "<protocol>/<port>" -> host IP -> number of pods using it. */
  readonly usedPorts = new Map<string, Map<string, number>>();
  /** controller owner uid -> number of its pods here. */
  readonly ownerCounts = new Map<string, number>();
  readonly pods = new Map<string, PodInfo>();
  /** Bumped on every change (lets callers notice that a node changed). */
  generation = 0;

  constructor(readonly name: string) {}

  get podCount(): number {
    return this.pods.size;
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node.status);
    this.labels = node.metadata.labels ?? {};
    this.taints = node.spec?.taints?.length ? node.spec.taints : EMPTY;
    this.unschedulable = node.spec?.unschedulable === true;
    this.ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    this.generation++;
  }

  clearNode(): void {
    this.node = undefined;
    this.generation++;
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    this.account(p, 1);
  }

  /** Returns the removed pod, if it was here. */
  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    this.account(p, -1);
    return p;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    addScaled(this.requested, p.requests, sign);
    addScaled(this.nonZeroRequested, p.nonZeroRequests, sign);
    for (const hp of p.hostPorts) this.countPort(hp, sign);
    if (p.ownerUid) {
      const n = (this.ownerCounts.get(p.ownerUid) ?? 0) + sign;
      if (n > 0) this.ownerCounts.set(p.ownerUid, n);
      else this.ownerCounts.delete(p.ownerUid);
    }
    this.generation++;
  }

  private countPort(hp: HostPort, sign: 1 | -1): void {
    const k = `${hp.protocol}/${hp.port}`;
    let ips = this.usedPorts.get(k);
    if (!ips) {
      if (sign < 0) return;
      this.usedPorts.set(k, (ips = new Map()));
    }
    const n = (ips.get(hp.ip) ?? 0) + sign;
    if (n > 0) ips.set(hp.ip, n);
    else ips.delete(hp.ip);
    if (!ips.size) this.usedPorts.delete(k);
  }
}

function addScaled(acc: Resources, r: Resources, sign: number): void {
  acc.milliCPU += sign * r.milliCPU;
  acc.memory += sign * r.memory;
  if (r.scalars) {
    const scalars = (acc.scalars ??= new Map());
    for (const [k, v] of r.scalars) {
      const n = (scalars.get(k) ?? 0) + sign * v;
      if (n) scalars.set(k, n);
      else scalars.delete(k);
    }
  }
}
