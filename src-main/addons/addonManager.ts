import type { ApiClient } from '../client/apiClient.js';
import type { KubeObject } from '../api/types.js';

// The add-on manager's one job (kube's addon-manager in Reconcile mode): at every start, make
// each add-on object what this version of Flotilla ships, by server-side apply under a field
// manager of its own. Fields a user set that the add-on does not declare (an extra label or
// annotation) survive; declared ones are put back.

export const ADDON_FIELD_MANAGER = 'flotilla-addon-manager';

export async function reconcileAddons(client: ApiClient, objects: { resource: string; object: KubeObject }[]): Promise<void> {
  for (const { resource, object } of objects) await client.apply(resource, object, ADDON_FIELD_MANAGER);
}
