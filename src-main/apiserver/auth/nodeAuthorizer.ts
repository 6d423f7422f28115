import type { Pod } from '../../api/types.js';
import { objectKey, type ResourceDef } from '../../api/resources.js';
import type { Store } from '../../store/store.js';
import type { UserInfo } from './tokens.js';

// What a node's credentials may change (kube's Node authorizer + NodeRestriction admission, in
// their essentials): a kubelet reads what it needs, but writes only its own Node (and status), its
// own Lease, Events, and the status and final deletion of pods bound to it. A leaked node token
// therefore cannot touch workloads, other nodes or the control plane's objects.

export interface AuthzRequest {
  method: string;
  resource: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const NODE_PREFIX = 'system:node:';

/** Returns null when allowed, else the reason (for a 403 Forbidden). */
export function authorizeNode(user: UserInfo, req: AuthzRequest, store: Store): string | null {
  if (!user.name.startsWith(NODE_PREFIX)) return null;
  const node = user.name.slice(NODE_PREFIX.length);
  const write = req.method !== 'GET' && req.method !== 'HEAD';
  if (!write) return null;
  const key = req.resource.key;
  switch (key) {
    case 'nodes':
      // A create names the node in its body: checked by nodeCreateAdmission once the body is read.
      if (req.method === 'POST' && !req.name) return null;
      return req.name === node ? null : `can only modify its own Node object (${node})`;
    case 'leases.coordination.k8s.io':
      return req.namespace === 'kube-node-lease' && req.name === node ? null : `can only modify its own Lease (kube-node-lease/${node})`;
    case 'events':
      return req.method === 'DELETE' ? 'cannot delete events' : null;
    case 'pods': {
      if (!req.name) return 'cannot create or delete pods in bulk';
      const allowedSub = req.subresource === 'status' && (req.method === 'PATCH' || req.method === 'PUT');
      const allowedDelete = !req.subresource && req.method === 'DELETE';
      if (!allowedSub && !allowedDelete) return 'can only update the status of, and delete, pods bound to this node';
      const pod = store.get('pods', objectKey(req.resource, req.namespace, req.name)) as Pod | undefined;
      if (pod && pod.spec?.nodeName !== node) return `can only update pods bound to this node (${node})`;
      return null;
    }
    default:
      return `nodes may not modify ${req.resource.plural}`;
  }
}

/** NodeRestriction for creates, once the body is known: a node may register only itself. */
export function nodeCreateAdmission(user: UserInfo, resource: ResourceDef, body: { metadata?: { name?: string } } | undefined): string | null {
  if (!user.name.startsWith(NODE_PREFIX) || resource.key !== 'nodes') return null;
  const node = user.name.slice(NODE_PREFIX.length);
  return body?.metadata?.name === node ? null : `can only create its own Node object (${node})`;
}
