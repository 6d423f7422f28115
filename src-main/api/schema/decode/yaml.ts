import yaml from 'js-yaml';

// YAML request bodies, read as kube-apiserver reads them (sigs.k8s.io/yaml over go-yaml v2, which
// follows YAML 1.1): `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0644` is octal, `1_000` is an
// integer, and a timestamp stays a string. The first document is used. A repeated key is what
// go-yaml's strict mode reports (`line 4: key "name" already set in map`); the value is then read
// with the last occurrence winning, as the non-strict conversion does.

/** go-yaml v2's resolution of plain scalars to booleans. */
const TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

const goBool = new yaml.Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string) => TRUE.has(s) || FALSE.has(s),
  construct: (s: string) => TRUE.has(s),
});

const INT_BASE0 = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;

/** strconv.ParseInt(s, 0, 64) after go-yaml removes underscores; then its float form. */
function goNumber(s: string): number | undefined {
  const plain = s.replace(/_/g, '');
  if (INT_BASE0.test(plain)) {
    const neg = plain.startsWith('-');
    const body = plain.replace(/^[-+]/, '');
    let n: number;
    if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
    else if (/^0[oO]/.test(body)) n = parseInt(body.slice(2), 8);
    else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
    else if (body.length > 1 && body.startsWith('0')) n = parseInt(body.slice(1), 8);
    else n = Number(body);
    return neg ? -n : n;
  }
  if (FLOAT.test(plain)) return Number(plain);
  return undefined;
}

const goNum = new yaml.Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string) => goNumber(s) !== undefined || /^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/.test(s),
  construct: (s: string) => {
    const n = goNumber(s);
    if (n !== undefined) return n;
    if (/nan|NaN|NAN/.test(s)) return NaN;
    return s.startsWith('-') ? -Infinity : Infinity;
  },
});

// js-yaml's own null and merge (`<<`) types; its typings do not declare the `types` export.
const builtinTypes = (yaml as unknown as { types: Record<'null' | 'merge', yaml.Type> }).types;
const GO_YAML_SCHEMA = yaml.FAILSAFE_SCHEMA.extend({ implicit: [builtinTypes.null, goBool, goNum, builtinTypes.merge] });

export class YamlError extends Error {}

/** How deep a YAML value may nest (the API server's JSON bound, src-main/apiserver/http.ts MAX_DEPTH). */
const MAX_DEPTH = 1000;
/** Nodes a value may expand to through aliases ("billion laughs"): far beyond any 3 MiB body. */
const MAX_NODES = 1_000_000;

/**
 * js-yaml shares an aliased node rather than copying it, so a small document can stand for an
 * exponentially large value that every later walk or JSON.stringify would expand. go-yaml refuses
 * such documents ("excessive aliasing"); so does this, by walking the value iteratively with a
 * node budget and a depth bound.
 */
function checkShape(value: unknown): void {
  const stack: Array<[unknown, number]> = [[value, 1]];
  let nodes = 0;
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (++nodes > MAX_NODES) throw new YamlError('yaml: document contains excessive aliasing');
    if (d > MAX_DEPTH) throw new YamlError(`yaml: exceeded max depth of ${MAX_DEPTH}`);
    if (v && typeof v === 'object') for (const c of Object.values(v)) if (c && typeof c === 'object') stack.push([c, d + 1]);
  }
}

export interface YamlResult {
  value: unknown;
  /** go-yaml strict errors, as `line N: key "k" already set in map`. */
  strict: string[];
}

/** The mapping key written at `pos` (where js-yaml reports a duplicated key). */
function keyAt(text: string, pos: number): string {
  const rest = text.slice(pos);
  const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
  if (quoted) {
    try {
      return JSON.parse(`"${quoted[1]}"`) as string;
    } catch {
      return quoted[1]!; // a YAML-only escape: shown as written
    }
  }
  const single = /^'((?:[^']|'')*)'/.exec(rest);
  if (single) return single[1]!.replace(/''/g, "'");
  return (/^([^\n]*?)\s*:(?:\s|$)/.exec(rest)?.[1] ?? '').trim();
}

function load(text: string, json: boolean): unknown {
  let first: unknown = null;
  let seen = false;
  yaml.loadAll(
    text,
    (doc) => {
      if (!seen) first = doc;
      seen = true;
    },
    { schema: GO_YAML_SCHEMA, json },
  );
  return first;
}

/** Converts a YAML body to a JSON value; throws YamlError with a `yaml: line N: ...` message. */
export function yamlToValue(text: string): YamlResult {
  const strict: string[] = [];
  try {
    const value = load(text, false);
    checkShape(value);
    return { value, strict };
  } catch (e) {
    if (e instanceof YamlError) throw e;
    if (e instanceof yaml.YAMLException && e.reason === 'duplicated mapping key') {
      strict.push(`line ${e.mark.line + 1}: key ${JSON.stringify(keyAt(text, e.mark.position))} already set in map`);
    } else if (e instanceof RangeError) {
      throw new YamlError('yaml: exceeded max depth of 10000');
    } else if (e instanceof yaml.YAMLException) {
      throw new YamlError(`yaml: line ${(e.mark?.line ?? 0) + 1}: ${e.reason}`);
    } else throw e;
  }
  try {
    const value = load(text, true);
    checkShape(value);
    return { value, strict };
  } catch (e) {
    if (e instanceof YamlError) throw e;
    if (e instanceof RangeError) throw new YamlError('yaml: exceeded max depth of 10000');
    if (e instanceof yaml.YAMLException) throw new YamlError(`yaml: line ${(e.mark?.line ?? 0) + 1}: ${e.reason}`);
    throw e;
  }
}
