import { isQuantity, parseQuantity, quantityString } from '../api/validation/quantity.js';

// A node's capacity. Pods are sibling containers on one Docker engine, so limits on the node
// container mean nothing to them; the honest capacity is a share of what the engine really has.
// By default every node gets an equal share (cpu and memory divided by the node count); any value
// can be set per node, but no single node may claim more than the whole engine.

export interface NodeCapacityInput {
  /** Cores as a number (1.5) or a quantity string ("1500m", "2"). */
  cpu?: number | string;
  /** Bytes as a number or a quantity string ("4Gi", "512Mi"). */
  memory?: number | string;
  /** Maximum pods on the node (kube's default is 110). */
  pods?: number;
}

export interface NodeCapacity {
  /** Canonical quantity strings, exactly what the kubelet should report in Node.status.capacity. */
  cpu: string;
  memory: string;
  pods: number;
  milliCpu: number;
  memoryBytes: number;
}

export interface EngineResources {
  cpus: number;
  memoryBytes: number;
}

export const DEFAULT_MAX_PODS = 110;
const MIN_MEMORY = 64 * 1024 * 1024;
const MI = 1024 * 1024;

function quantityToNumber(field: string, v: number | string, scaleExp: number): number {
  const q = parseQuantity(typeof v === 'number' ? String(v) : v.trim());
  if (!isQuantity(q)) throw new Error(`${field}: "${v}" is not a quantity (${q.error})`);
  const e = q.e + scaleExp;
  const n = e >= 0 ? q.m * 10n ** BigInt(e) : q.m / 10n ** BigInt(-e);
  return Number(n);
}

export function formatMilliCpu(milli: number): string {
  return quantityString({ m: BigInt(milli), e: -3, format: 'DecimalSI' });
}

export function formatBytes(bytes: number): string {
  return quantityString({ m: BigInt(bytes), e: 0, format: 'BinarySI' });
}

/** The default share of one node among `nodeCount`: cpu to the millicore, memory to the MiB, both rounded down. */
export function fairShare(engine: EngineResources, nodeCount: number): { milliCpu: number; memoryBytes: number } {
  const n = Math.max(1, nodeCount);
  return {
    milliCpu: Math.max(1, Math.floor((engine.cpus * 1000) / n)),
    memoryBytes: Math.floor(engine.memoryBytes / n / MI) * MI,
  };
}

/** Fills the unset fields with the fair share and checks every field; errors name the field. */
export function resolveCapacity(input: NodeCapacityInput | undefined, engine: EngineResources, nodeCount: number): NodeCapacity {
  const share = fairShare(engine, nodeCount);
  const milliCpu = input?.cpu === undefined ? share.milliCpu : quantityToNumber('cpu', input.cpu, 3);
  const memoryBytes = input?.memory === undefined ? share.memoryBytes : quantityToNumber('memory', input.memory, 0);
  const pods = input?.pods ?? DEFAULT_MAX_PODS;
  if (!(milliCpu >= 1)) throw new Error(`cpu: must be at least 1m, got ${input?.cpu}`);
  if (milliCpu > engine.cpus * 1000) {
    throw new Error(`cpu: ${formatMilliCpu(milliCpu)} is more than the Docker engine has (${engine.cpus} CPUs)`);
  }
  if (!(memoryBytes >= MIN_MEMORY)) throw new Error(`memory: must be at least 64Mi, got ${input?.memory ?? formatBytes(memoryBytes)}`);
  if (memoryBytes > engine.memoryBytes) {
    throw new Error(`memory: ${formatBytes(memoryBytes)} is more than the Docker engine has (${formatBytes(engine.memoryBytes)})`);
  }
  if (!Number.isInteger(pods) || pods < 1 || pods > 1000) throw new Error(`pods: must be a whole number from 1 to 1000, got ${pods}`);
  return { cpu: formatMilliCpu(milliCpu), memory: formatBytes(memoryBytes), pods, milliCpu, memoryBytes };
}

/** Reads a capacity back from the labels a node container was created with. */
export function capacityFromLabels(cpu: string | undefined, memory: string | undefined, pods: string | undefined): NodeCapacity | null {
  if (!cpu || !memory || !pods) return null;
  try {
    const milliCpu = quantityToNumber('cpu', cpu, 3);
    const memoryBytes = quantityToNumber('memory', memory, 0);
    return { cpu, memory, pods: Number(pods), milliCpu, memoryBytes };
  } catch {
    return null;
  }
}
