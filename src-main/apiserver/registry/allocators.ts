import { randomInt } from 'node:crypto';

// Service ClusterIP and NodePort allocation, as kube-apiserver's ipallocator/portallocator:
// random free values from a range, explicit requests honoured when in range and free, conflicts
// rejected. State is rebuilt from the stored Services at start, so nothing else needs persisting.

export class AllocationError extends Error {}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export class ClusterIPAllocator {
  readonly base: number;
  readonly size: number;
  private readonly used = new Set<number>();

  constructor(readonly cidr: string) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr);
    if (!m) throw new Error(`invalid service CIDR ${cidr}`);
    const bits = Number(m[2]);
    if (bits < 8 || bits > 28) throw new Error(`service CIDR ${cidr}: prefix must be between /8 and /28`);
    this.size = 2 ** (32 - bits);
    this.base = ipToInt(m[1]!) - (ipToInt(m[1]!) % this.size);
  }

  /** The first usable address: the `kubernetes` Service's, as in Kubernetes. */
  get apiServiceIP(): string {
    return intToIp(this.base + 1);
  }

  /** The tenth address, kept for cluster DNS (kube-dns) by convention. */
  get dnsServiceIP(): string {
    return intToIp(this.base + 10);
  }

  contains(ip: string): boolean {
    const n = ipToInt(ip);
    return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && n > this.base && n < this.base + this.size - 1;
  }

  isAllocated(ip: string): boolean {
    return this.used.has(ipToInt(ip));
  }

  allocate(ip: string): void {
    if (!this.contains(ip)) {
      throw new AllocationError(`failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.cidr}`);
    }
    const n = ipToInt(ip);
    if (this.used.has(n)) throw new AllocationError(`failed to allocate IP ${ip}: provided IP is already allocated`);
    this.used.add(n);
  }

  allocateNext(): string {
    const reserved = new Set([this.base + 1, this.base + 10]);
    const free = this.size - 2 - this.used.size - reserved.size;
    if (free <= 0) throw new AllocationError('range is full');
    for (;;) {
      const n = this.base + 1 + randomInt(this.size - 2);
      if (!this.used.has(n) && !reserved.has(n)) {
        this.used.add(n);
        return intToIp(n);
      }
    }
  }

  release(ip: string | undefined): void {
    if (ip && ip !== 'None') this.used.delete(ipToInt(ip));
  }
}

export class NodePortAllocator {
  private readonly used = new Set<number>();

  constructor(
    readonly min = 30000,
    readonly max = 32767,
  ) {}

  allocate(port: number): void {
    if (port < this.min || port > this.max) {
      throw new AllocationError(`provided port is not in the valid range. The range of valid ports is ${this.min}-${this.max}`);
    }
    if (this.used.has(port)) throw new AllocationError('provided port is already allocated');
    this.used.add(port);
  }

  allocateNext(): number {
    if (this.used.size > this.max - this.min) throw new AllocationError('range is full');
    for (;;) {
      const p = this.min + randomInt(this.max - this.min + 1);
      if (!this.used.has(p)) {
        this.used.add(p);
        return p;
      }
    }
  }

  release(port: number | undefined): void {
    if (port) this.used.delete(port);
  }
}
