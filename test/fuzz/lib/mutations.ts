import fc from 'fast-check';
import { DupKeys, Raw, clone, getAt, paths, setAt, type Doc, type Path } from './rawJson.js';

// Mutations of a valid object, as data (so fast-check can generate, replay and print them) and
// the function that applies them. A mutation picks its place either by index into the document's
// paths (anything) or by naming a path where the API server's own checks matter most (metadata's
// typed fields, the spec fields every kind validates).

export type Where = { pick: number } | { at: Path };

export type Mutation =
  | { op: 'retype'; where: Where; value: unknown }
  | { op: 'delete'; where: Where }
  | { op: 'add'; where: Where; key: string; value: unknown }
  | { op: 'huge'; where: Where; chars: number; unit: string }
  | { op: 'deep'; where: Where; depth: number; shape: 'array' | 'object' }
  | { op: 'unicode'; where: Where; text: string }
  | { op: 'number'; where: Where; literal: string }
  | { op: 'dupkey'; where: Where; key: string | null; value: unknown }
  | { op: 'kind'; kind: string; apiVersion: string };

/** Paths the server's checks should guard: every one of them must be type-checked before work. */
export const FOCUS_PATHS: Path[] = [
  ['metadata'],
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'generateName'],
  ['metadata', 'labels'],
  ['metadata', 'labels', 'app'],
  ['metadata', 'annotations'],
  ['metadata', 'finalizers'],
  ['metadata', 'ownerReferences'],
  ['metadata', 'managedFields'],
  ['metadata', 'resourceVersion'],
  ['metadata', 'uid'],
  ['metadata', 'generation'],
  ['metadata', 'creationTimestamp'],
  ['metadata', 'deletionTimestamp'],
  ['metadata', 'deletionGracePeriodSeconds'],
  ['spec'],
  ['spec', 'containers'],
  ['spec', 'containers', 0],
  ['spec', 'containers', 0, 'ports'],
  ['spec', 'containers', 0, 'resources'],
  ['spec', 'replicas'],
  ['spec', 'selector'],
  ['spec', 'template'],
  ['spec', 'ports'],
  ['spec', 'ports', 0, 'port'],
  ['spec', 'rules'],
  ['spec', 'taints'],
  ['status'],
  ['data'],
  ['stringData'],
  ['subsets'],
  ['endpoints'],
  ['involvedObject'],
  ['kind'],
  ['apiVersion'],
  [],
];

const KINDS = ['Pod', 'Deployment', 'Service', 'ConfigMap', 'Secret', 'Namespace', 'Node', 'Ingress', 'EndpointSlice', 'Lease', 'Event', 'ReplicaSet', 'Status', 'List', 'DeleteOptions', 'Scale', 'PodList', 'Foo', '', 'pod'];
const API_VERSIONS = ['v1', 'apps/v1', 'networking.k8s.io/v1', 'discovery.k8s.io/v1', 'coordination.k8s.io/v1', 'meta.k8s.io/v1', 'v2', 'apps/v1beta1', 'extensions/v1beta1', '', '/', 'a/b/c', 'v1 '];

export const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', '$patch', '$retainKeys', '$setElementOrder/containers', '$deleteFromPrimitiveList/finalizers', 'metadata', 'spec', 'status', 'kind', 'apiVersion', 'name', 'items', '', ' ', 'a.b', 'a/b', '~1', '\u0000', '😀', 'x'.repeat(300)),
  fc.string({ maxLength: 12 }),
);

/** A smallish JSON value of any type (what a value is swapped for). */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant({}),
  fc.constant([]),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(hostileKey, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  // An own "__proto__" key, as JSON.parse makes it (an object literal would set the prototype).
  fc.constant(JSON.parse('{"__proto__":{"polluted":"yes"}}') as unknown),
);

const NUMBER_LITERALS = ['1e309', '-1e309', '9223372036854775808', '-9223372036854775809', '2147483648', '-2147483649', '4294967296', '-1', '0.5', '-0', '1e-400', '1.0', '123456789012345678901234567890', '0x10', '1_000'];

const where: fc.Arbitrary<Where> = fc.oneof({ arbitrary: fc.nat().map((pick) => ({ pick })), weight: 3 }, { arbitrary: fc.constantFrom(...FOCUS_PATHS).map((at) => ({ at })), weight: 2 });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('retype' as const), where, value: anyValue }), weight: 5 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), where }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('add' as const), where, key: hostileKey, value: anyValue }), weight: 3 },
  {
    // Sizes straddle the 3 MiB request limit; the unit decides how many bytes one char costs.
    arbitrary: fc.record({ op: fc.constant('huge' as const), where, chars: fc.constantFrom(4096, 65_536, 1 << 20, 2 << 20, 2_900_000, 3_300_000), unit: fc.constantFrom('x', 'é', '😀', '\u0000', '"', '\ud800', 'a,b=c') }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('deep' as const), where, depth: fc.constantFrom(50, 1000, 10_000, 100_000), shape: fc.constantFrom('array' as const, 'object' as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('unicode' as const),
      where,
      text: fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('\u202e', '\ufeff', 'ǅ', 'İ', '\u0000', 'a\nb', '..', '.', 'fz-0/..', '%2e%2e', 'Ωmega', '😀', '\ud800')),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('number' as const), where, literal: fc.oneof(fc.constantFrom(...NUMBER_LITERALS), fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String)) }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('dupkey' as const), where, key: fc.option(hostileKey, { nil: null }), value: anyValue }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('kind' as const), kind: fc.constantFrom(...KINDS), apiVersion: fc.constantFrom(...API_VERSIONS) }), weight: 1 },
);

/** Only wrong-type swaps, mostly at the typed fields every kind has (issue 7, item 3). */
export const retypeMutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constant('retype' as const),
  where: fc.oneof({ arbitrary: fc.constantFrom(...FOCUS_PATHS).map((at): Where => ({ at })), weight: 3 }, { arbitrary: fc.nat().map((pick): Where => ({ pick })), weight: 1 }),
  value: anyValue,
});

/** The path a mutation acts on, in the document as it is when the mutation applies. */
export function place(doc: Doc, w: Where): Path {
  if ('at' in w) return w.at;
  const all = paths(doc);
  return all[w.pick % all.length]!;
}

/** Chars of `unit` whose JSON text is about `chars` bytes. */
function hugeString(chars: number, unit: string): string {
  const bytes = JSON.stringify(unit).length - 2;
  return unit.repeat(Math.max(1, Math.floor(chars / Math.max(1, bytes))));
}

export function deepText(depth: number, shape: 'array' | 'object'): Raw {
  const text = shape === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return new Raw(text, `${depth}-deep nested ${shape}s`);
}

/** Applies mutations in order to a copy of `doc`; `notes` says what each did, for reproductions. */
export function applyMutations(doc: Doc, ms: Mutation[]): { doc: Doc; notes: string[] } {
  let d = clone(doc);
  const notes: string[] = [];
  for (const m of ms) {
    notes.push(describeMutation(m, d));
    if (m.op === 'kind') {
      if (d && typeof d === 'object' && !Array.isArray(d) && !(d instanceof Raw) && !(d instanceof DupKeys)) {
        d = setAt(setAt(d, ['kind'], m.kind), ['apiVersion'], m.apiVersion);
      }
      continue;
    }
    const p = place(d, m.where);
    switch (m.op) {
      case 'retype':
        d = setAt(d, p, clone(m.value));
        break;
      case 'delete':
        d = p.length ? setAt(d, p, undefined) : {};
        break;
      case 'add': {
        const target = getAt(d, p);
        if (target && typeof target === 'object' && !Array.isArray(target) && !(target instanceof Raw) && !(target instanceof DupKeys)) d = setAt(d, [...p, m.key], clone(m.value));
        else if (Array.isArray(target)) target.push(clone(m.value));
        else d = setAt(d, p, { [m.key]: clone(m.value) });
        break;
      }
      case 'huge':
        d = setAt(d, p, hugeString(m.chars, m.unit));
        break;
      case 'deep':
        d = setAt(d, p, deepText(m.depth, m.shape));
        break;
      case 'unicode':
        d = setAt(d, p, m.text);
        break;
      case 'number':
        d = setAt(d, p, new Raw(m.literal, `number ${m.literal.length > 40 ? `${m.literal.slice(0, 40)}...` : m.literal}`));
        break;
      case 'dupkey': {
        const target = getAt(d, p);
        if (target && typeof target === 'object' && !Array.isArray(target) && !(target instanceof Raw) && !(target instanceof DupKeys)) {
          const entries = Object.entries(target);
          const key = m.key ?? entries[0]?.[0] ?? 'k';
          d = setAt(d, p, new DupKeys([...entries, [key, clone(m.value)]]));
        }
        break;
      }
    }
  }
  return { doc: d, notes };
}

/** A short text of a mutation (on the document as it is before it) for reproductions. */
function describeMutation(m: Mutation, doc: Doc): string {
  if (m.op === 'kind') return `kind=${JSON.stringify(m.kind)} apiVersion=${JSON.stringify(m.apiVersion)}`;
  const p = place(doc, m.where).join('.') || '<root>';
  switch (m.op) {
    case 'retype':
      return `${p} := ${JSON.stringify(m.value)?.slice(0, 80)}`;
    case 'delete':
      return `delete ${p}`;
    case 'add':
      return `${p}[${JSON.stringify(m.key).slice(0, 40)}] := ${JSON.stringify(m.value)?.slice(0, 60)}`;
    case 'huge':
      return `${p} := ${JSON.stringify(m.unit)}.repeat(~${m.chars} bytes)`;
    case 'deep':
      return `${p} := ${m.depth}-deep ${m.shape}`;
    case 'unicode':
      return `${p} := ${JSON.stringify(m.text)}`;
    case 'number':
      return `${p} := ${m.literal.slice(0, 40)}`;
    case 'dupkey':
      return `${p}: duplicate key ${JSON.stringify(m.key)}`;
  }
}
