import { K, type Field, type TypeNode } from './compile.js';
import { definitionName } from './index.js';

// OpenAPI definitions of the schema, shaped as kube-openapi generates them for kube-apiserver 1.32,
// because kubectl reads them: `kubectl explain` prints them, and client-side `kubectl apply` builds
// its strategic merge patch from the x-kubernetes-patch-* and list extensions of the v3 document.
//   - a struct is {type: object, properties, required}; struct types are $refs (wrapped in
//     allOf in v3 when the property has anything beside the reference);
//   - a value struct field gets `default: {}`, a non-omitempty scalar its zero value, list
//     items and map values likewise (kube-openapi's mustEnforceDefault), plus `+default` values;
//   - Quantity and IntOrString are oneOf string/number and integer/string in v3, strings in v2.

export type OpenAPIVersion = 2 | 3;
export type JSONSchema = Record<string, unknown>;

const SPECIAL_DOCS: Record<number, string> = {
  [K.Quantity]: "A fixed-point number with an optional SI or binary suffix (e.g. 500m, 1.5, 128Mi, 2Gi); stored in canonical form.",
  [K.IntOrString]: 'Either an integer or a string (e.g. a port number or a port name, a count or a percentage).',
  [K.Time]: 'A timestamp in RFC 3339 form, to the second, in UTC (e.g. 2024-05-01T10:00:00Z).',
  [K.MicroTime]: 'A timestamp in RFC 3339 form with microseconds, in UTC (e.g. 2024-05-01T10:00:00.000000Z).',
};

function refTo(name: string, v: OpenAPIVersion): string {
  return v === 3 ? `#/components/schemas/${name}` : `#/definitions/${name}`;
}

/** Types written as references: named structs and the apimachinery types that decode themselves. */
function isRef(t: TypeNode): boolean {
  if (!t.name) return false;
  return t.kind === K.Struct || t.kind === K.Quantity || t.kind === K.IntOrString || t.kind === K.Time || t.kind === K.MicroTime || t.kind === K.Raw;
}

const SCALARS: Partial<Record<number, JSONSchema>> = {
  [K.String]: { type: 'string' },
  [K.Int32]: { type: 'integer', format: 'int32' },
  [K.Int64]: { type: 'integer', format: 'int64' },
  [K.Bool]: { type: 'boolean' },
  [K.Float64]: { type: 'number', format: 'double' },
  [K.Bytes]: { type: 'string', format: 'byte' },
};

/** kube-openapi's mustEnforceDefault: the default a non-pointer value must have, if any. */
function enforcedDefault(t: TypeNode, omitempty: boolean): unknown {
  switch (t.kind) {
    case K.Struct:
      return {};
    case K.String:
      return omitempty ? undefined : '';
    case K.Int32:
    case K.Int64:
    case K.Float64:
      return omitempty ? undefined : 0;
    case K.Bool:
      return omitempty ? undefined : false;
    default:
      // Pointers, lists, maps, []byte and types with their own UnmarshalJSON: none.
      return undefined;
  }
}

/** The schema of a value of type `t` (a property, a list item, a map value). */
function valueSchema(t: TypeNode, v: OpenAPIVersion, def: unknown): JSONSchema {
  const s: JSONSchema = {};
  if (def !== undefined) s.default = def;
  if (isRef(t)) {
    s.$ref = refTo(definitionName(t), v);
    return s;
  }
  if (t.kind === K.Slice) {
    s.type = 'array';
    s.items = valueSchema(t.elem!, v, enforcedDefault(t.elem!, false));
    return s;
  }
  if (t.kind === K.Map) {
    s.type = 'object';
    s.additionalProperties = valueSchema(t.elem!, v, enforcedDefault(t.elem!, false));
    return s;
  }
  Object.assign(s, SCALARS[t.kind] ?? {});
  if (t.enum) s.enum = t.enum;
  return s;
}

/** OpenAPI 3.0 ignores siblings of $ref: kube-openapi moves the reference into allOf. */
function wrapRef(s: JSONSchema, v: OpenAPIVersion): JSONSchema {
  if (v !== 3 || !s.$ref || Object.keys(s).length === 1) return s;
  const { $ref, ...rest } = s;
  return { allOf: [{ $ref }], ...rest };
}

function wrapDeep(s: JSONSchema, v: OpenAPIVersion): JSONSchema {
  const out = wrapRef(s, v);
  if (out.items) out.items = wrapDeep(out.items as JSONSchema, v);
  if (out.additionalProperties) out.additionalProperties = wrapDeep(out.additionalProperties as JSONSchema, v);
  return out;
}

function fieldSchema(f: Field, v: OpenAPIVersion): JSONSchema {
  const def = f.default !== undefined ? f.default : f.pointer ? undefined : enforcedDefault(f.type, f.omitempty);
  const s = valueSchema(f.type, v, def);
  if (f.listType) s['x-kubernetes-list-type'] = f.listType;
  if (f.listMapKeys) s['x-kubernetes-list-map-keys'] = f.listMapKeys;
  if (f.patchMergeKey) s['x-kubernetes-patch-merge-key'] = f.patchMergeKey;
  if (f.patchStrategy) s['x-kubernetes-patch-strategy'] = f.patchStrategy;
  if (f.mapType) s['x-kubernetes-map-type'] = f.mapType;
  return wrapDeep(s, v);
}

/** The definition of a named type (a struct or one of the special apimachinery types). */
export function definitionOf(t: TypeNode, v: OpenAPIVersion): JSONSchema {
  const doc = SPECIAL_DOCS[t.kind];
  switch (t.kind) {
    case K.Quantity:
      return v === 3 ? { description: doc, oneOf: [{ type: 'string' }, { type: 'number' }] } : { description: doc, type: 'string' };
    case K.IntOrString:
      return v === 3 ? { description: doc, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] } : { description: doc, type: 'string', format: 'int-or-string' };
    case K.Time:
    case K.MicroTime:
      return { description: doc, type: 'string', format: 'date-time' };
    case K.Raw:
      return { type: 'object' };
  }
  const st = t.struct!;
  const out: JSONSchema = {};
  if (st.doc) out.description = st.doc;
  out.type = 'object';
  const properties: Record<string, JSONSchema> = {};
  const required: string[] = [];
  for (const f of st.list) {
    properties[f.json] = fieldSchema(f, v);
    if (f.required) required.push(f.json);
  }
  if (st.list.length) out.properties = properties;
  if (required.length) out.required = required;
  if (st.mapType) out['x-kubernetes-map-type'] = st.mapType;
  if (st.union) {
    const members: Record<string, string> = {};
    let discriminator: string | undefined;
    for (const f of st.list) {
      if (f.discriminator) discriminator = f.json;
      else members[f.json] = f.json[0]!.toUpperCase() + f.json.slice(1);
    }
    out['x-kubernetes-unions'] = [{ ...(discriminator ? { discriminator } : {}), 'fields-to-discriminateBy': members }];
  }
  return out;
}

/** Named types a type refers to, directly or through lists and maps. */
export function referencedTypes(t: TypeNode): TypeNode[] {
  const out: TypeNode[] = [];
  const visit = (n: TypeNode): void => {
    if (isRef(n)) out.push(n);
    else if (n.elem) visit(n.elem);
  };
  if (t.struct) for (const f of t.struct.list) visit(f.type);
  return out;
}

/** Every definition reachable from `roots`, keyed by definition name. */
export function reachableDefinitions(roots: TypeNode[]): Map<string, TypeNode> {
  const seen = new Map<string, TypeNode>();
  const stack = roots.filter(isRef);
  while (stack.length) {
    const t = stack.pop()!;
    const name = definitionName(t);
    if (seen.has(name)) continue;
    seen.set(name, t);
    stack.push(...referencedTypes(t));
  }
  return seen;
}
