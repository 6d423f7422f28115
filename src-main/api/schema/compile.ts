import type { PackageDef, StructDef } from './dsl.js';

// Compiles the schema language (dsl.ts) once, at load time, into linked type nodes: structs hold a
// Map from JSON name to field, so the decoder does one lookup per key it reads.

/** What a value decodes as. Numbers rather than strings: the decoder switches on them per value. */
export const K = {
  String: 0,
  Int32: 1,
  Int64: 2,
  Bool: 3,
  Float64: 4,
  /** []byte: a base64 string in JSON. */
  Bytes: 5,
  Quantity: 6,
  IntOrString: 7,
  Time: 8,
  MicroTime: 9,
  /** JSON kept as is (metav1.FieldsV1, runtime.RawExtension). */
  Raw: 10,
  Struct: 11,
  Map: 12,
  Slice: 13,
  /** interface{}: any JSON (the value of a JSON patch operation). */
  Any: 14,
} as const;
export type Kind = (typeof K)[keyof typeof K];

export interface TypeNode {
  kind: Kind;
  /** The type as Go's reflect prints it, as decode errors name it: `[]v1.Container`, `v1.Protocol`. */
  go: string;
  /** Named types: the package and name they are declared with. */
  pkg?: PackageDef;
  name?: string;
  /** Slice and map element. */
  elem?: TypeNode;
  struct?: StructType;
  /** Values of a `+enum` string type. */
  enum?: string[];
}

export interface StructType {
  /** Go struct name (what `Go struct field <Name>.<path>` prints). */
  name: string;
  fields: Map<string, Field>;
  /** Fields in declaration order, inlined structs' fields included where they are embedded. */
  list: Field[];
  mapType?: 'atomic' | 'granular';
  union?: boolean;
  doc?: string;
  /** Qualified names of the structs embedded inline (`meta.TypeMeta` marks a kind). */
  embeds: string[];
}

export interface Field {
  json: string;
  /** The struct the field is decoded in (for an inlined field, the struct that embeds it). */
  owner: string;
  type: TypeNode;
  /** Declared as a pointer (*T): null clears it, and OpenAPI gives it no default. */
  pointer: boolean;
  required: boolean;
  /** Go's omitempty: a zero value ("", 0, false, empty list or map) is not kept. */
  omitempty: boolean;
  listType?: string;
  listMapKeys?: string[];
  patchStrategy?: string;
  patchMergeKey?: string;
  mapType?: string;
  default?: unknown;
  discriminator?: boolean;
}

const SPECIAL: Record<string, Kind> = {
  '@quantity': K.Quantity,
  '@intOrString': K.IntOrString,
  '@time': K.Time,
  '@microTime': K.MicroTime,
  '@raw': K.Raw,
  '@any': K.Any,
};

const BUILTIN: Record<string, TypeNode> = {
  string: { kind: K.String, go: 'string' },
  bool: { kind: K.Bool, go: 'bool' },
  int32: { kind: K.Int32, go: 'int32' },
  int64: { kind: K.Int64, go: 'int64' },
  int: { kind: K.Int64, go: 'int' },
  float64: { kind: K.Float64, go: 'float64' },
};

export interface Compiled {
  packages: Map<string, PackageDef>;
  /** Every named type, keyed `pkg.Name`. */
  named: Map<string, TypeNode>;
  lookup(qualified: string): TypeNode;
}

export function compile(packages: PackageDef[]): Compiled {
  const byName = new Map(packages.map((p) => [p.name, p]));
  const named = new Map<string, TypeNode>();
  const anon = new Map<string, TypeNode>();

  // Pass 1: a node per named type, so that fields can point at types declared later (or at themselves).
  for (const p of packages) {
    for (const [name, def] of Object.entries(p.types)) {
      const node: TypeNode = { kind: K.Struct, go: `${p.goPackage}.${name}`, pkg: p, name };
      if (typeof def !== 'string') node.struct = { name, fields: new Map(), list: [], embeds: [] };
      named.set(`${p.name}.${name}`, node);
    }
  }

  function resolveNamed(ref: string, from: PackageDef): TypeNode {
    const q = ref.includes('.') ? ref : `${from.name}.${ref}`;
    const n = named.get(q);
    if (!n) throw new Error(`schema: unknown type ${q} (used in ${from.name})`);
    return n;
  }

  /** Parses a type expression; the result is shared by every use of the same expression. */
  function parseType(expr: string, from: PackageDef): { node: TypeNode; pointer: boolean } {
    if (expr.startsWith('*')) return { node: parseType(expr.slice(1), from).node, pointer: true };
    if (expr === '[]byte') return { node: { kind: K.Bytes, go: '[]uint8' }, pointer: false };
    const builtin = BUILTIN[expr];
    if (builtin) return { node: builtin, pointer: false };
    if (expr.startsWith('[]') || expr.startsWith('map[')) {
      const isMap = expr.startsWith('map[');
      const close = isMap ? expr.indexOf(']') : 1;
      const keyExpr = isMap ? expr.slice(4, close) : '';
      const elem = parseType(expr.slice(close + 1), from).node;
      const key = isMap ? parseType(keyExpr, from).node : undefined;
      const go = isMap ? `map[${key!.go}]${elem.go}` : `[]${elem.go}`;
      let node = anon.get(go);
      if (!node) {
        node = { kind: isMap ? K.Map : K.Slice, go, elem };
        anon.set(go, node);
      }
      return { node, pointer: false };
    }
    return { node: resolveNamed(expr, from), pointer: false };
  }

  function parseField(json: string, spec: string, from: PackageDef, owner: string): Field {
    const [typeExpr, ...opts] = spec.split(' ');
    const { node, pointer } = parseType(typeExpr!, from);
    const f: Field = { json, owner, type: node, pointer, required: false, omitempty: true };
    for (const o of opts) {
      const eq = o.indexOf('=');
      const key = eq < 0 ? o : o.slice(0, eq);
      const val = eq < 0 ? '' : o.slice(eq + 1);
      switch (key) {
        case 'required': f.required = true; f.omitempty = false; break;
        case 'noomit': f.omitempty = false; break;
        case 'list': f.listType = val; break;
        case 'keys': f.listMapKeys = val.split(','); break;
        case 'patch': f.patchStrategy = val; break;
        case 'mergeKey': f.patchMergeKey = val; break;
        case 'map': f.mapType = val; break;
        case 'default': f.default = JSON.parse(val); break;
        case 'discriminator': f.discriminator = true; break;
        default: throw new Error(`schema: unknown option ${o} of ${from.name} field ${json}`);
      }
    }
    return f;
  }

  function structFields(def: StructDef, from: PackageDef, into: StructType, seen: Set<string>): void {
    // Inlined structs come first: every Flotilla type embeds them before its own fields.
    for (const ref of def.$inline ? def.$inline.split(' ') : []) {
      const target = resolveNamed(ref, from);
      into.embeds.push(`${target.pkg!.name}.${target.name}`);
      const tdef = target.pkg!.types[target.name!];
      if (typeof tdef === 'string') throw new Error(`schema: $inline ${ref} is not a struct`);
      structFields(tdef, target.pkg!, into, seen);
    }
    for (const [key, spec] of Object.entries(def)) {
      if (key.startsWith('$')) continue;
      if (seen.has(key)) throw new Error(`schema: ${from.name}.${into.name} declares ${key} twice`);
      seen.add(key);
      const f = parseField(key, spec as string, from, into.name);
      into.fields.set(key, f);
      into.list.push(f);
    }
  }

  // Pass 2: named non-struct types take the kind of what they are declared as (resolved on demand,
  // since one may be declared in terms of another), then structs get their fields.
  const done = new Set<TypeNode>();
  function finishNamed(node: TypeNode): void {
    if (done.has(node) || node.struct) return;
    done.add(node);
    const def = node.pkg!.types[node.name!] as string;
    const special = SPECIAL[def];
    if (special !== undefined) {
      node.kind = special;
      return;
    }
    const m = /^(\S+)(?: enum\((.*)\))?$/.exec(def);
    if (!m) throw new Error(`schema: cannot read ${node.pkg!.name}.${node.name}: ${def}`);
    const under = parseType(m[1]!, node.pkg!).node;
    if (under.name) finishNamed(under);
    node.kind = under.kind;
    node.elem = under.elem;
    if (m[2] !== undefined) node.enum = m[2].split('|');
  }
  for (const node of named.values()) finishNamed(node);
  for (const node of named.values()) {
    if (!node.struct) continue;
    const def = node.pkg!.types[node.name!] as StructDef;
    const st = node.struct;
    if (def.$map) st.mapType = def.$map;
    if (def.$union) st.union = true;
    if (def.$doc) st.doc = def.$doc;
    structFields(def, node.pkg!, st, new Set());
  }

  return {
    packages: byName,
    named,
    lookup(q: string): TypeNode {
      const n = named.get(q);
      if (!n) throw new Error(`schema: unknown type ${q}`);
      return n;
    },
  };
}
