// Defaulting for discovery.k8s.io/v1 EndpointSlices (ports get name "" and protocol TCP) and
// networking.k8s.io/v1 IngressClasses (parameters default to Cluster scope). Ingresses have no
// defaults: pathType is required.

import type { KubeObject } from '../types.js';
import { isObj, objects, setDefault, type Obj } from './util.js';

export function defaultEndpointSlice(es: KubeObject): void {
  for (const p of objects((es as Obj).ports)) {
    if (p.name === undefined || p.name === null) p.name = '';
    setDefault(p, 'protocol', 'TCP');
  }
}

export function defaultIngressClass(ic: KubeObject): void {
  const spec = (ic as Obj).spec;
  if (isObj(spec) && isObj(spec.parameters)) setDefault(spec.parameters, 'scope', 'Cluster');
}
