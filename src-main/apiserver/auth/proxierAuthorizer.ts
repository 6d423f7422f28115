import type { ApiError } from '../status.js';
import { forbidden } from './forbidden.js';
import type { RequestAttributes } from './requestAttributes.js';
import type { UserInfo } from './tokens.js';

// kube-proxy's credentials are shared by every node container (as kubeadm shares the kube-proxy
// service account's token with its DaemonSet), so they may do no more than kube's
// system:node-proxier ClusterRole grants: read Services, Endpoints, EndpointSlices and Nodes,
// and write Events. A pod that steals them from a node learns the service map and nothing else.

export const PROXIER_USER = 'system:kube-proxy';

const READ = new Set(['get', 'list', 'watch']);
const ALLOWED: Record<string, Set<string>> = {
  '/services': new Set(['list', 'watch']),
  '/endpoints': new Set(['list', 'watch']),
  'discovery.k8s.io/endpointslices': new Set(['list', 'watch']),
  '/nodes': READ,
  '/events': new Set(['create', 'patch', 'update']),
  'events.k8s.io/events': new Set(['create', 'patch', 'update']),
};

/** Forbidden unless kube's system:node-proxier role allows the request; null for other users. */
export function authorizeProxier(user: UserInfo, a: RequestAttributes): ApiError | null {
  if (user.name !== PROXIER_USER) return null;
  const verbs = ALLOWED[`${a.resource.group}/${a.resource.plural}`];
  if (!a.subresource && verbs?.has(a.verb)) return null;
  return forbidden(user, a, '');
}
