// The labels Flotilla puts on every Docker object it creates, and the names it gives them.
// Labels, not names, are the source of truth: adoption after a restart, node removal and
// cluster deletion all find objects by label, so a renamed or half-created object is still found.

export const LABEL = {
  cluster: 'flotilla.dev/cluster',
  // The control plane the object belongs to (network, node containers, node volumes): a hash of
  // its CA (identity.ts), and its data folder, so that a control plane that finds another's
  // objects under its cluster name can tell whose they are and whether that one is still there.
  clusterId: 'flotilla.dev/cluster-id',
  dataDir: 'flotilla.dev/data-dir',
  node: 'flotilla.dev/node',
  role: 'flotilla.dev/role',
  namespace: 'flotilla.dev/namespace',
  pod: 'flotilla.dev/pod',
  podUid: 'flotilla.dev/pod-uid',
  // Node containers only: what the node was created with (env is baked in, so are these).
  capacityCpu: 'flotilla.dev/capacity-cpu',
  capacityMemory: 'flotilla.dev/capacity-memory',
  capacityPods: 'flotilla.dev/capacity-pods',
  nodeIP: 'flotilla.dev/node-ip',
  // The cluster network only: the port node containers dial (baked into their environment).
  apiPort: 'flotilla.dev/api-port',
} as const;

export type Role = 'node' | 'pod';

/** Docker list filters for objects carrying all of the given labels. */
export function labelFilters(labels: Record<string, string>): { label: string[] } {
  return { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
}

// Dots separate the parts: cluster and node names are DNS labels (no dots), so
// `flotilla.<cluster>.<node>` can never be read two ways (with dashes, a-b + c == a + b-c).
export const networkName = (cluster: string): string => `flotilla.${cluster}`;
export const nodeContainerName = (cluster: string, node: string): string => `flotilla.${cluster}.${node}`;
export const nodeVolumeName = (cluster: string, node: string): string => `flotilla.${cluster}.${node}.state`;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Throws a message that names the field when `value` is not a DNS-1123 label of at most `max` characters. */
export function validateDnsLabel(field: string, value: string, max = 63): void {
  if (!value || value.length > max || !DNS_LABEL.test(value)) {
    throw new Error(
      `${field}: "${value}" is not valid: use at most ${max} lower-case letters, digits and '-', starting and ending with a letter or digit`,
    );
  }
}
