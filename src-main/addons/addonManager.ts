import type { ApiClient } from '../client/apiClient.js';
import type { KubeObject } from '../api/types.js';

// The add-on manager's one job (kube's addon-manager in Reconcile mode): at every start, make
// each add-on object what this version of Flotilla ships, by server-side apply under a field
// manager of its own. Fields a user set that the add-on does not declare (an extra label or
// annotation) survive; declared ones are put back.

export const ADDON_FIELD_MANAGER = 'flotilla-addon-manager';

/**
 * An add-on object's metadata: in kube-system (unless cluster-scoped), with the add-on's labels and
 * the addon-manager's Reconcile mode, as kube's add-on manifests carry it.
 */
export function addonMeta(name: string, labels: Record<string, string>, namespaced = true): { name: string; namespace?: string; labels: Record<string, string> } {
  return { name, ...(namespaced ? { namespace: 'kube-system' } : {}), labels: { ...labels, 'addonmanager.kubernetes.io/mode': 'Reconcile' } };
}

/** Extra environment for an add-on's container (the control plane's log settings). */
export function envVars(env: Record<string, string> = {}): { name: string; value: string }[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

export async function reconcileAddons(client: ApiClient, objects: { resource: string; object: KubeObject }[]): Promise<void> {
  for (const { resource, object } of objects) await client.apply(resource, object, ADDON_FIELD_MANAGER);
}
