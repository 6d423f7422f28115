// Pod defaulting: the PodSpec defaults plus what kube applies only to Pods (SetDefaults_Pod) and
// what its admission plugins add to every new Pod (ServiceAccount: the "default" account;
// Priority: priority 0 and the default preemption policy when no priority class is named).

import type { KubeObject } from '../types.js';
import { defaultPodSpec } from './podSpec.js';
import { ensureObj, isObj, objects, setDefault, unset, type Obj } from './util.js';

/** Priorities of the built-in classes (the Priority admission plugin resolves them on create). */
const BUILTIN_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2000001000,
  'system-cluster-critical': 2000000000,
};

/** Requests default to limits when only limits are given (pods only, not templates). */
function requestsFromLimits(c: Obj): void {
  const res = ensureObj(c, 'resources');
  if (!isObj(res.limits)) return;
  const requests = ensureObj(res, 'requests');
  for (const [k, v] of Object.entries(res.limits)) if (!(k in requests)) requests[k] = v;
}

export function defaultPod(pod: KubeObject): void {
  const spec = ensureObj(pod as Obj, 'spec');
  defaultPodSpec(spec);
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) requestsFromLimits(c);
  setDefault(spec, 'enableServiceLinks', true);
  // With host networking a container port is also the host port.
  if (spec.hostNetwork === true) {
    for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) {
      for (const p of objects(c.ports)) if (unset(p.hostPort) || p.hostPort === 0) p.hostPort = p.containerPort;
    }
  }
  setDefault(spec, 'serviceAccountName', typeof spec.serviceAccount === 'string' && spec.serviceAccount ? spec.serviceAccount : 'default');
  // serviceAccount is the deprecated alias kube keeps in sync on output.
  spec.serviceAccount = spec.serviceAccountName;
  const pc = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
  if (!pc) {
    setDefault(spec, 'priority', 0);
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  } else if (pc in BUILTIN_PRIORITY_CLASSES) {
    setDefault(spec, 'priority', BUILTIN_PRIORITY_CLASSES[pc]);
    setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
  }
}
