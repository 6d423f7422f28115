// The Docker labels every Flotilla component writes and reads: the cluster manager on networks,
// node containers and their volumes; the kubelet on pod sandboxes, containers and volumes. Labels,
// not names, are the source of truth (adoption, removal and cluster deletion find objects by them),
// so there is exactly one list, shared by both writers and by everything that looks objects up.

export const DOCKER_LABEL = {
  /** Every object: the cluster's name. */
  cluster: 'flotilla.dev/cluster',
  /** Network, node containers, node volumes: a hash of the control plane's CA (cluster/identity.ts). */
  clusterId: 'flotilla.dev/cluster-id',
  /** Network, node containers, node volumes: the control plane's data folder. */
  dataDir: 'flotilla.dev/data-dir',
  node: 'flotilla.dev/node',
  /** `node` or `pod`. */
  role: 'flotilla.dev/role',
  namespace: 'flotilla.dev/namespace',
  pod: 'flotilla.dev/pod',
  podUid: 'flotilla.dev/pod-uid',
  container: 'flotilla.dev/container',
  /** sandbox | init | app */
  containerKind: 'flotilla.dev/container-kind',
  /** Restart attempt of this container name within the pod: 0 for the first run. */
  attempt: 'flotilla.dev/attempt',
  specHash: 'flotilla.dev/spec-hash',
  /** The Docker id of the sandbox a container joined (absent on sandboxes). */
  sandboxId: 'flotilla.dev/sandbox-id',
  /** The pod volume a Docker volume holds. */
  volume: 'flotilla.dev/volume',
  /** terminationMessagePath, so a re-adopted container's message can still be read. */
  terminationMessagePath: 'flotilla.dev/termination-message-path',
  // Node containers only: what the node was created with (env is baked in, so are these).
  capacityCpu: 'flotilla.dev/capacity-cpu',
  capacityMemory: 'flotilla.dev/capacity-memory',
  capacityPods: 'flotilla.dev/capacity-pods',
  nodeIP: 'flotilla.dev/node-ip',
  /** The cluster network only: the port node containers dial (baked into their environment). */
  apiPort: 'flotilla.dev/api-port',
} as const;
