import { definePackage } from './dsl.js';

// apps/v1: Deployment and ReplicaSet (k8s.io/api, Kubernetes 1.32).
export const appsPackage = definePackage({ name: 'apps', goPackage: 'v1', openapi: 'io.k8s.api.apps.v1' }, {
  Deployment: {
    $doc: 'Declarative updates for pods, through ReplicaSets it creates and scales.',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'DeploymentSpec',
    status: 'DeploymentStatus',
  },
  DeploymentSpec: {
    replicas: '*int32',
    selector: '*meta.LabelSelector required',
    template: 'core.PodTemplateSpec required',
    strategy: 'DeploymentStrategy patch=retainKeys',
    minReadySeconds: 'int32',
    revisionHistoryLimit: '*int32',
    paused: 'bool',
    progressDeadlineSeconds: '*int32',
  },
  DeploymentStrategy: {
    type: 'DeploymentStrategyType',
    rollingUpdate: '*RollingUpdateDeployment',
  },
  DeploymentStrategyType: 'string enum(Recreate|RollingUpdate)',
  RollingUpdateDeployment: {
    maxUnavailable: '*intstr.IntOrString',
    maxSurge: '*intstr.IntOrString',
  },
  DeploymentStatus: {
    observedGeneration: 'int64',
    replicas: 'int32',
    updatedReplicas: 'int32',
    readyReplicas: 'int32',
    availableReplicas: 'int32',
    unavailableReplicas: 'int32',
    conditions: '[]DeploymentCondition list=map keys=type patch=merge mergeKey=type',
    collisionCount: '*int32',
  },
  DeploymentCondition: {
    type: 'DeploymentConditionType required',
    status: 'core.ConditionStatus required',
    lastUpdateTime: 'meta.Time',
    lastTransitionTime: 'meta.Time',
    reason: 'string',
    message: 'string',
  },
  DeploymentConditionType: 'string',
  DeploymentList: {
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ListMeta',
    items: '[]Deployment required',
  },
  ReplicaSet: {
    $doc: 'Keeps a number of identical pods, made from a template, running.',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'ReplicaSetSpec',
    status: 'ReplicaSetStatus',
  },
  ReplicaSetSpec: {
    replicas: '*int32',
    minReadySeconds: 'int32',
    selector: '*meta.LabelSelector required',
    template: 'core.PodTemplateSpec',
  },
  ReplicaSetStatus: {
    replicas: 'int32 required',
    fullyLabeledReplicas: 'int32',
    readyReplicas: 'int32',
    availableReplicas: 'int32',
    observedGeneration: 'int64',
    conditions: '[]ReplicaSetCondition list=map keys=type patch=merge mergeKey=type',
  },
  ReplicaSetCondition: {
    type: 'ReplicaSetConditionType required',
    status: 'core.ConditionStatus required',
    lastTransitionTime: 'meta.Time',
    reason: 'string',
    message: 'string',
  },
  ReplicaSetConditionType: 'string',
  ReplicaSetList: {
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ListMeta',
    items: '[]ReplicaSet required',
  },
});
