import type { Container, Pod } from '../api/types.js';
import { isQuantity, parseQuantity } from '../api/validation/quantity.js';
import type { Resources } from './types.js';

// Quantities as numbers, the way kube's scheduler counts them: cpu in millicores
// (Quantity.MilliValue, rounded up), everything else by Value() (rounded up to a whole unit).
// Parsing goes through the API's exact BigInt parser; results are memoised because a cluster
// uses a handful of distinct strings ("100m", "128Mi") millions of times.

/** kube's schedutil.DefaultMilliCPURequest / DefaultMemoryRequest, used only for scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const MEMO_LIMIT = 4096;
const milliMemo = new Map<string, number>();
const valueMemo = new Map<string, number>();

function scaled(input: unknown, extraExp: number): number {
  const q = parseQuantity(input);
  if (!isQuantity(q)) return 0;
  const e = q.e + extraExp;
  if (e >= 0) return Number(q.m * 10n ** BigInt(e));
  const div = 10n ** BigInt(-e);
  let r = q.m / div;
  if (r * div !== q.m && q.m > 0n) r += 1n; // round up, as MilliValue()/Value() do
  return Number(r);
}

function memo(cache: Map<string, number>, input: unknown, extraExp: number): number {
  if (typeof input !== 'string') return scaled(input, extraExp);
  let v = cache.get(input);
  if (v === undefined) {
    v = scaled(input, extraExp);
    if (cache.size >= MEMO_LIMIT) cache.clear();
    cache.set(input, v);
  }
  return v;
}

/** "100m" -> 100, "1" -> 1000, "0.5" -> 500; unparsable -> 0. */
export function milliValue(q: unknown): number {
  return memo(milliMemo, q, 3);
}

/** "128Mi" -> 134217728, "1e9" -> 1e9, "500M" -> 5e8, "1.5" -> 2; unparsable -> 0. */
export function value(q: unknown): number {
  return memo(valueMemo, q, 0);
}

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0 };
}

/** Adds one resource list (requests, limits or overhead) into acc. */
export function addResourceList(acc: Resources, list: Record<string, string> | undefined): void {
  if (!list) return;
  for (const name in list) {
    const q = list[name];
    if (name === 'cpu') acc.milliCPU += milliValue(q);
    else if (name === 'memory') acc.memory += value(q);
    else if (name !== 'pods') {
      const scalars = (acc.scalars ??= new Map());
      scalars.set(name, (scalars.get(name) ?? 0) + value(q));
    }
  }
}

function maxInto(acc: Resources, other: Resources): void {
  acc.milliCPU = Math.max(acc.milliCPU, other.milliCPU);
  acc.memory = Math.max(acc.memory, other.memory);
  if (other.scalars) {
    const scalars = (acc.scalars ??= new Map());
    for (const [k, v] of other.scalars) scalars.set(k, Math.max(scalars.get(k) ?? 0, v));
  }
}

function addInto(acc: Resources, other: Resources): void {
  acc.milliCPU += other.milliCPU;
  acc.memory += other.memory;
  if (other.scalars) {
    const scalars = (acc.scalars ??= new Map());
    for (const [k, v] of other.scalars) scalars.set(k, (scalars.get(k) ?? 0) + v);
  }
}

function cloneResources(r: Resources): Resources {
  return { milliCPU: r.milliCPU, memory: r.memory, ...(r.scalars ? { scalars: new Map(r.scalars) } : {}) };
}

/** One container's requests; limits stand in for missing requests, as API defaulting does. */
function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = emptyResources();
  const requests = c.resources?.requests;
  const limits = c.resources?.limits;
  addResourceList(r, requests);
  if (limits) {
    for (const name in limits) {
      if (requests && name in requests) continue;
      addResourceList(r, { [name]: limits[name]! });
    }
  }
  if (nonZero) {
    const has = (n: string) => (requests !== undefined && n in requests) || (limits !== undefined && n in limits);
    if (!has('cpu')) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!has('memory')) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * kube's resourcehelper.PodRequests: app containers and restartable init containers (sidecars)
 * run together; each ordinary init container runs alone next to the sidecars started before it;
 * the pod needs the larger of the two, plus its overhead. With nonZero, containers that request
 * no cpu/memory count kube's defaults (what least-allocated scoring uses).
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const spec = pod.spec;
  const total = emptyResources();
  for (const c of spec.containers ?? []) addInto(total, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initPeak = emptyResources();
  for (const c of spec.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, r);
      maxInto(initPeak, sidecars);
    } else {
      const during = cloneResources(sidecars);
      addInto(during, r);
      maxInto(initPeak, during);
    }
  }
  addInto(total, sidecars);
  maxInto(total, initPeak);
  const overhead = spec.overhead as Record<string, string> | undefined;
  if (overhead) addResourceList(total, overhead);
  return total;
}

/** A node's allocatable (falling back to capacity when a node reports only that). */
export interface Allocatable extends Resources {
  pods: number;
}

export function nodeAllocatable(status: { allocatable?: Record<string, string>; capacity?: Record<string, string> } | undefined): Allocatable {
  const list = status?.allocatable ?? status?.capacity ?? {};
  const a: Allocatable = { milliCPU: 0, memory: 0, pods: 0 };
  for (const name in list) {
    const q = list[name];
    if (name === 'cpu') a.milliCPU = milliValue(q);
    else if (name === 'memory') a.memory = value(q);
    else if (name === 'pods') a.pods = value(q);
    else (a.scalars ??= new Map()).set(name, value(q));
  }
  return a;
}
