// The Node printer (printNode): readiness summary, roles derived from labels, and the wide system-info columns.
import type { KubeObject, Node } from '../../api/types.js';
import { ageColumn, column, DOC, nameColumn } from './columns.js';
import { translateTimestampSince } from './duration.js';
import type { Printer } from './types.js';

/** Label prefix whose suffix names a role, e.g. node-role.kubernetes.io/control-plane="". */
const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
/** Older label whose value names the role, e.g. kubernetes.io/role=master. */
const NODE_ROLE_LABEL = 'kubernetes.io/role';

/**
 * "Ready" / "NotReady" from the Ready condition (any non-True status, Unknown included, is NotReady), "Unknown"
 * when the node never reported one, then ",SchedulingDisabled" for cordoned nodes.
 */
export function nodeStatus(node: Node): string {
  const status: string[] = [];
  // printNode indexes conditions by type, so the last Ready condition wins.
  const ready = [...(node.status?.conditions ?? [])].reverse().find((c) => c.type === 'Ready');
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  else status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** findNodeRoles: sorted, de-duplicated roles, or "<none>". */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(NODE_ROLE_PREFIX)) {
      const role = k.slice(NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return roles.size > 0 ? [...roles].sort().join(',') : '<none>';
}

/** The first address of the given type, or "<none>". */
function nodeAddress(node: Node, type: string): string {
  return node.status?.addresses?.find((a) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    ageColumn(),
    column('Version', 'string', DOC['NodeSystemInfo.kubeletVersion']),
    column('Internal-IP', 'string', DOC['NodeStatus.addresses'], { priority: 1 }),
    column('External-IP', 'string', DOC['NodeStatus.addresses'], { priority: 1 }),
    column('OS-Image', 'string', DOC['NodeSystemInfo.osImage'], { priority: 1 }),
    column('Kernel-Version', 'string', DOC['NodeSystemInfo.kernelVersion'], { priority: 1 }),
    column('Container-Runtime', 'string', DOC['NodeSystemInfo.containerRuntimeVersion'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const node = obj as Node;
    const info = node.status?.nodeInfo ?? {};
    return [
      node.metadata.name ?? '',
      nodeStatus(node),
      nodeRoles(node),
      translateTimestampSince(node.metadata.creationTimestamp, now),
      info.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'),
      nodeAddress(node, 'ExternalIP'),
      info.osImage || '<unknown>',
      info.kernelVersion || '<unknown>',
      info.containerRuntimeVersion || '<unknown>',
    ];
  },
};
