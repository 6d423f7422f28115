import type { KubeObject, OwnerReference } from '../../api/types.js';

// ownerReferences helpers shared by the workload controllers and the garbage collector.

export function controllerRef(obj: KubeObject): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller);
}


