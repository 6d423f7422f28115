import { ApiRequestError } from '../../client/apiClient.js';

// API errors controllers treat specially.

/**
 * A create refused because its namespace is being deleted (kube's NamespaceTerminatingCause).
 * Every later create will fail the same way and the namespace controller is about to delete the
 * owner anyway, so controllers neither report it as a failure nor retry it.
 */
export function isNamespaceTerminating(e: unknown): boolean {
  if (!(e instanceof ApiRequestError) || e.code !== 403) return false;
  if (e.status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return true;
  return /because it is being terminated/.test(e.message);
}
