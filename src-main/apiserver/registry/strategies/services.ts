import type { Service } from '../../../api/types.js';
import { prepareServiceUpdate } from '../../../api/defaults/index.js';
import type { ServiceAllocation } from '../serviceAllocation.js';
import { defaultStrategy, statusSubresource, type ResourceStrategy } from '../strategy.js';

// kube's service strategy and REST storage (pkg/registry/core/service): a cluster IP and node
// ports allocated on create, kept across updates that do not change them, freed on delete.

export function serviceStrategy(services: ServiceAllocation): ResourceStrategy {
  const status = statusSubresource(() => ({ loadBalancer: {} }));
  return {
    ...defaultStrategy,
    ...status,
    returnsDeletedObject: true,
    prepareForUpdate(obj, old) {
      status.prepareForUpdate(obj, old);
      prepareServiceUpdate(obj, old);
    },
    allocation: {
      onCreate: (obj) => services.onCreate(obj as Service),
      onUpdate: (obj, old) => services.onUpdate(obj as Service, old as Service),
      onDelete: (obj) => services.onDelete(obj as Service),
    },
  };
}
