import { definePackage } from './dsl.js';

// autoscaling/v1: Scale (the body of the scale subresource) (k8s.io/api, Kubernetes 1.32).
export const autoscalingPackage = definePackage({ name: 'autoscaling', goPackage: 'v1', openapi: 'io.k8s.api.autoscaling.v1' }, {
  Scale: {
    $doc: 'The desired and observed replica count of a scalable resource (the scale subresource).',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'ScaleSpec',
    status: 'ScaleStatus',
  },
  ScaleSpec: {
    replicas: 'int32',
  },
  ScaleStatus: {
    replicas: 'int32 required',
    selector: 'string',
  },
});
