// Entry point of Kubernetes-style defaulting: fills in what kube's versioned defaulters (and, where
// noted, its registry and admission plugins) would, mutating the object in place. Only missing
// values are filled, so applying it twice changes nothing.

import type { KubeObject } from '../types.js';
import { defaultSecret } from './configData.js';
import { defaultEndpoints, defaultNamespace, defaultNode } from './coreMisc.js';
import { defaultEndpointSlice, defaultIngressClass } from './network.js';
import { defaultPod } from './pod.js';
import { defaultService } from './service.js';
import { defaultDeployment, defaultReplicaSet } from './workloads.js';

const DEFAULTERS: Record<string, (obj: KubeObject) => void> = {
  pods: defaultPod,
  services: defaultService,
  secrets: defaultSecret,
  namespaces: defaultNamespace,
  endpoints: defaultEndpoints,
  nodes: defaultNode,
  'deployments.apps': defaultDeployment,
  'replicasets.apps': defaultReplicaSet,
  'endpointslices.discovery.k8s.io': defaultEndpointSlice,
  'ingressclasses.networking.k8s.io': defaultIngressClass,
};

/** Applies kube's defaults for the resource (e.g. 'pods', 'deployments.apps') to obj, in place. */
export function applyDefaults(resourceKey: string, obj: KubeObject): void {
  if (!obj || typeof obj !== 'object') return;
  DEFAULTERS[resourceKey]?.(obj);
}

export { addDefaultTolerations } from './tolerations.js';
export { prepareServiceUpdate } from './service.js';
