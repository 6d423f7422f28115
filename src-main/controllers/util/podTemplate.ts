import type { OwnerReference, Pod, PodTemplateSpec } from '../../api/types.js';

// A pod as a workload controller creates it from its template (kube's GetPodFromTemplate): the
// template's labels, annotations, finalizers and spec, a generated name under the owner's name and
// the owner's controller reference.

export function podFromTemplate(template: PodTemplateSpec, namespace: string, generateName: string, ref: OwnerReference): Pod {
  const meta = template.metadata ?? {};
  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace,
      labels: { ...(meta.labels ?? {}) },
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers?.length ? { finalizers: [...meta.finalizers] } : {}),
      ownerReferences: [{ ...ref }],
    },
    spec: structuredClone(template.spec),
  };
  return pod;
}
