import { DOCKER_LABEL } from '../api/dockerLabels.js';

// The labels Flotilla puts on every Docker object it creates, and the names it gives them.
// Labels, not names, are the source of truth: adoption after a restart, node removal and
// cluster deletion all find objects by label, so a renamed or half-created object is still found.

/** The shared label names (api/dockerLabels.ts). */
export const LABEL = DOCKER_LABEL;

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
