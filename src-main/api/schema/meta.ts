import { definePackage } from './dsl.js';

// k8s.io/apimachinery (Kubernetes 1.32): meta/v1 and the small packages whose types every API uses.
// Time, MicroTime, FieldsV1, Quantity, IntOrString and RawExtension decode themselves in Go (custom
// UnmarshalJSON); they are the special leaves of dsl.ts.

export const metaPackage = definePackage({ name: 'meta', goPackage: 'v1', openapi: 'io.k8s.apimachinery.pkg.apis.meta.v1' }, {
  TypeMeta: {
    kind: 'string',
    apiVersion: 'string',
  },
  ObjectMeta: {
    name: 'string',
    generateName: 'string',
    namespace: 'string',
    selfLink: 'string',
    uid: 'types.UID',
    resourceVersion: 'string',
    generation: 'int64',
    creationTimestamp: 'Time',
    deletionTimestamp: '*Time',
    deletionGracePeriodSeconds: '*int64',
    labels: 'map[string]string',
    annotations: 'map[string]string',
    ownerReferences: '[]OwnerReference list=map keys=uid patch=merge mergeKey=uid',
    finalizers: '[]string list=set patch=merge',
    managedFields: '[]ManagedFieldsEntry list=atomic',
  },
  OwnerReference: {
    $map: 'atomic',
    apiVersion: 'string required',
    kind: 'string required',
    name: 'string required',
    uid: 'types.UID required',
    controller: '*bool',
    blockOwnerDeletion: '*bool',
  },
  ManagedFieldsEntry: {
    manager: 'string',
    operation: 'ManagedFieldsOperationType',
    apiVersion: 'string',
    time: '*Time',
    fieldsType: 'string',
    fieldsV1: '*FieldsV1',
    subresource: 'string',
  },
  ManagedFieldsOperationType: 'string',
  ListMeta: {
    selfLink: 'string',
    resourceVersion: 'string',
    continue: 'string',
    remainingItemCount: '*int64',
  },
  LabelSelector: {
    $map: 'atomic',
    matchLabels: 'map[string]string',
    matchExpressions: '[]LabelSelectorRequirement list=atomic',
  },
  LabelSelectorRequirement: {
    key: 'string required',
    operator: 'LabelSelectorOperator required',
    values: '[]string list=atomic',
  },
  LabelSelectorOperator: 'string',
  Condition: {
    type: 'string required',
    status: 'ConditionStatus required',
    observedGeneration: 'int64',
    lastTransitionTime: 'Time required',
    reason: 'string required',
    message: 'string required',
  },
  ConditionStatus: 'string',
  DeleteOptions: {
    $doc: 'Options for a delete request.',
    $inline: 'TypeMeta',
    gracePeriodSeconds: '*int64',
    preconditions: '*Preconditions',
    orphanDependents: '*bool',
    propagationPolicy: '*DeletionPropagation',
    dryRun: '[]string list=atomic',
    ignoreStoreReadErrorWithClusterBreakingPotential: '*bool',
  },
  Preconditions: {
    uid: '*types.UID',
    resourceVersion: '*string',
  },
  DeletionPropagation: 'string',
  Status: {
    $doc: 'The result of an operation that returns no object, most often an error.',
    $inline: 'TypeMeta',
    metadata: 'ListMeta',
    status: 'string',
    message: 'string',
    reason: 'StatusReason',
    details: '*StatusDetails list=atomic',
    code: 'int32',
  },
  StatusReason: 'string',
  StatusDetails: {
    name: 'string',
    group: 'string',
    kind: 'string',
    uid: 'types.UID',
    causes: '[]StatusCause list=atomic',
    retryAfterSeconds: 'int32',
  },
  StatusCause: {
    reason: 'CauseType',
    message: 'string',
    field: 'string',
  },
  CauseType: 'string',
  Time: '@time',
  MicroTime: '@microTime',
  FieldsV1: '@raw',
});

export const resourcePackage = definePackage({ name: 'resource', goPackage: 'resource', openapi: 'io.k8s.apimachinery.pkg.api.resource' }, {
  Quantity: '@quantity',
});

export const intstrPackage = definePackage({ name: 'intstr', goPackage: 'intstr', openapi: 'io.k8s.apimachinery.pkg.util.intstr' }, {
  IntOrString: '@intOrString',
});

export const typesPackage = definePackage({ name: 'types', goPackage: 'types', openapi: 'io.k8s.apimachinery.pkg.types' }, {
  UID: 'string',
});

export const runtimePackage = definePackage({ name: 'runtime', goPackage: 'runtime', openapi: 'io.k8s.apimachinery.pkg.runtime' }, {
  RawExtension: '@raw',
});
