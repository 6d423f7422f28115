import type { Service, ServicePort } from '../../api/types.js';
import { fieldErr, type FieldError } from '../../api/validation/fieldErrors.js';
import { go } from '../../api/validation/goRender.js';
import { AllocationError, ClusterIPAllocator, NodePortAllocator } from './allocators.js';

// Applies the allocators to Services on create, update and delete. Errors come back as field
// errors (422 Invalid), exactly where kube-apiserver reports them.

const NODE_PORT_TYPES = new Set(['NodePort', 'LoadBalancer']);

export class ServiceAllocation {
  constructor(
    readonly ips: ClusterIPAllocator,
    readonly ports: NodePortAllocator,
  ) {}

  /** Marks the addresses and ports of an existing Service as used (rebuild at start). */
  restore(svc: Service): void {
    try {
      if (svc.spec?.clusterIP && svc.spec.clusterIP !== 'None') this.ips.allocate(svc.spec.clusterIP);
    } catch {
      // Already-stored data wins over the allocator's view; nothing to report at start.
    }
    for (const p of svc.spec?.ports ?? []) {
      try {
        if (p.nodePort) this.ports.allocate(p.nodePort);
      } catch {
        /* as above */
      }
    }
  }

  /** Allocates for a new Service (mutating it); on error releases what it took. */
  onCreate(svc: Service): FieldError[] {
    const taken: { ips: string[]; ports: number[] } = { ips: [], ports: [] };
    const errs = this.allocateFor(svc, undefined, taken);
    if (errs.length) this.undo(taken);
    return errs;
  }

  /** Adjusts allocations for an update; clusterIP is immutable (validation checks), ports may change. */
  onUpdate(svc: Service, old: Service): FieldError[] {
    const taken: { ips: string[]; ports: number[] } = { ips: [], ports: [] };
    const errs = this.allocateFor(svc, old, taken);
    if (errs.length) {
      this.undo(taken);
      return errs;
    }
    // Release what the old version held and the new one no longer does.
    const keptPorts = new Set((svc.spec.ports ?? []).map((p) => p.nodePort).filter(Boolean));
    for (const p of old.spec?.ports ?? []) if (p.nodePort && !keptPorts.has(p.nodePort)) this.ports.release(p.nodePort);
    if (old.spec?.clusterIP && old.spec.clusterIP !== svc.spec.clusterIP) this.ips.release(old.spec.clusterIP);
    return [];
  }

  onDelete(svc: Service): void {
    this.ips.release(svc.spec?.clusterIP);
    for (const p of svc.spec?.ports ?? []) this.ports.release(p.nodePort);
  }

  private undo(taken: { ips: string[]; ports: number[] }): void {
    for (const ip of taken.ips) this.ips.release(ip);
    for (const p of taken.ports) this.ports.release(p);
  }

  private allocateFor(svc: Service, old: Service | undefined, taken: { ips: string[]; ports: number[] }): FieldError[] {
    const spec = svc.spec;
    const errs: FieldError[] = [];
    if (spec.type === 'ExternalName') {
      // ExternalName Services get no cluster IP and no node ports.
      delete spec.clusterIP;
      delete spec.clusterIPs;
      return errs;
    }
    const oldIP = old?.spec?.clusterIP;
    if (old && oldIP && (spec.clusterIP === oldIP || !spec.clusterIP)) {
      spec.clusterIP = oldIP;
    } else if (!spec.clusterIP) {
      try {
        spec.clusterIP = this.ips.allocateNext();
        taken.ips.push(spec.clusterIP);
      } catch (e) {
        errs.push(fieldErr.invalid('spec.clusterIPs', [], `failed to allocate IP: ${(e as Error).message}`));
      }
    } else if (spec.clusterIP !== 'None') {
      try {
        this.ips.allocate(spec.clusterIP);
        taken.ips.push(spec.clusterIP);
      } catch (e) {
        // kube's allocIPs reports service.Spec.ClusterIPs, printed with %#v: []string{"10.97.0.10"}.
        if (e instanceof AllocationError) errs.push(fieldErr.invalid('spec.clusterIPs', go.strings(spec.clusterIPs ?? [spec.clusterIP]), e.message));
        else throw e;
      }
    }
    if (spec.clusterIP) spec.clusterIPs = [spec.clusterIP];

    const oldPorts = new Set((old?.spec?.ports ?? []).map((p: ServicePort) => p.nodePort).filter(Boolean) as number[]);
    const ports = spec.ports ?? [];
    if (NODE_PORT_TYPES.has(spec.type ?? 'ClusterIP')) {
      ports.forEach((p, i) => {
        if (p.nodePort && oldPorts.has(p.nodePort)) return; // still ours
        try {
          if (p.nodePort) this.ports.allocate(p.nodePort);
          else p.nodePort = this.ports.allocateNext();
          taken.ports.push(p.nodePort);
        } catch (e) {
          if (e instanceof AllocationError) errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, p.nodePort, e.message));
          else throw e;
        }
      });
    } else {
      ports.forEach((p, i) => {
        if (p.nodePort) errs.push(fieldErr.forbidden(`spec.ports[${i}].nodePort`, `may not be used when \`type\` is '${spec.type ?? 'ClusterIP'}'`));
      });
    }
    return errs;
  }
}
