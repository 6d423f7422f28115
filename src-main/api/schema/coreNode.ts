import type { TypeDefs } from './dsl.js';

// core/v1 (k8s.io/api/core/v1, Kubernetes 1.32): Node.
export const coreNodeTypes: TypeDefs = {
  Node: {
    $doc: 'A machine (here: a Docker container) that runs pods.',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'NodeSpec',
    status: 'NodeStatus',
  },
  NodeSpec: {
    podCIDR: 'string',
    podCIDRs: '[]string list=set patch=merge',
    providerID: 'string',
    unschedulable: 'bool',
    taints: '[]Taint list=atomic',
    configSource: '*NodeConfigSource',
    externalID: 'string',
  },
  Taint: {
    key: 'string required',
    value: 'string',
    effect: 'TaintEffect required',
    timeAdded: '*meta.Time',
  },
  NodeConfigSource: {
    configMap: '*ConfigMapNodeConfigSource',
  },
  ConfigMapNodeConfigSource: {
    namespace: 'string required',
    name: 'string required',
    uid: 'types.UID',
    resourceVersion: 'string',
    kubeletConfigKey: 'string required',
  },
  NodeStatus: {
    capacity: 'ResourceList',
    allocatable: 'ResourceList',
    phase: 'NodePhase',
    conditions: '[]NodeCondition list=map keys=type patch=merge mergeKey=type',
    addresses: '[]NodeAddress list=map keys=type patch=merge mergeKey=type',
    daemonEndpoints: 'NodeDaemonEndpoints',
    nodeInfo: 'NodeSystemInfo',
    images: '[]ContainerImage list=atomic',
    volumesInUse: '[]UniqueVolumeName list=atomic',
    volumesAttached: '[]AttachedVolume list=atomic',
    config: '*NodeConfigStatus',
    runtimeHandlers: '[]NodeRuntimeHandler list=atomic',
    features: '*NodeFeatures',
  },
  NodePhase: 'string enum(Pending|Running|Terminated)',
  NodeCondition: {
    type: 'NodeConditionType required',
    status: 'ConditionStatus required',
    lastHeartbeatTime: 'meta.Time',
    lastTransitionTime: 'meta.Time',
    reason: 'string',
    message: 'string',
  },
  NodeConditionType: 'string',
  NodeAddress: {
    type: 'NodeAddressType required',
    address: 'string required',
  },
  NodeAddressType: 'string',
  NodeDaemonEndpoints: {
    kubeletEndpoint: 'DaemonEndpoint',
  },
  DaemonEndpoint: {
    Port: 'int32 required',
  },
  NodeSystemInfo: {
    machineID: 'string required',
    systemUUID: 'string required',
    bootID: 'string required',
    kernelVersion: 'string required',
    osImage: 'string required',
    containerRuntimeVersion: 'string required',
    kubeletVersion: 'string required',
    kubeProxyVersion: 'string required',
    operatingSystem: 'string required',
    architecture: 'string required',
  },
  ContainerImage: {
    names: '[]string noomit list=atomic',
    sizeBytes: 'int64',
  },
  UniqueVolumeName: 'string',
  AttachedVolume: {
    name: 'UniqueVolumeName required',
    devicePath: 'string required',
  },
  NodeConfigStatus: {
    assigned: '*NodeConfigSource',
    active: '*NodeConfigSource',
    lastKnownGood: '*NodeConfigSource',
    error: 'string',
  },
  NodeRuntimeHandler: {
    name: 'string noomit',
    features: '*NodeRuntimeHandlerFeatures',
  },
  NodeRuntimeHandlerFeatures: {
    recursiveReadOnlyMounts: '*bool',
    userNamespaces: '*bool',
  },
  NodeFeatures: {
    supplementalGroupsPolicy: '*bool',
  },
  NodeList: {
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ListMeta',
    items: '[]Node required',
  },
};
