import type { KubeObject, Namespace } from '../../../api/types.js';
import { defaultStrategy, statusSubresource, type ResourceStrategy } from '../strategy.js';

// kube's namespace strategy (pkg/registry/core/namespace): spec.finalizers change only through
// /finalize, a deleted namespace is Terminating until its finalizers are gone, and the system
// namespaces always exist.

/** Namespaces that always exist. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
/** Of those, the ones that may not be deleted. */
const UNDELETABLE = new Set(['default', 'kube-system', 'kube-public']);

function terminating(obj: KubeObject): void {
  obj.status = { ...(obj.status ?? {}), phase: 'Terminating' };
}

export const namespaceStrategy: ResourceStrategy = {
  ...defaultStrategy,
  ...statusSubresource(() => ({ phase: 'Active' })),
  returnsDeletedObject: true,
  prepareForUpdate(obj, old) {
    obj.status = structuredClone(old.status);
    obj.spec = structuredClone(old.spec);
  },
  afterUpdate(obj) {
    if (obj.metadata.deletionTimestamp) terminating(obj);
  },
  pendingFinalizers: (obj) => (obj as Namespace).spec?.finalizers ?? [],
  onGracefulDelete: terminating,
  deleteForbidden: (name) => (UNDELETABLE.has(name) ? 'this namespace may not be deleted' : undefined),
};
