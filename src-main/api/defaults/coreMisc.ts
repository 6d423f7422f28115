// Defaulting for the remaining core kinds: Namespaces (the "kubernetes" finalizer the registry
// adds, phase Active and the kubernetes.io/metadata.name label), Endpoints port protocols and
// Node allocatable (defaults to capacity).

import type { KubeObject } from '../types.js';
import { ensureObj, isObj, objects, setDefault, type Obj } from './util.js';

export function defaultNamespace(ns: KubeObject): void {
  const o = ns as Obj;
  const spec = ensureObj(o, 'spec');
  if (!Array.isArray(spec.finalizers)) spec.finalizers = ['kubernetes'];
  setDefault(ensureObj(o, 'status'), 'phase', 'Active');
  const name = ns.metadata?.name;
  if (name) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
}

export function defaultEndpoints(ep: KubeObject): void {
  for (const ss of objects((ep as Obj).subsets)) for (const p of objects(ss.ports)) setDefault(p, 'protocol', 'TCP');
}

export function defaultNode(node: KubeObject): void {
  const status = (node as Obj).status;
  if (isObj(status) && isObj(status.capacity) && !isObj(status.allocatable)) status.allocatable = { ...status.capacity };
}
