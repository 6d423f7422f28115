// How lists merge, per field path, for the resources Flotilla serves. This is the hand-written
// equivalent of the `patchStrategy`/`patchMergeKey` (strategic merge patch) and
// `listType`/`listMapKey` (server-side apply) tags in k8s.io/api. Only lists need an entry:
// maps always merge key by key, and a list with no entry is atomic (replaced as a whole), which is
// also what Kubernetes does for every untagged list (command, args, tolerations, taints, envFrom…).
//
// Both engines use the same table, so a list keyed by `name` in a patch is also tracked as
// `k:{"name":…}` in managedFields. (Kubernetes uses compound SSA keys for a few lists, e.g.
// container ports are `containerPort`+`protocol`; we use the single SMP key everywhere so that an
// applied port without a defaulted `protocol` still matches the live one.)

/** Schema of one value: its known struct fields and, when it is a list, how the list merges. */
export interface Schema {
  fields?: Record<string, Schema>;
  /** Absent: atomic list. `map`: items are objects merged by `key`. `set`: primitives, union. */
  list?: { type: 'map'; key: string } | { type: 'set' };
  /** Schema of the items of a `map` list. */
  items?: Schema;
}

const struct = (fields: Record<string, Schema>): Schema => ({ fields });
const keyed = (key: string, items: Schema = {}): Schema => ({ list: { type: 'map', key }, items });
const set: Schema = { list: { type: 'set' } };

// ---- shared building blocks ----

export const objectMeta = struct({ ownerReferences: keyed('uid'), finalizers: set });

const conditions = keyed('type');
const withConditions = struct({ conditions });

const container = struct({
  ports: keyed('containerPort'),
  env: keyed('name'),
  volumeMounts: keyed('mountPath'),
  volumeDevices: keyed('devicePath'),
});

export const podSpec = struct({
  containers: keyed('name', container),
  initContainers: keyed('name', container),
  ephemeralContainers: keyed('name', container),
  volumes: keyed('name'),
  imagePullSecrets: keyed('name'),
  hostAliases: keyed('ip'),
  topologySpreadConstraints: keyed('topologyKey'),
  resourceClaims: keyed('name'),
  schedulingGates: keyed('name'),
});

const podStatus = struct({
  conditions,
  podIPs: keyed('ip'),
  hostIPs: keyed('ip'),
  resourceClaimStatuses: keyed('name'),
});

const podTemplateSpec = struct({ metadata: objectMeta, spec: podSpec });

/** Root schema of a workload whose pod template lives at spec.template. */
const workload = struct({
  metadata: objectMeta,
  spec: struct({ template: podTemplateSpec }),
  status: withConditions,
});

// ---- per resource (plural, as in the URL; the group suffix is ignored for lookup) ----

const resources: Record<string, Schema> = {
  pods: struct({ metadata: objectMeta, spec: podSpec, status: podStatus }),
  podtemplates: struct({ metadata: objectMeta, template: podTemplateSpec }),
  replicationcontrollers: workload,
  deployments: workload,
  replicasets: workload,
  statefulsets: workload,
  daemonsets: workload,
  jobs: workload,
  cronjobs: struct({
    metadata: objectMeta,
    spec: struct({ jobTemplate: struct({ metadata: objectMeta, spec: struct({ template: podTemplateSpec }) }) }),
  }),
  services: struct({ metadata: objectMeta, spec: struct({ ports: keyed('port') }), status: withConditions }),
  // spec.taints has no patch strategy in k8s.io/api, so it stays atomic.
  nodes: struct({
    metadata: objectMeta,
    spec: struct({ podCIDRs: set }),
    status: struct({ conditions, addresses: keyed('type') }),
  }),
  namespaces: struct({ metadata: objectMeta, status: withConditions }),
  serviceaccounts: struct({ metadata: objectMeta, secrets: keyed('name') }),
  persistentvolumeclaims: struct({ metadata: objectMeta, status: withConditions }),
};

const kindToResource: Record<string, string> = {
  Pod: 'pods',
  PodTemplate: 'podtemplates',
  ReplicationController: 'replicationcontrollers',
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Service: 'services',
  Node: 'nodes',
  Namespace: 'namespaces',
  ServiceAccount: 'serviceaccounts',
  PersistentVolumeClaim: 'persistentvolumeclaims',
};

const generic = struct({ metadata: objectMeta });

/**
 * Root schema for a resource key such as `pods`, `deployments.apps` or `pods/status`.
 * Unknown resources still get ObjectMeta's rules (ownerReferences, finalizers).
 */
export function schemaForResource(resourceKey: string): Schema {
  const plural = resourceKey.split('/')[0].split('.')[0].toLowerCase();
  return resources[plural] ?? generic;
}

/** Root schema for an object kind (used when only the object is known). */
export function schemaForKind(kind: unknown): Schema {
  const plural = typeof kind === 'string' ? kindToResource[kind] : undefined;
  return (plural && resources[plural]) || generic;
}

/** Schema of field `name` of a value described by `s` (undefined: nothing known). */
export function fieldSchema(s: Schema | undefined, name: string): Schema | undefined {
  return s?.fields?.[name];
}
