// Field sets for server-side apply, in Kubernetes' FieldsV1 vocabulary.
//
// A path is a list of elements spelled exactly as FieldsV1 spells them:
//   `f:<name>`  a field of a struct or a key of a map
//   `k:<json>`  the item of a keyed list whose merge key(s) have these values, e.g. k:{"name":"web"}
//   `v:<json>`  the item of a set-like primitive list with this value, e.g. v:"example.com/x"
//   `i:<n>`     a list index (never produced here; accepted when read back)
// A FieldSet holds the paths a manager owns ("members"). Encoded as FieldsV1, a member with no
// children is `{}` and a member that also has children carries a `".": {}` marker, so
// {"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{}}}}} holds two members:
// the container item and its image (f:spec and f:containers are only prefixes).
//
// Members are what `fieldsOf` produces: leaves (scalars, atomic lists, empty maps) and the items
// of keyed/set lists. Maps and structs themselves are never members, which matches the sets kube
// records for Apply (kube's Update entries also mark newly created maps with "."; we don't).

import type { Schema } from './mergeKeys.js';
import { fieldSchema } from './mergeKeys.js';
import { deepEqual, isObject, type JsonObject } from './util.js';

export type Path = string[];

export class FieldSet {
  private readonly members = new Map<string, Path>();

  constructor(paths: Iterable<Path> = []) {
    for (const p of paths) this.add(p);
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, prefix: Path) => {
      if (!isObject(node)) return;
      for (const [k, child] of Object.entries(node)) {
        if (k === '.') set.add(prefix);
        else if (isObject(child) && Object.keys(child).length === 0) set.add([...prefix, k]);
        else walk(child, [...prefix, k]);
      }
    };
    walk(fields, []);
    return set;
  }

  add(p: Path): void {
    if (p.length > 0) this.members.set(JSON.stringify(p), p);
  }
  has(p: Path): boolean {
    return this.members.has(JSON.stringify(p));
  }
  get size(): number {
    return this.members.size;
  }
  paths(): Path[] {
    return [...this.members.values()];
  }

  /** True when `p` or any path below it is a member. */
  coversOrContains(p: Path): boolean {
    for (const m of this.members.values()) if (isPrefix(p, m)) return true;
    return false;
  }

  union(o: FieldSet): FieldSet {
    return new FieldSet([...this.paths(), ...o.paths()]);
  }
  difference(o: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => !o.has(p)));
  }
  intersection(o: FieldSet): FieldSet {
    return new FieldSet(this.paths().filter((p) => o.has(p)));
  }

  /** FieldsV1 JSON with "." first and the other keys sorted, like kube's serializer. */
  toFieldsV1(): JsonObject {
    type Node = { children: Map<string, Node>; member: boolean };
    const root: Node = { children: new Map(), member: false };
    for (const p of this.members.values()) {
      let n = root;
      for (const el of p) {
        let c = n.children.get(el);
        if (!c) n.children.set(el, (c = { children: new Map(), member: false }));
        n = c;
      }
      n.member = true;
    }
    const encode = (n: Node): JsonObject => {
      const out: JsonObject = {};
      if (n.member && n.children.size > 0) out['.'] = {};
      for (const k of [...n.children.keys()].sort()) out[k] = encode(n.children.get(k)!);
      return out;
    };
    return encode(root);
  }
}

export function isPrefix(prefix: Path, p: Path): boolean {
  return prefix.length <= p.length && prefix.every((el, i) => el === p[i]);
}

/** A member path found in an object, and whether it is a leaf (has no member below it). */
export interface Field {
  path: Path;
  leaf: boolean;
}

/** All member paths of `value`, keyed by their JSON. `value` is the object (minus ignored fields). */
export function fieldsOf(value: unknown, schema: Schema | undefined): Map<string, Field> {
  const out = new Map<string, Field>();
  const add = (path: Path, leaf: boolean) => {
    if (path.length > 0) out.set(JSON.stringify(path), { path, leaf });
  };
  const walk = (v: unknown, s: Schema | undefined, path: Path) => {
    if (isObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0) add(path, true);
      for (const k of keys) walk(v[k], fieldSchema(s, k), [...path, `f:${k}`]);
    } else if (Array.isArray(v)) {
      const items = listItemElements(v, s);
      if (!items || v.length === 0) {
        add(path, true);
        return;
      }
      v.forEach((item, i) => {
        const p = [...path, items[i]];
        if (isObject(item)) {
          add(p, false);
          for (const k of Object.keys(item)) walk(item[k], fieldSchema(s?.items, k), [...p, `f:${k}`]);
        } else {
          add(p, true);
        }
      });
    } else {
      add(path, true);
    }
  };
  walk(value, schema, []);
  return out;
}

/**
 * The path element of each item of a keyed (`k:`) or set (`v:`) list, or undefined when the list
 * is atomic, or when an item does not fit (no merge key, duplicates, objects in a set): such a
 * list is then owned as a whole, which is always safe.
 */
export function listItemElements(list: unknown[], s: Schema | undefined): string[] | undefined {
  const kind = s?.list;
  if (!kind) return undefined;
  let els: string[];
  if (kind.type === 'map') {
    if (!list.every((it) => isObject(it) && it[kind.key] !== undefined && it[kind.key] !== null)) return undefined;
    els = list.map((it) => `k:${JSON.stringify({ [kind.key]: (it as JsonObject)[kind.key] })}`);
  } else {
    if (!list.every((it) => it === null || typeof it !== 'object')) return undefined;
    els = list.map((it) => `v:${JSON.stringify(it)}`);
  }
  return new Set(els).size === els.length ? els : undefined;
}

/** Index of the item of `list` that a `k:`/`v:`/`i:` element designates, or -1. */
function itemIndex(list: unknown[], el: string): number {
  const body = el.slice(2);
  if (el.startsWith('i:')) {
    const i = Number(body);
    return Number.isInteger(i) && i >= 0 && i < list.length ? i : -1;
  }
  let want: unknown;
  try {
    want = JSON.parse(body);
  } catch {
    return -1;
  }
  if (el.startsWith('v:')) return list.findIndex((it) => deepEqual(it, want));
  if (el.startsWith('k:') && isObject(want)) {
    const w = want;
    return list.findIndex((it) => isObject(it) && Object.keys(w).every((k) => deepEqual(it[k], w[k])));
  }
  return -1;
}

/** The value at `path`, or undefined when it is absent. */
export function getAt(root: unknown, path: Path): unknown {
  let cur = root;
  for (const el of path) {
    if (el.startsWith('f:')) {
      if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, el.slice(2))) return undefined;
      cur = cur[el.slice(2)];
    } else {
      if (!Array.isArray(cur)) return undefined;
      const i = itemIndex(cur, el);
      if (i < 0) return undefined;
      cur = cur[i];
    }
  }
  return cur;
}

/** Removes the value at `path` from `root` (mutating it). Returns whether something was removed. */
export function removeAt(root: unknown, path: Path): boolean {
  if (path.length === 0) return false;
  const parent = getAt(root, path.slice(0, -1));
  const last = path[path.length - 1];
  if (last.startsWith('f:')) {
    if (!isObject(parent) || !(last.slice(2) in parent)) return false;
    delete parent[last.slice(2)];
    return true;
  }
  if (!Array.isArray(parent)) return false;
  const i = itemIndex(parent, last);
  if (i < 0) return false;
  parent.splice(i, 1);
  return true;
}

/** A path as kube prints it in conflict messages: .spec.containers[name="web"].image */
export function formatPath(path: Path): string {
  return path
    .map((el) => {
      const body = el.slice(2);
      if (el.startsWith('f:')) return `.${body}`;
      if (el.startsWith('v:')) return `[=${body}]`;
      if (el.startsWith('i:')) return `[${body}]`;
      if (el.startsWith('k:')) {
        try {
          const keys = JSON.parse(body) as JsonObject;
          return `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
        } catch {
          return `[${body}]`;
        }
      }
      return el;
    })
    .join('');
}
