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

/**
 * A cheap key that identifies a path (FieldSet's member key): the elements joined by NUL, with
 * backslashes and NULs inside elements escaped so that distinct paths never share a key.
 */
export function pathKey(p: Path): string {
  let k = '';
  for (let i = 0; i < p.length; i++) {
    const el = escapeElement(p[i]!);
    k = i === 0 ? el : `${k}\u0000${el}`;
  }
  return k;
}

function escapeElement(el: string): string {
  return el.includes('\\') || el.includes('\u0000') ? el.replaceAll('\\', '\\\\').replaceAll('\u0000', '\\0') : el;
}

/** The pathKey of a child path from its parent's (undefined for the root, the empty path). */
function childKey(parentKey: string | undefined, el: string): string {
  return parentKey === undefined ? escapeElement(el) : `${parentKey}\u0000${escapeElement(el)}`;
}

export class FieldSet {
  private members = new Map<string, Path>();

  constructor(paths: Iterable<Path> = []) {
    for (const p of paths) this.add(p);
  }

  private static ofMembers(members: Map<string, Path>): FieldSet {
    const set = new FieldSet();
    set.members = members;
    return set;
  }

  static fromFieldsV1(fields: unknown): FieldSet {
    const set = new FieldSet();
    const walk = (node: unknown, prefix: Path, key: string | undefined) => {
      if (!isObject(node)) return;
      for (const k in node) {
        if (!Object.prototype.hasOwnProperty.call(node, k)) continue;
        const child = node[k];
        if (k === '.') {
          if (key !== undefined) set.members.set(key, prefix);
        } else if (isObject(child) && isEmptyObject(child)) set.members.set(childKey(key, k), [...prefix, k]);
        else walk(child, [...prefix, k], childKey(key, k));
      }
    };
    walk(fields, [], undefined);
    return set;
  }

  add(p: Path): void {
    if (p.length > 0) this.members.set(pathKey(p), p);
  }
  /** add() for a path whose pathKey the caller already has. */
  addMember(key: string, p: Path): void {
    if (p.length > 0) this.members.set(key, p);
  }
  has(p: Path): boolean {
    return this.members.has(pathKey(p));
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
    const m = new Map(this.members);
    for (const [k, p] of o.members) if (!m.has(k)) m.set(k, p);
    return FieldSet.ofMembers(m);
  }
  difference(o: FieldSet): FieldSet {
    const m = new Map<string, Path>();
    for (const [k, p] of this.members) if (!o.members.has(k)) m.set(k, p);
    return FieldSet.ofMembers(m);
  }
  intersection(o: FieldSet): FieldSet {
    const m = new Map<string, Path>();
    for (const [k, p] of this.members) if (o.members.has(k)) m.set(k, p);
    return FieldSet.ofMembers(m);
  }
  /** Whether the two sets share a member. */
  intersects(o: FieldSet): boolean {
    const [small, big] = this.members.size <= o.members.size ? [this.members, o.members] : [o.members, this.members];
    for (const k of small.keys()) if (big.has(k)) return true;
    return false;
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

function isEmptyObject(o: JsonObject): boolean {
  for (const k in o) if (Object.prototype.hasOwnProperty.call(o, k)) return false;
  return true;
}

/** A member path found in an object with its value there, keyed by pathKey (see membersOf). */
export interface Member extends Field {
  key: string;
  value: unknown;
}

/**
 * fieldsOf's members, each with its value, keyed by pathKey: what comparing two objects needs,
 * without looking each path up again in both.
 */
export function membersOf(value: unknown, schema: Schema | undefined): Map<string, Member> {
  const out = new Map<string, Member>();
  const add = (path: Path, key: string | undefined, leaf: boolean, v: unknown) => {
    if (key !== undefined) out.set(key, { path, key, leaf, value: v });
  };
  const walk = (v: unknown, s: Schema | undefined, path: Path, key: string | undefined) => {
    if (isObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0) add(path, key, true, v);
      for (const k of keys) walk(v[k], fieldSchema(s, k), [...path, `f:${k}`], childKey(key, `f:${k}`));
    } else if (Array.isArray(v)) {
      const items = listItemElements(v, s);
      if (!items || v.length === 0) {
        add(path, key, true, v);
        return;
      }
      v.forEach((item, i) => {
        const el = items[i]!;
        const p = [...path, el];
        const pk = childKey(key, el);
        if (isObject(item)) {
          add(p, pk, false, item);
          for (const k of Object.keys(item)) walk(item[k], fieldSchema(s?.items, k), [...p, `f:${k}`], childKey(pk, `f:${k}`));
        } else {
          add(p, pk, true, item);
        }
      });
    } else {
      add(path, key, true, v);
    }
  };
  walk(value, schema, [], undefined);
  return out;
}

/** A FieldSet of the given members (keyed by pathKey, as membersOf keys them). */
export function fieldSetOf(members: Iterable<Member>): FieldSet {
  const set = new FieldSet();
  for (const m of members) set.addMember(m.key, m.path);
  return set;
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
