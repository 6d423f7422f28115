import type { KubeObject } from '../types.js';

// Field selectors (`metadata.name=web,status.phase!=Failed`). Each resource supports a fixed set
// of fields, as in kube-apiserver; an unsupported one is a 400 that names it.

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

type Getter = (obj: KubeObject) => string | undefined;

const common: Record<string, Getter> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

const str = (v: unknown): string | undefined => (v === undefined || v === null ? '' : String(v));

const perResource: Record<string, Record<string, Getter>> = {
  pods: {
    'spec.nodeName': (o) => str(o.spec?.nodeName),
    'spec.restartPolicy': (o) => str(o.spec?.restartPolicy),
    'spec.schedulerName': (o) => str(o.spec?.schedulerName),
    'spec.serviceAccountName': (o) => str(o.spec?.serviceAccountName),
    'spec.hostNetwork': (o) => String(Boolean(o.spec?.hostNetwork)),
    'status.phase': (o) => str(o.status?.phase),
    'status.podIP': (o) => str(o.status?.podIP),
    'status.nominatedNodeName': (o) => str(o.status?.nominatedNodeName),
  },
  events: {
    'involvedObject.kind': (o) => str((o.involvedObject as Record<string, unknown>)?.kind),
    'involvedObject.namespace': (o) => str((o.involvedObject as Record<string, unknown>)?.namespace),
    'involvedObject.name': (o) => str((o.involvedObject as Record<string, unknown>)?.name),
    'involvedObject.uid': (o) => str((o.involvedObject as Record<string, unknown>)?.uid),
    'involvedObject.apiVersion': (o) => str((o.involvedObject as Record<string, unknown>)?.apiVersion),
    'involvedObject.resourceVersion': (o) => str((o.involvedObject as Record<string, unknown>)?.resourceVersion),
    'involvedObject.fieldPath': (o) => str((o.involvedObject as Record<string, unknown>)?.fieldPath),
    reason: (o) => str(o.reason),
    reportingComponent: (o) => str(o.reportingComponent),
    source: (o) => str((o.source as Record<string, unknown>)?.component),
    type: (o) => str(o.type),
  },
  nodes: { 'spec.unschedulable': (o) => String(Boolean(o.spec?.unschedulable)) },
  namespaces: { 'status.phase': (o) => str(o.status?.phase) },
  secrets: { type: (o) => str(o.type) },
  'replicasets.apps': { 'status.replicas': (o) => str(o.status?.replicas ?? 0) },
};

/**
 * Where each resource's selectable fields come from (every path the getters above read), for
 * selectableView. A test checks that every getter reads the same on the view as on the object.
 */
const SOURCE_PATHS: Record<string, string[][]> = {
  pods: [
    ['spec', 'nodeName'],
    ['spec', 'restartPolicy'],
    ['spec', 'schedulerName'],
    ['spec', 'serviceAccountName'],
    ['spec', 'hostNetwork'],
    ['status', 'phase'],
    ['status', 'podIP'],
    ['status', 'nominatedNodeName'],
  ],
  events: [['involvedObject'], ['reason'], ['reportingComponent'], ['source'], ['type']],
  nodes: [['spec', 'unschedulable']],
  namespaces: [['status', 'phase']],
  secrets: [['type']],
  'replicasets.apps': [['status', 'replicas']],
};

/**
 * The part of an object that label and field selectors can see: name, namespace, labels and the
 * resource's selectable fields (values shared with `obj`, which must not be modified). Matching
 * it gives the same answer as matching the object, at a fraction of the memory (the watch
 * history keeps one per change for the object's previous state).
 */
export function selectableView(resourceKey: string, obj: KubeObject): KubeObject {
  const m = obj.metadata;
  const view: KubeObject = { metadata: { name: m.name } };
  if (m.namespace !== undefined) view.metadata.namespace = m.namespace;
  if (m.labels !== undefined) view.metadata.labels = m.labels;
  for (const path of SOURCE_PATHS[resourceKey] ?? []) {
    let src: unknown = obj;
    let dst = view as Record<string, unknown>;
    for (let i = 0; i < path.length && src !== null && typeof src === 'object'; i++) {
      const k = path[i]!;
      if (!(k in src)) break;
      const v = (src as Record<string, unknown>)[k];
      if (i === path.length - 1 || v === null || typeof v !== 'object') {
        dst[k] = v;
        break;
      }
      dst = (dst[k] ??= {}) as Record<string, unknown>;
      src = v;
    }
  }
  return view;
}

export class FieldSelectorError extends Error {}

export function parseFieldSelector(text: string, resourceKey: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new FieldSelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    const field = m[1]!.trim();
    if (!common[field] && !perResource[resourceKey]?.[field]) {
      throw new FieldSelectorError(`field label not supported: ${field}`);
    }
    reqs.push({ field, op: m[2] === '!=' ? '!=' : '=', value: m[3]! });
  }
  return reqs;
}

/** The fields a resource supports in selectors (metadata.name and metadata.namespace included). */
export function supportedFields(resourceKey: string): string[] {
  return [...Object.keys(common), ...Object.keys(perResource[resourceKey] ?? {})];
}

/** A field's value as selectors compare it ('' when absent). */
export function fieldValue(resourceKey: string, field: string, obj: KubeObject): string {
  const getter = common[field] ?? perResource[resourceKey]?.[field];
  return getter ? (getter(obj) ?? '') : '';
}

export function matchesFields(reqs: FieldRequirement[], resourceKey: string, obj: KubeObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(resourceKey, r.field, obj);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
