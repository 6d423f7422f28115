import { goQuote } from '../../api/validation/goRender.js';
import type { Store } from '../../store/store.js';
import type { ApiError } from '../status.js';
import { forbidden } from './forbidden.js';
import { relatedToNode, type RelatedKind } from './nodeGraph.js';
import { nodeIdentity } from './nodeIdentity.js';
import { admitStoredObject } from './nodeRestriction.js';
import type { RequestAttributes } from './requestAttributes.js';
import type { UserInfo } from './tokens.js';

export { nodeCreateAdmission, nodeTokenRequestAdmission, nodeUpdateAdmission } from './nodeRestriction.js';

// kube's Node authorizer (plugin/pkg/auth/authorizer/node/node_authorizer.go, with 1.32's default
// AuthorizeNodeWithSelectors) plus the system:node rules (bootstrappolicy NodeRules): what a
// node's credentials may do at all. A kubelet reads its own Node, pods bound to it (a list or
// watch must select spec.nodeName=<node>), and the secrets and configmaps those pods reference —
// one named object at a time, never a list of them; it reads all services (for
// service environment variables) and endpoints; it writes its Node, its Lease, Events, and the
// status of its pods. Logs, exec, attach and port-forward of any pod are not for nodes.
// NodeRestriction (nodeRestriction.ts) then narrows the writes the verbs allow.

type Decision = { allowed: true } | { allowed: false; reason: string };
const ALLOW: Decision = { allowed: true };
const deny = (reason = ''): Decision => ({ allowed: false, reason });

/** NodeRules entries reached by resources the Node authorizer does not handle itself. */
const NODE_RULES: { verbs: string[]; group: string; resources: string[] }[] = [
  { verbs: ['create'], group: 'authentication.k8s.io', resources: ['tokenreviews'] },
  { verbs: ['create'], group: 'authorization.k8s.io', resources: ['subjectaccessreviews', 'localsubjectaccessreviews'] },
  // Needed to build the service lister that fills in service environment variables.
  { verbs: ['get', 'list', 'watch'], group: '', resources: ['services'] },
  { verbs: ['create', 'update', 'patch'], group: '', resources: ['events'] },
  { verbs: ['get'], group: '', resources: ['endpoints'] },
  { verbs: ['create', 'get', 'list', 'watch'], group: 'certificates.k8s.io', resources: ['certificatesigningrequests'] },
  { verbs: ['get', 'list', 'watch'], group: 'storage.k8s.io', resources: ['csidrivers'] },
  { verbs: ['get', 'list', 'watch'], group: 'node.k8s.io', resources: ['runtimeclasses'] },
];

function rulesAllow(a: RequestAttributes): boolean {
  const res = a.subresource ? `${a.resource.plural}/${a.subresource}` : a.resource.plural;
  return NODE_RULES.some((r) => r.group === a.resource.group && r.verbs.includes(a.verb) && r.resources.includes(res));
}

/** The object must be related to the node through a pod bound to it (kube's authorize/hasPathFrom). */
function related(node: string, kind: RelatedKind, a: RequestAttributes, store: Store): Decision {
  if (!a.name) return deny('No Object name found');
  return relatedToNode(store, node, kind, a.namespace ?? '', a.name) ? ALLOW : deny(`no relationship found between node '${node}' and this object`);
}

/** get, list and watch of one named object (a list or watch names it through metadata.name=). */
function readNamespacedObject(node: string, kind: RelatedKind, a: RequestAttributes, store: Store): Decision {
  if (a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') return deny('can only read resources of this type');
  if (a.subresource) return deny('cannot read subresource');
  if (!a.namespace) return deny('can only read namespaced object of this type');
  return related(node, kind, a, store);
}

function getRelated(node: string, kind: RelatedKind, a: RequestAttributes, store: Store): Decision {
  if (a.verb !== 'get') return deny('can only get individual resources of this type');
  if (a.subresource) return deny('cannot get subresource');
  return related(node, kind, a, store);
}

function authorizeNodeObject(node: string, a: RequestAttributes): Decision {
  if (!a.subresource) {
    // Writes are limited to the node's own object by NodeRestriction.
    if (a.verb === 'create' || a.verb === 'update' || a.verb === 'patch') return ALLOW;
    if (a.verb === 'get' || a.verb === 'list' || a.verb === 'watch') {
      if (a.name === node) return ALLOW;
      if (!a.name) return deny(`node '${node}' cannot read all nodes, only its own Node object`);
      return deny(`node '${node}' cannot read '${a.name}', only its own Node object`);
    }
  } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
    return ALLOW;
  }
  return deny();
}

function authorizePod(node: string, a: RequestAttributes, store: Store): Decision {
  if (!a.subresource) {
    if (a.verb === 'get') return getRelated(node, 'pods', a, store);
    if (a.verb === 'list' || a.verb === 'watch') {
      if (a.fieldSelector.some((f) => f.field === 'spec.nodeName' && f.op === '=' && f.value === node)) return ALLOW;
      if (a.name) return related(node, 'pods', a, store);
      return deny('can only list/watch pods with spec.nodeName field selector');
    }
    // Mirror pods, limited by NodeRestriction.
    if (a.verb === 'create' || a.verb === 'delete') return ALLOW;
  } else if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch')) {
    return ALLOW;
  } else if (a.subresource === 'eviction' && a.verb === 'create') {
    return ALLOW;
  }
  return deny();
}

function authorizeLease(node: string, a: RequestAttributes): Decision {
  if (!['get', 'create', 'update', 'patch', 'delete'].includes(a.verb)) return deny('can only get, create, update, patch, or delete a node lease');
  if (a.namespace !== 'kube-node-lease') return deny('can only access leases in the "kube-node-lease" system namespace');
  // A create names the lease in its body: NodeRestriction checks it.
  if (a.verb !== 'create' && a.name !== node) return deny('can only access node lease with the same name as the requesting node');
  return ALLOW;
}

function authorizeServiceAccountToken(node: string, a: RequestAttributes, store: Store): Decision {
  if (a.verb !== 'create' || !a.name) return deny('can only create tokens for individual service accounts');
  if (a.subresource !== 'token') return deny('can only create token subresource of serviceaccount');
  return relatedToNode(store, node, 'serviceaccounts', a.namespace ?? '', a.name) ? ALLOW : deny(`no relationship found between node '${node}' and this object`);
}

function decide(node: string, a: RequestAttributes, store: Store): Decision {
  switch (a.resource.key) {
    case 'secrets':
      return readNamespacedObject(node, 'secrets', a, store);
    case 'configmaps':
      return readNamespacedObject(node, 'configmaps', a, store);
    case 'serviceaccounts':
      return authorizeServiceAccountToken(node, a, store);
    case 'leases.coordination.k8s.io':
      return authorizeLease(node, a);
    case 'nodes':
      return authorizeNodeObject(node, a);
    case 'pods':
      return authorizePod(node, a, store);
    default:
      return rulesAllow(a) ? ALLOW : deny();
  }
}

/**
 * Authorizes a resource request made with a node's credentials, then applies the NodeRestriction
 * checks that need only the stored object. Returns the Forbidden error kube-apiserver would
 * answer with, or null (also for every user that is not a node).
 */
export function authorizeNode(user: UserInfo, a: RequestAttributes, store: Store): ApiError | null {
  const node = nodeIdentity(user);
  if (node === undefined) return null;
  if (!node) return forbidden(user, a, `unknown node for user ${goQuote(user.name)}`);
  const d = decide(node, a, store);
  if (!d.allowed) return forbidden(user, a, d.reason);
  return admitStoredObject(node, a, store);
}
