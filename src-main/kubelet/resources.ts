import type { Container } from '../api/types.js';
import { isQuantity, parseQuantity } from '../api/validation/quantity.js';

// Container resources as Docker enforces them (cgroups, like kube's kuberuntime on Linux):
// limits.cpu -> a CFS quota (Docker NanoCpus), requests.cpu -> cpu shares (kube's MilliCPUToShares),
// limits.memory -> a hard memory limit with no extra swap, so exceeding it OOM-kills the container.

/** Whole units, rounded up (Quantity.Value). */
export function quantityValue(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const v = parseQuantity(q);
  if (!isQuantity(v)) return undefined;
  if (v.e >= 0) return Number(v.m * 10n ** BigInt(v.e));
  const div = 10n ** BigInt(-v.e);
  let r = v.m / div;
  if (r * div !== v.m && v.m > 0n) r += 1n;
  return Number(r);
}

/** Millis, rounded up (Quantity.MilliValue). */
export function quantityMilli(q: string | undefined): number | undefined {
  if (q === undefined) return undefined;
  const v = parseQuantity(q);
  if (!isQuantity(v)) return undefined;
  const e = v.e + 3;
  if (e >= 0) return Number(v.m * 10n ** BigInt(e));
  const div = 10n ** BigInt(-e);
  let r = v.m / div;
  if (r * div !== v.m && v.m > 0n) r += 1n;
  return Number(r);
}

export interface DockerResources {
  NanoCpus?: number;
  CpuShares?: number;
  Memory?: number;
  MemorySwap?: number;
}

/** kube's MinShares/SharesPerCPU. */
const MIN_SHARES = 2;
const SHARES_PER_CPU = 1024;

export function dockerResources(c: Container): DockerResources {
  const out: DockerResources = {};
  const cpuLimit = quantityMilli(c.resources?.limits?.cpu);
  const cpuRequest = quantityMilli(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu);
  const mem = quantityValue(c.resources?.limits?.memory);
  if (cpuLimit) out.NanoCpus = cpuLimit * 1_000_000;
  // An unset request gets the minimum, as kube does for BestEffort containers.
  out.CpuShares = cpuRequest ? Math.max(MIN_SHARES, Math.floor((cpuRequest * SHARES_PER_CPU) / 1000)) : MIN_SHARES;
  if (mem) {
    // Docker refuses limits under 6 MiB; kube would let the container die at start instead.
    out.Memory = Math.max(mem, 6 * 1024 * 1024);
    out.MemorySwap = out.Memory;
  }
  return out;
}
