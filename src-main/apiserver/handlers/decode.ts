import type { KubeObject } from '../../api/types.js';
import { apiVersionOf, type ResourceDef } from '../../api/resources.js';
import { ApiError, errors } from '../status.js';
import { K, compile, type TypeNode } from '../../api/schema/compile.js';
import { registeredKind, internalPackageOf } from '../../api/schema/index.js';
import { readJSON, decodeJSON, decodeValue, interpretTypeMeta, yamlToValue, YamlError, type ReadJSON, type GoDecoded } from '../../api/schema/decode/index.js';
import { walk } from '../../api/schema/decode/walk.js';
import { setOwn } from '../../api/ownProps.js';
import { goSprintValue } from '../../api/schema/decode/goFormat.js';
import { goQuote } from '../../api/validation/goRender.js';
import { decodeK8sProtobuf, ProtobufDecodeError } from '../protobuf/index.js';

// Request bodies decoded as kube-apiserver decodes them into its Go structs before doing any work
// (staging/src/k8s.io/apiserver/pkg/endpoints/handlers: create.go, update.go, patch.go, delete.go,
// rest.go): a wrong JSON type is a 400 naming the Go field, undeclared fields never survive, and
// `fieldValidation` decides what undeclared or repeated fields do: Strict refuses them, Warn (the
// default) reports each as a `Warning: 299 - "<text>"` header, Ignore drops them silently.

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface Decoded<T> {
  obj: T;
  /** Texts for `Warning: 299 - "<text>"` response headers (Warn only). */
  warnings: string[];
}

type Verb = 'create' | 'update' | 'patch';
const OPTIONS_KIND: Record<Verb, string> = { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions' };

/** A 422 Invalid Status for a request option (kube's NewInvalid on meta.k8s.io/<Kind>Options). */
function invalidOptions(kind: string, field: string, message: string): ApiError {
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${kind}.meta.k8s.io "" is invalid: ${field}: ${message}`,
    reason: 'Invalid',
    details: { group: 'meta.k8s.io', kind, causes: [{ reason: 'FieldValueNotSupported', message, field }] },
    code: 422,
  });
}

/**
 * The `fieldValidation` query parameter (Warn when absent or empty, kube's default). Another value
 * is a 422 for the verb's options kind (validation.ValidateFieldValidation):
 * `CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "x": supported values: "", "Ignore", "Strict", "Warn"`.
 */
export function fieldValidationOf(q: URLSearchParams, verb: Verb = 'create'): FieldValidation {
  const v = q.get('fieldValidation') ?? '';
  if (v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw invalidOptions(OPTIONS_KIND[verb], 'fieldValidation', `Unsupported value: ${goQuote(v)}: supported values: "", "Ignore", "Strict", "Warn"`);
}

// ---- kube's error texts ----

const SCHEME = 'pkg/api/legacyscheme/scheme.go:30';

interface GVK {
  group: string;
  version: string;
  kind: string;
}

const gvString = (g: GVK): string => (g.group ? `${g.group}/${g.version}` : g.version);

/** summarizeData(body, 30): the start of the body, as text when it is a JSON object, else in hex. */
function summarize(body: Buffer | undefined): string {
  if (!body || body.length === 0) return '<empty>';
  const head = body.subarray(0, 30);
  const more = body.length > 30 ? ' ...' : '';
  return body[0] === 0x7b ? `${head.toString('utf8')}${more}` : `${head.toString('hex')}${more}`;
}

/** transformDecodeError without a kind: the body could not even be read. */
function unrecognized(target: GVK, err: string, body: Buffer | undefined): ApiError {
  return errors.badRequest(`the object provided is unrecognized (must be of type ${target.kind}): ${err} (${summarize(body)})`);
}

/** transformDecodeError with the body's kind: `Pod in version "v1" cannot be handled as a Pod: <err>`. */
function cannotHandle(actual: GVK, target: GVK, err: string): ApiError {
  return errors.badRequest(`${actual.kind} in version "${actual.version}" cannot be handled as a ${target.kind}: ${err}`);
}

/** The YAML strict error as go-yaml words it, and as addStrictDecodingWarnings splits it. */
const YAML_STRICT_PREFIX = 'yaml: unmarshal errors:\n  ';

function strictTexts(yamlStrict: string[], jsonStrict: string[]): { errors: string[]; warnings: string[] } {
  const errs = yamlStrict.length ? [`${YAML_STRICT_PREFIX}${yamlStrict.join('\n  ')}`, ...jsonStrict] : jsonStrict;
  return { errors: errs, warnings: [...yamlStrict, ...jsonStrict] };
}

// ---- reading a body ----

type Source = { json: ReadJSON; body: Buffer } | { value: unknown; body?: Buffer; yamlStrict: string[] };

/** Reads the body's bytes by content type; `fail` words a failure as kube does on the caller's path. */
function readBody(raw: Buffer | unknown, contentType: string, fail: (err: string, body?: Buffer) => ApiError): Source {
  if (!Buffer.isBuffer(raw)) return { value: raw, yamlStrict: [] };
  if (contentType === 'application/vnd.kubernetes.protobuf') {
    try {
      return { value: decodeK8sProtobuf(raw), body: raw, yamlStrict: [] };
    } catch (e) {
      if (e instanceof ProtobufDecodeError) throw errors.unsupportedMediaTypeFor(e.message);
      throw e;
    }
  }
  if (contentType === 'application/yaml') {
    try {
      const y = yamlToValue(raw.toString('utf8'));
      return { value: y.value, body: raw, yamlStrict: y.strict };
    } catch (e) {
      if (e instanceof YamlError) throw fail(e.message, raw);
      throw e;
    }
  }
  // An absent Content-Type is the first supported one, JSON (negotiation.NegotiateInputSerializer).
  if (contentType === 'application/json' || contentType === '') {
    const r = readJSON(raw);
    if ('syntaxError' in r) throw fail(`couldn't get version/kind; json parse error: ${r.syntaxError}`, raw);
    return { json: r, body: raw };
  }
  throw errors.unsupportedMediaType(contentType);
}

function parseGroupVersion(apiVersion: string): { group: string; version: string } | { error: string } {
  if (apiVersion === '' || apiVersion === '/') return { group: '', version: '' };
  const parts = apiVersion.split('/');
  if (parts.length === 1) return { group: '', version: apiVersion };
  if (parts.length === 2) return { group: parts[0]!, version: parts[1]! };
  return { error: `unexpected GroupVersion string: ${apiVersion}` };
}

interface Typed {
  actual: GVK;
  type: TypeNode;
  decoded: GoDecoded;
  yamlStrict: string[];
}

/**
 * The json/yaml serializer's Decode: reads apiVersion/kind (defaulted from the URL's), finds the
 * registered type, decodes into it. Errors are returned as texts for the caller to wrap.
 */
function decodeTyped(
  raw: Buffer | unknown,
  contentType: string,
  target: GVK,
  strict: boolean,
  fail: { unrecognized: (err: string, body?: Buffer) => ApiError; cannotHandle: (actual: GVK, err: string) => ApiError },
): Typed {
  const src = readBody(raw, contentType, fail.unrecognized);
  const value = 'json' in src ? src.json.value : src.value;
  const tm = interpretTypeMeta(value);
  if ('error' in tm) throw fail.unrecognized(`couldn't get version/kind; json parse error: ${tm.error}`, src.body);
  const gv = parseGroupVersion(tm.apiVersion);
  if ('error' in gv) throw fail.unrecognized(gv.error, src.body);
  // gvkWithDefaults: the URL's kind and group-version fill what the body leaves out.
  const actual: GVK = { group: gv.group, version: gv.version, kind: tm.kind || target.kind };
  if (!actual.version && !actual.group) {
    actual.group = target.group;
    actual.version = target.version;
  }
  if (!actual.version && actual.group === target.group) actual.version = target.version;
  if (!actual.version) throw fail.cannotHandle(actual, `Object 'apiVersion' is missing in '${src.body?.toString('utf8') ?? JSON.stringify(value)}'`);
  const type = registeredKind(actual.group, actual.version, actual.kind);
  if (!type) throw fail.cannotHandle(actual, `no kind "${actual.kind}" is registered for version "${gvString(actual)}" in scheme "${SCHEME}"`);
  const decoded = 'json' in src ? decodeJSON(src.json, type, strict) : decodeValue(value, type, strict);
  return { actual, type, decoded, yamlStrict: 'yamlStrict' in src ? src.yamlStrict : [] };
}

/** Decodes a body for `target` (the URL's kind) the way create.go and update.go do. */
function decodeFor(raw: Buffer | unknown, contentType: string, target: GVK, apiVersion: string, mode: FieldValidation): Decoded<KubeObject> {
  const fail = {
    unrecognized: (err: string, body?: Buffer) => unrecognized(target, err, body),
    cannotHandle: (actual: GVK, err: string) => cannotHandle(actual, target, err),
  };
  const { actual, type, decoded, yamlStrict } = decodeTyped(raw, contentType, target, mode !== 'Ignore', fail);
  if (decoded.error !== undefined) throw fail.cannotHandle(actual, decoded.error);
  // A registered kind other than the URL's decodes, then has no conversion to the URL's type.
  if (actual.kind !== target.kind || actual.group !== target.group) {
    throw fail.cannotHandle(actual, `converting (${type.go}) to (${internalPackageOf(target.group)}.${target.kind}): unknown conversion`);
  }
  let warnings: string[] = [];
  if (mode !== 'Ignore') {
    const s = strictTexts(yamlStrict, decoded.strict);
    if (s.errors.length && mode === 'Strict') throw fail.cannotHandle(actual, `strict decoding error: ${s.errors.join(', ')}`);
    warnings = s.warnings;
  }
  return { obj: withTypeMeta(decoded.value, apiVersion, target.kind) as KubeObject, warnings };
}

/** The stored object carries the URL's apiVersion and kind (kube re-encodes from the hub type). */
function withTypeMeta(value: unknown, apiVersion: string, kind: string): Record<string, unknown> {
  const o = value as Record<string, unknown>;
  if (o.apiVersion === apiVersion && o.kind === kind) return o;
  const out: Record<string, unknown> = { apiVersion, kind };
  for (const k in o) if (k !== 'apiVersion' && k !== 'kind') setOwn(out, k, o[k]);
  return out;
}

function targetOf(r: ResourceDef): GVK {
  return { group: r.group, version: r.version, kind: r.kind };
}

/**
 * POST and PUT bodies of a resource (and its status subresource): JSON, YAML, or an object already
 * decoded from protobuf. Returns the object as kube would store it, with warnings for Warn.
 */
export function decodeObject(raw: Buffer | unknown, contentType: string, r: ResourceDef, mode: FieldValidation): Decoded<KubeObject> {
  return decodeFor(raw, contentType, targetOf(r), apiVersionOf(r), mode);
}

const SUBRESOURCE_KINDS: Record<string, GVK> = {
  Scale: { group: 'autoscaling', version: 'v1', kind: 'Scale' },
  Binding: { group: '', version: 'v1', kind: 'Binding' },
  Eviction: { group: 'policy', version: 'v1', kind: 'Eviction' },
  TokenRequest: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
};

/**
 * Bodies of subresources and options: 'Scale' (autoscaling/v1), 'Binding' (v1), 'Eviction'
 * (policy/v1; policy/v1beta1 also accepted), 'TokenRequest' (authentication.k8s.io/v1), 'DeleteOptions'. DeleteOptions are read as delete.go
 * reads them: without strictness, and a body that does not decode is kube's 500 (the decoder's
 * error is not turned into a Status there).
 */
export function decodeAs<T>(raw: Buffer | unknown, contentType: string, kind: 'Scale' | 'Binding' | 'Eviction' | 'TokenRequest' | 'DeleteOptions', mode: FieldValidation): Decoded<T> {
  if (kind === 'DeleteOptions') return decodeDeleteOptions(raw, contentType) as Decoded<T>;
  const target = SUBRESOURCE_KINDS[kind]!;
  return decodeFor(raw, contentType, target, gvString(target), mode) as unknown as Decoded<T>;
}

/**
 * kube's delete handler passes a DeleteOptions decode failure through unwrapped (a 500); a body
 * the client got wrong is its mistake, so Flotilla answers the same text as a 400.
 */
function internalError(message: string): ApiError {
  return errors.badRequest(message);
}

function decodeDeleteOptions(raw: Buffer | unknown, contentType: string): Decoded<Record<string, unknown>> {
  if (Buffer.isBuffer(raw) && raw.length === 0) return { obj: {}, warnings: [] };
  const target: GVK = { group: 'meta.k8s.io', version: 'v1', kind: 'DeleteOptions' };
  const fail = {
    unrecognized: (err: string) => internalError(err),
    cannotHandle: (_actual: GVK, err: string) => internalError(err),
  };
  const { actual, decoded } = decodeTyped(raw, contentType || 'application/json', target, false, fail);
  if (decoded.error !== undefined) throw internalError(decoded.error);
  if (actual.kind !== 'DeleteOptions') throw internalError('decoded object cannot be converted to DeleteOptions');
  const obj = { ...(decoded.value as Record<string, unknown>) };
  delete obj.apiVersion;
  delete obj.kind;
  return { obj, warnings: [] };
}

// ---- PATCH ----

// The Go types kube decodes patch bodies into before applying them (patch.go).
const PATCH_TYPES = compile([
  {
    name: 'handlers',
    goPackage: 'handlers',
    openapi: '',
    types: { jsonPatchOp: { op: 'string required', path: 'string required', from: 'string required', value: 'Value required' }, Value: '@any' },
  },
]);
const ANY = PATCH_TYPES.lookup('handlers.Value');
const JSON_PATCH_OPS: TypeNode = { kind: K.Slice, go: '[]handlers.jsonPatchOp', elem: PATCH_TYPES.lookup('handlers.jsonPatchOp') };
const PATCH_MAP: TypeNode = { kind: K.Map, go: 'map[string]interface {}', elem: ANY };

export interface PatchBody {
  /** The patch document, parsed. */
  patch: unknown;
  /** Strict findings in the patch itself (repeated keys; unknown fields of JSON patch operations). */
  strict: string[];
}

const JSON_PATCH = 'application/json-patch+json';
const MERGE_PATCH = 'application/merge-patch+json';
const STRATEGIC_PATCH = 'application/strategic-merge-patch+json';
const APPLY_PATCH = 'application/apply-patch+yaml';

/**
 * Reads a PATCH body before it is applied, as patch.go does for the patch type: JSON patch and
 * merge patch bodies are decoded strictly (Strict/Warn) into []jsonPatchOp / map[string]interface{},
 * a strategic merge patch always into map[string]interface{}. Returns the parsed patch and the
 * strict findings to hand to decodePatched. Apply (SSA) bodies are YAML: see applyStrictCheck.
 */
export function decodePatchBody(raw: Buffer, patchType: string, mode: FieldValidation): PatchBody {
  const strict = mode !== 'Ignore';
  if (patchType === APPLY_PATCH) {
    try {
      return { patch: yamlToValue(raw.toString('utf8')).value, strict: [] };
    } catch (e) {
      if (e instanceof YamlError) throw errors.badRequest(`error decoding YAML: error converting YAML to JSON: ${e.message}`);
      throw e;
    }
  }
  const read = readJSON(raw);
  const root = patchType === JSON_PATCH ? JSON_PATCH_OPS : PATCH_MAP;
  // Strict/Warn decode JSON and merge patches first, with "error decoding patch: " on failure.
  const prefix = strict && (patchType === JSON_PATCH || patchType === MERGE_PATCH) ? 'error decoding patch: ' : '';
  if ('syntaxError' in read) {
    if (patchType === MERGE_PATCH && !strict) throw errors.badRequest('Invalid JSON Patch');
    throw errors.badRequest(`${prefix}${read.syntaxError}`);
  }
  if (patchType === JSON_PATCH && !strict) {
    if (!Array.isArray(read.value)) throw errors.badRequest(`json: cannot unmarshal ${kindOf(read.value)} into Go value of type jsonpatch.Patch`);
    return { patch: read.value, strict: [] };
  }
  if (patchType === MERGE_PATCH && !strict) return { patch: read.value, strict: [] };
  const value = read.value;
  const d = decodeJSON(read, root, strict);
  if (d.error !== undefined) throw errors.badRequest(`${prefix}${d.error}`);
  const found = patchType === JSON_PATCH ? d.strict.map((s) => `json patch ${s}`) : d.strict;
  // The decoded copy drops nothing a patch engine needs; hand back the parsed document itself.
  return { patch: patchType === JSON_PATCH ? value : d.value, strict: strict ? found : [] };
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

/** NewInvalid(schema.GroupKind{}, "", patch: Invalid value: <value>: <detail>): kubectl prints "The request is invalid: ...". */
function invalidPatch(value: string, detail: string): ApiError {
  const message = `Invalid value: ${goQuote(value)}: ${detail}`;
  return new ApiError({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: ` "" is invalid: patch: ${message}`,
    reason: 'Invalid',
    details: { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] },
    code: 422,
  });
}

/** JSON as Go's json.Marshal of a map prints it: keys sorted (how the patched document is shown). */
function sortedJSON(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(sortedJSON).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${sortedJSON(o[k])}`)
    .join(',')}}`;
}

/**
 * The patched object, decoded as patch.go decodes it for the patch type:
 *   JSON and merge patches: the patched JSON through the (strict) decoder; an error is a 422
 *     ` "" is invalid: patch: Invalid value: "<patched JSON>": <error>`;
 *   strategic merge: the patched map through the unstructured converter; errors name the patch
 *     (`Invalid value: "map[spec:map[x:1]]"`), unknown fields come sorted.
 * Strict findings of the patch body come first. Strict: 422 `strict decoding error: ...`; Warn:
 * warnings. The result is the object to store, normalised as a Go round trip leaves it.
 */
export function decodePatched(patched: unknown, r: ResourceDef | 'Scale', mode: FieldValidation, patchType: string, body: PatchBody): Decoded<KubeObject> {
  // A patch of the scale subresource patches (and decodes) an autoscaling/v1 Scale.
  const target = r === 'Scale' ? SUBRESOURCE_KINDS.Scale! : targetOf(r);
  const type = registeredKind(target.group, target.version, target.kind)!;
  const strict = mode !== 'Ignore';
  const smp = patchType === STRATEGIC_PATCH;
  // Shown in errors: Go prints the patch map (SMP) or the patched JSON, before decoding changes it.
  const shown = (): string => (smp ? goSprintValue(body.patch) : sortedJSON(patched));
  const shownText = mode === 'Strict' || !smp ? shown() : '';
  const res = walk(patched, type, strict, smp);
  if (res.error !== undefined) throw invalidPatch(shownText || shown(), res.error);
  let warnings: string[] = [];
  if (strict) {
    const all = [...body.strict, ...res.unknown];
    if (all.length && mode === 'Strict') throw invalidPatch(shownText, `strict decoding error: ${all.join(', ')}`);
    warnings = all;
  }
  return { obj: withTypeMeta(res.value, gvString(target), target.kind) as KubeObject, warnings };
}

/**
 * Server-side apply (patch.go applyPatcher): after the apply, Strict/Warn re-read the body with
 * go-yaml's strict mode; a repeated key is a 400 `error strict decoding YAML: ...` (Strict) or a
 * warning per key (Warn). Returns the warnings.
 */
export function applyStrictCheck(raw: Buffer, mode: FieldValidation): string[] {
  if (mode === 'Ignore') return [];
  const { strict } = yamlToValue(raw.toString('utf8'));
  if (!strict.length) return [];
  if (mode === 'Strict') throw errors.badRequest(`error strict decoding YAML: error converting YAML to JSON: ${YAML_STRICT_PREFIX}${strict.join('\n  ')}`);
  return strict;
}

/**
 * Server-side apply turns the applied configuration into a typed value of the kind's schema
 * (structured-merge-diff's ObjectToTyped), where a field the type does not declare is an error
 * whatever fieldValidation says: `failed to create typed patch object (apps/v1, Kind=Deployment):
 * .spec.foo: field not declared in schema`. kube answers that unwrapped (500); it is the client's
 * mistake, so Flotilla answers 400 with the same text.
 */
export function checkApplyConfiguration(applied: unknown, r: ResourceDef): void {
  const type = registeredKind(r.group, r.version, r.kind)!;
  const res = walk(structuredClone(applied), type, true, false);
  const gvk = `${r.group}/${r.version}, Kind=${r.kind}`;
  if (res.error !== undefined) throw errors.badRequest(`failed to create typed patch object (${gvk}): ${res.error}`);
  if (!res.unknown.length) return;
  const problems = res.unknown.map((u) => `.${/^unknown field "(.*)"$/.exec(u)?.[1] ?? u}: field not declared in schema`);
  throw errors.badRequest(`failed to create typed patch object (${gvk}): ${problems.length === 1 ? problems[0] : `errors:\n  ${problems.join('\n  ')}`}`);
}

/** kube's warning recorder limits: 4096 runes of warnings in all, then 256 runes each. */
const WARNINGS_TOTAL_RUNES = 4 * 1024;
const WARNING_ITEM_RUNES = 256;

/**
 * The `Warning` response header values for warning texts, as kube-apiserver's warning recorder
 * writes them (filters/warning.go): `299 - "<text>"` with `"` and backslash escaped, repeats
 * dropped, texts with control characters left out; once 4096 runes are exceeded, every warning is
 * cut to 256 runes and later ones are dropped when the total is reached again.
 */
export function warningHeaders(texts: string[]): string[] {
  const runes = (t: string): number => [...t].length;
  const cut = (t: string): string => (runes(t) > WARNING_ITEM_RUNES ? [...t].slice(0, WARNING_ITEM_RUNES).join('') : t);
  const header = (t: string): string | undefined => (/\p{Cc}/u.test(t) ? undefined : `299 - "${t.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  const recorded = new Set<string>();
  const ordered: string[] = [];
  let out: string[] = [];
  let written = 0;
  let truncating = false;
  for (const text of texts) {
    if (!text || (truncating && written >= WARNINGS_TOTAL_RUNES) || recorded.has(text)) continue;
    recorded.add(text);
    ordered.push(text);
    const t = truncating ? cut(text) : text;
    const h = header(t);
    if (h === undefined) continue;
    if (written + runes(t) <= WARNINGS_TOTAL_RUNES || truncating) {
      written += runes(t);
      out.push(h);
      continue;
    }
    truncating = true;
    written = 0;
    out = [];
    for (const w of ordered) {
      const hw = header(cut(w));
      if (hw === undefined) continue;
      written += runes(cut(w));
      out.push(hw);
    }
  }
  return out;
}
