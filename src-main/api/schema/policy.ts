import { definePackage } from './dsl.js';

// policy/v1: Eviction (the body of the pods/eviction subresource) (k8s.io/api, Kubernetes 1.32).
export const policyPackage = definePackage({ name: 'policy', goPackage: 'v1', openapi: 'io.k8s.api.policy.v1' }, {
  Eviction: {
    $doc: 'Asks to delete a pod while respecting disruption budgets (the pods/eviction subresource).',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    deleteOptions: '*meta.DeleteOptions',
  },
});
