import type { KubeObject } from '../../api/types.js';

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

export function matchesFields(reqs: FieldRequirement[], resourceKey: string, obj: KubeObject): boolean {
  for (const r of reqs) {
    const getter = common[r.field] ?? perResource[resourceKey]?.[r.field];
    const v = getter ? (getter(obj) ?? '') : '';
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}
