import type { TypeDefs } from './dsl.js';

// core/v1 (k8s.io/api/core/v1, Kubernetes 1.32): affinity, tolerations and topology spread constraints.
export const coreSchedulingTypes: TypeDefs = {
  Affinity: {
    nodeAffinity: '*NodeAffinity',
    podAffinity: '*PodAffinity',
    podAntiAffinity: '*PodAntiAffinity',
  },
  NodeAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: '*NodeSelector',
    preferredDuringSchedulingIgnoredDuringExecution: '[]PreferredSchedulingTerm list=atomic',
  },
  NodeSelector: {
    $map: 'atomic',
    nodeSelectorTerms: '[]NodeSelectorTerm required list=atomic',
  },
  NodeSelectorTerm: {
    $map: 'atomic',
    matchExpressions: '[]NodeSelectorRequirement list=atomic',
    matchFields: '[]NodeSelectorRequirement list=atomic',
  },
  NodeSelectorRequirement: {
    key: 'string required',
    operator: 'NodeSelectorOperator required',
    values: '[]string list=atomic',
  },
  NodeSelectorOperator: 'string enum(DoesNotExist|Exists|Gt|In|Lt|NotIn)',
  PreferredSchedulingTerm: {
    weight: 'int32 required',
    preference: 'NodeSelectorTerm required',
  },
  PodAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: '[]PodAffinityTerm list=atomic',
    preferredDuringSchedulingIgnoredDuringExecution: '[]WeightedPodAffinityTerm list=atomic',
  },
  PodAffinityTerm: {
    labelSelector: '*meta.LabelSelector',
    namespaces: '[]string list=atomic',
    topologyKey: 'string required',
    namespaceSelector: '*meta.LabelSelector',
    matchLabelKeys: '[]string list=atomic',
    mismatchLabelKeys: '[]string list=atomic',
  },
  WeightedPodAffinityTerm: {
    weight: 'int32 required',
    podAffinityTerm: 'PodAffinityTerm required',
  },
  PodAntiAffinity: {
    requiredDuringSchedulingIgnoredDuringExecution: '[]PodAffinityTerm list=atomic',
    preferredDuringSchedulingIgnoredDuringExecution: '[]WeightedPodAffinityTerm list=atomic',
  },
  Toleration: {
    key: 'string',
    operator: 'TolerationOperator',
    value: 'string',
    effect: 'TaintEffect',
    tolerationSeconds: '*int64',
  },
  TolerationOperator: 'string enum(Equal|Exists)',
  TaintEffect: 'string enum(NoExecute|NoSchedule|PreferNoSchedule)',
  TopologySpreadConstraint: {
    maxSkew: 'int32 required',
    topologyKey: 'string required',
    whenUnsatisfiable: 'UnsatisfiableConstraintAction required',
    labelSelector: '*meta.LabelSelector',
    minDomains: '*int32',
    nodeAffinityPolicy: '*NodeInclusionPolicy',
    nodeTaintsPolicy: '*NodeInclusionPolicy',
    matchLabelKeys: '[]string list=atomic',
  },
  UnsatisfiableConstraintAction: 'string enum(DoNotSchedule|ScheduleAnyway)',
  NodeInclusionPolicy: 'string enum(Honor|Ignore)',
};
