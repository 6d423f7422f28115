import { place, type Mutation } from './mutations.js';
import { DupKeys, Raw, clone, getAt, setAt, type Doc, type Path } from './rawJson.js';

// Whether a list of mutations only swaps values of a valid object for values of another JSON type
// (a string where a map is, a number where a string is...). Kubernetes decodes bodies into typed Go
// structs, so such a body is refused with 400 before any work; an API server that answers 2xx
// stored or would store an object typed clients cannot decode (issue 7, item 3).

/** Fields that legitimately take a number or a string (IntOrString, resource.Quantity). */
const NUMBER_OR_STRING = new Set(['targetPort', 'maxSurge', 'maxUnavailable']);
const QUANTITY_MAPS = new Set(['requests', 'limits', 'capacity', 'allocatable', 'hard', 'used']);

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * A description of the wrong-type values when every mutation swaps a value for another, and the
 * final document holds, at some place the valid one had a value, a value of another JSON type;
 * else undefined. (Judged on the final document: a later swap may undo or replace an earlier one.)
 */
export function wrongTypeSwaps(seed: Doc, ms: Mutation[]): string[] | undefined {
  if (!ms.length || ms.some((m) => m.op !== 'retype')) return undefined;
  let d = clone(seed);
  const swapped: Path[] = [];
  for (const m of ms) {
    if (m.op !== 'retype') return undefined;
    const p = place(d, m.where);
    swapped.push(p);
    d = setAt(d, p, clone(m.value));
  }
  const out: string[] = [];
  for (const p of swapped) {
    const before = getAt(seed, p);
    const after = getAt(d, p);
    if (before === undefined || before === null || after === undefined || after === null) continue;
    if (before instanceof Raw || before instanceof DupKeys || after instanceof Raw || after instanceof DupKeys) continue;
    const from = jsonType(before);
    const to = jsonType(after);
    if (from === to) continue;
    const leaf = p[p.length - 1];
    const parent = p[p.length - 2];
    const numberOrString = (from === 'number' || from === 'string') && (to === 'number' || to === 'string');
    if (numberOrString && ((typeof leaf === 'string' && NUMBER_OR_STRING.has(leaf)) || (typeof parent === 'string' && QUANTITY_MAPS.has(parent)))) continue;
    const what = `${p.join('.') || '<root>'}: ${from} -> ${to}`;
    if (!out.includes(what)) out.push(what);
  }
  return out.length ? out : undefined;
}
