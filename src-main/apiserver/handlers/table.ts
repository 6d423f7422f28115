import type { KubeObject, Table, TableRow } from '../../api/types.js';
import type { ResourceDef } from '../../api/resources.js';
import { printerFor } from '../printers/index.js';
import { errors } from '../status.js';

// Server-side printing for `kubectl get`: when the Accept header asks for `as=Table`, lists,
// single objects and watch events are converted to meta.k8s.io/v1 Tables.

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && accept.split(',').some((p) => /as=Table/.test(p) && /g=meta\.k8s\.io/.test(p));
}

export function parseIncludeObject(v: string | null): IncludeObject {
  if (!v) return 'Metadata';
  if (v === 'None' || v === 'Metadata' || v === 'Object') return v;
  throw errors.badRequest(`includeObject: Unsupported value: "${v}": supported values: "Metadata", "None", "Object"`);
}

function rowObject(obj: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return obj;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function toTable(r: ResourceDef, objs: KubeObject[], include: IncludeObject, meta: Table['metadata'], now = new Date()): Table {
  const printer = printerFor(r.key);
  const rows: TableRow[] = objs.map((obj) => {
    const row: TableRow = { cells: printer.cells(obj, now) };
    const o = rowObject(obj, include);
    if (o !== undefined) row.object = o;
    return row;
  });
  return { kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: meta, columnDefinitions: printer.columns, rows };
}
