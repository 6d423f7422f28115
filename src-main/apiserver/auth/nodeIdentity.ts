import type { UserInfo } from './tokens.js';

// kube's default NodeIdentifier (pkg/auth/nodeidentifier): a user is a node when it is in the
// system:nodes group and named system:node:<node name>. Both the Node authorizer and the
// NodeRestriction admission plugin apply only to such users.

const NODE_USER_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';

/** The node a user acts for ('' for a node whose name is missing), or undefined when the user is not a node. */
export function nodeIdentity(user: UserInfo): string | undefined {
  if (!user.name.startsWith(NODE_USER_PREFIX) || !user.groups.includes(NODES_GROUP)) return undefined;
  return user.name.slice(NODE_USER_PREFIX.length);
}
