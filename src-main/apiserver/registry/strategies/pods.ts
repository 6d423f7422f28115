import type { KubeObject, Pod } from '../../../api/types.js';
import { addDefaultTolerations } from '../../../api/defaults/index.js';
import { defaultStrategy, statusSubresource, type ResourceStrategy } from '../strategy.js';

// kube's pod strategy (pkg/registry/core/pod/strategy.go) plus the DefaultTolerationSeconds
// admission plugin: a new pod is Pending with its QoS class, and tolerates a not-ready or
// unreachable node for a while; its kubelet finishes a graceful delete.

/** The pod's QoS class (kube's qos.GetPodQOS, for cpu and memory). */
function qosClass(pod: Pod): string {
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const c of containers) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    if (Object.keys(req).length || Object.keys(lim).length) any = true;
    for (const r of ['cpu', 'memory']) {
      const l = lim[r];
      const q = req[r] ?? l; // requests default to limits
      if (!l || q !== l) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

export function podStrategy(defaultTolerationSeconds: number): ResourceStrategy {
  const status = statusSubresource((obj) => ({ phase: 'Pending', qosClass: qosClass(obj as Pod) }));
  return {
    ...defaultStrategy,
    ...status,
    returnsDeletedObject: true,
    removeOnZeroGrace: true,
    prepareForCreate(obj: KubeObject) {
      status.prepareForCreate(obj);
      addDefaultTolerations(obj, defaultTolerationSeconds);
    },
    // pods/status may also change labels and annotations, as in kube's podStatusStrategy.
    prepareForStatusUpdate: copyLabelsAndAnnotations,
    /**
     * Pods that run on a node get their terminationGracePeriodSeconds (the kubelet finishes the
     * deletion); an unscheduled or finished pod has no kubelet to wait for.
     */
    gracePeriod(obj, requested) {
      const pod = obj as Pod;
      if (!pod.spec?.nodeName) return 0;
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return 0;
      if (requested !== undefined) return Math.max(0, requested);
      return pod.spec.terminationGracePeriodSeconds ?? 30;
    },
  };
}

/** The /status writes of pods and nodes carry metadata labels and annotations too. */
export function copyLabelsAndAnnotations(obj: KubeObject, body: KubeObject): void {
  obj.metadata.labels = structuredClone(body.metadata?.labels);
  obj.metadata.annotations = structuredClone(body.metadata?.annotations);
  if (!obj.metadata.labels) delete obj.metadata.labels;
  if (!obj.metadata.annotations) delete obj.metadata.annotations;
}
