import type { Node, Pod } from '../api/types.js';
import { NodeInfo } from './nodeInfo.js';
import { isTerminal, newPodInfo, podKey } from './podInfo.js';
import type { PodInfo, Snapshot } from './types.js';

// The scheduler's cache (kube's internal/cache): every node with the pods bound to it, fed by the
// node and pod informers, plus the pods the scheduler has *assumed* onto a node the moment it
// chose it, before the binding call returns, so that the next pod already sees that usage. An
// assumed pod is confirmed when the informer shows it bound, and forgotten if binding fails.
//
// Because scheduling cycles run synchronously on one thread, the cache itself is the snapshot:
// nothing can change it in the middle of a cycle.

interface PodPlace {
  node: string;
  uid: string;
  assumed: boolean;
}

export class SchedulerCache implements Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  private readonly list: NodeInfo[] = [];
  private readonly listIndex = new Map<string, number>();
  private readonly places = new Map<string, PodPlace>();
  /** controller uid -> node name -> its pods there. */
  private readonly owners = new Map<string, Map<string, number>>();
  private static readonly NONE: ReadonlyMap<string, number> = new Map();
  private readonly softTainted = new Set<string>();

  /** Nodes with a Node object (rotating-start order). */
  get nodes(): readonly NodeInfo[] {
    return this.list;
  }

  get(nodeName: string): NodeInfo | undefined {
    const ni = this.infos.get(nodeName);
    return ni?.node ? ni : undefined;
  }

  /** The NodeInfo for a name even without a Node object (pods may be bound to it). */
  info(nodeName: string): NodeInfo | undefined {
    return this.infos.get(nodeName);
  }

  get preferNoScheduleNodes(): number {
    return this.softTainted.size;
  }

  ownerPlacement(ownerUid: string): ReadonlyMap<string, number> {
    return this.owners.get(ownerUid) ?? SchedulerCache.NONE;
  }

  get nodeCount(): number {
    return this.list.length;
  }

  get podCount(): number {
    return this.places.size;
  }

  // ---- nodes ----

  /** Adds or refreshes a node; returns its NodeInfo. */
  setNode(node: Node): NodeInfo {
    const name = node.metadata.name!;
    let ni = this.infos.get(name);
    if (!ni) this.infos.set(name, (ni = new NodeInfo(name)));
    ni.setNode(node);
    if (ni.taints.some((t) => t.effect === 'PreferNoSchedule')) this.softTainted.add(name);
    else this.softTainted.delete(name);
    if (!this.listIndex.has(name)) {
      this.listIndex.set(name, this.list.length);
      this.list.push(ni);
    }
    return ni;
  }

  removeNode(name: string): void {
    const ni = this.infos.get(name);
    if (!ni) return;
    const idx = this.listIndex.get(name);
    if (idx !== undefined) {
      const last = this.list.pop()!;
      if (last !== ni) {
        this.list[idx] = last;
        this.listIndex.set(last.name, idx);
      }
      this.listIndex.delete(name);
    }
    ni.clearNode();
    this.softTainted.delete(name);
    // Its pods stay accounted under the name (they may be deleted next, or the node may return).
    if (!ni.podCount) this.infos.delete(name);
  }

  // ---- pods ----

  isAssumed(key: string): boolean {
    return this.places.get(key)?.assumed === true;
  }

  /** Where the cache has a pod (bound or assumed). */
  placeOf(key: string): { node: string; uid: string; assumed: boolean } | undefined {
    return this.places.get(key);
  }

  /** The scheduler chose `nodeName` for the pod: count it there now. */
  assume(pi: PodInfo, nodeName: string): void {
    this.removePodKey(pi.key);
    this.addToNode(nodeName, pi);
    this.places.set(pi.key, { node: nodeName, uid: pi.uid, assumed: true });
  }

  /** Binding failed: take the assumed pod back off its node. */
  forget(key: string): void {
    if (this.places.get(key)?.assumed) this.removePodKey(key);
  }

  /**
   * The informer shows the pod bound to a node (new, updated, or the confirmation of an assumed
   * pod). Returns 'removed' when the pod ended up holding nothing (terminal), which frees resources.
   */
  upsertBoundPod(pod: Pod): 'added' | 'updated' | 'removed' | 'none' {
    const key = podKey(pod);
    const nodeName = pod.spec.nodeName!;
    const uid = pod.metadata.uid ?? '';
    const place = this.places.get(key);
    if (isTerminal(pod)) return this.removePodKey(key) ? 'removed' : 'none';
    if (place && place.uid === uid && place.node === nodeName) {
      // Requests of a bound pod do not change: refresh the object only.
      const pi = this.infos.get(nodeName)?.pods.get(key);
      if (pi) pi.pod = pod;
      place.assumed = false;
      return 'updated';
    }
    if (place) this.removePodKey(key);
    this.addToNode(nodeName, newPodInfo(pod));
    this.places.set(key, { node: nodeName, uid, assumed: false });
    return 'added';
  }

  /** The pod is gone (deleted); returns the node it was counted on. */
  removePod(pod: Pod): string | undefined {
    return this.removePodKey(podKey(pod));
  }

  removePodKey(key: string): string | undefined {
    const place = this.places.get(key);
    if (!place) return undefined;
    this.places.delete(key);
    const ni = this.infos.get(place.node);
    if (ni) {
      const pi = ni.removePod(key);
      if (pi?.ownerUid) this.countOwner(pi.ownerUid, place.node, -1);
      if (!ni.node && !ni.podCount) this.infos.delete(place.node);
    }
    return place.node;
  }

  private addToNode(nodeName: string, pi: PodInfo): void {
    this.infoFor(nodeName).addPod(pi);
    if (pi.ownerUid) this.countOwner(pi.ownerUid, nodeName, 1);
  }

  private countOwner(ownerUid: string, nodeName: string, delta: number): void {
    let m = this.owners.get(ownerUid);
    if (!m) {
      if (delta < 0) return;
      this.owners.set(ownerUid, (m = new Map()));
    }
    const n = (m.get(nodeName) ?? 0) + delta;
    if (n > 0) m.set(nodeName, n);
    else m.delete(nodeName);
    if (!m.size) this.owners.delete(ownerUid);
  }

  private infoFor(nodeName: string): NodeInfo {
    let ni = this.infos.get(nodeName);
    if (!ni) this.infos.set(nodeName, (ni = new NodeInfo(nodeName)));
    return ni;
  }
}
