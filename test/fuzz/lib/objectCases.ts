import fc from 'fast-check';
import yaml from 'js-yaml';
import { ACCEPTS, CONTENT_TYPES, authArb, dryRunArb, dryRunMeansNoWrite, queryParam, rarely, type FuzzCase, type Tokens } from './common.js';
import { anyValue, applyMutations, hostileKey, mutation, retypeMutation } from './mutations.js';
import { DupKeys, Raw, describe, emit, getAt, type Doc } from './rawJson.js';
import { FUZZ_RESOURCES, collectionPath, seed, seedNames } from './seeds.js';
import { wrongTypeSwaps } from './typeConfusion.js';
import { mayWriteSentinels, refusedVerb } from './sentinelScope.js';

// Requests that carry a (mutated) object: every verb, every patch type, DeleteOptions, dry runs,
// subresources. Each starts from a valid seed of a served kind; the mutations, a text-level
// corruption and the choice of verb and URL are what fast-check varies.

const VERBS = ['POST', 'PUT', 'PATCH-json', 'PATCH-merge', 'PATCH-smp', 'PATCH-apply', 'PATCH-other', 'DELETE', 'DELETE-collection'] as const;
type Verb = (typeof VERBS)[number];

const SUBRESOURCES = ['status', 'scale', 'binding', 'eviction', 'token', 'finalize', 'log', 'exec', 'attach', 'portforward', 'ephemeralcontainers', 'resize', 'proxy', 'foo'];
const KUBELET_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward', 'proxy']);

const PATCH_TYPES: Record<string, string> = {
  'PATCH-json': 'application/json-patch+json',
  'PATCH-merge': 'application/merge-patch+json',
  'PATCH-smp': 'application/strategic-merge-patch+json',
  'PATCH-apply': 'application/apply-patch+yaml',
};

/** Corruptions of the body text after it is written. */
type TextMutation =
  | { t: 'none' }
  | { t: 'truncate'; at: number }
  | { t: 'append'; garbage: string }
  | { t: 'bom' }
  | { t: 'invalid-utf8'; at: number }
  | { t: 'replace'; text: string }
  | { t: 'yaml' }
  | { t: 'yaml-bomb'; levels: number };

const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  { arbitrary: fc.constant({ t: 'none' as const }), weight: 14 },
  { arbitrary: fc.record({ t: fc.constant('truncate' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('append' as const), garbage: fc.constantFrom('}', ',', 'x', '\u0000', '{"a":1}', ' \n ', '\r\n\r\nGET / HTTP/1.1') }), weight: 1 },
  { arbitrary: fc.constant({ t: 'bom' as const }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('invalid-utf8' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant('replace' as const), text: fc.constantFrom('', 'null', '[]', '1', '"str"', '{}', 'true', '[{}]', '{"kind":"Status"}') }), weight: 1 },
  { arbitrary: fc.constant({ t: 'yaml' as const }), weight: 1 },
  // Aliases that multiply: 10^levels leaves from a few hundred bytes of YAML.
  { arbitrary: fc.record({ t: fc.constant('yaml-bomb' as const), levels: fc.constantFrom(4, 6) }), weight: 1 },
);

function yamlBomb(levels: number): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= levels; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
  lines.push('apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: fz-bomb}', `data: {x: "y"}`);
  return `${lines.join('\n')}\n`;
}

function hasRaw(v: Doc): boolean {
  if (v instanceof Raw || v instanceof DupKeys) return true;
  if (Array.isArray(v)) return v.some(hasRaw);
  if (v && typeof v === 'object') return Object.values(v).some(hasRaw);
  return false;
}

function render(doc: Doc, tm: TextMutation): { body: Buffer; desc: string; yamlBody: boolean } {
  const desc = describe(doc);
  if (tm.t === 'yaml-bomb') return { body: Buffer.from(yamlBomb(tm.levels)), desc: `YAML alias bomb, 10^${tm.levels} leaves:\n${yamlBomb(tm.levels)}`, yamlBody: true };
  if (tm.t === 'yaml' && !hasRaw(doc)) return { body: Buffer.from(yaml.dump(doc, { noRefs: true, lineWidth: -1 })), desc: `${desc} (as YAML)`, yamlBody: true };
  const text = emit(doc);
  switch (tm.t) {
    case 'truncate': {
      const n = Math.floor(text.length * tm.at);
      return { body: Buffer.from(text.slice(0, n)), desc: `${desc} (text cut after ${n} of ${text.length} chars)`, yamlBody: false };
    }
    case 'append':
      return { body: Buffer.from(text + tm.garbage), desc: `${desc} followed by ${JSON.stringify(tm.garbage)}`, yamlBody: false };
    case 'bom':
      return { body: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), desc: `UTF-8 BOM + ${desc}`, yamlBody: false };
    case 'invalid-utf8': {
      const b = Buffer.from(text);
      const at = Math.floor(b.length * tm.at);
      return { body: Buffer.concat([b.subarray(0, at), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), b.subarray(at)]), desc: `${desc} with bytes ff fe c0 80 inserted at byte ${at}`, yamlBody: false };
    }
    case 'replace':
      return { body: Buffer.from(tm.text), desc: JSON.stringify(tm.text), yamlBody: false };
    default:
      return { body: Buffer.from(text), desc, yamlBody: false };
  }
}

const POINTERS = [
  '',
  '/',
  '/metadata/labels/x',
  '/metadata/labels',
  '/metadata/annotations/a~1b',
  '/metadata/finalizers/-',
  '/metadata/finalizers/0',
  '/spec/containers/0/image',
  '/spec/containers/-',
  '/spec/containers/999',
  '/spec/replicas',
  '/data/key',
  '/metadata/name',
  '/metadata/namespace',
  '/metadata/resourceVersion',
  '/metadata/uid',
  '/kind',
  '/__proto__/polluted',
  '/constructor/prototype/polluted',
  '/metadata/__proto__/polluted',
  '/a~2b',
  'no-slash',
  '/status/phase',
];

const pointer = fc.oneof(fc.constantFrom(...POINTERS), fc.array(hostileKey, { minLength: 1, maxLength: 3 }).map((ks) => ks.map((k) => `/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('')));

const jsonPatchOp = fc.record(
  {
    op: fc.constantFrom<unknown>('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus', 5, null),
    path: fc.oneof({ arbitrary: pointer, weight: 5 }, { arbitrary: anyValue, weight: 1 }),
    from: pointer,
    value: anyValue,
  },
  { requiredKeys: ['op', 'path'] },
);

const deleteOptions = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  {
    arbitrary: fc.record(
      {
        kind: fc.constantFrom<unknown>('DeleteOptions', 'Pod', '', 5),
        apiVersion: fc.constantFrom<unknown>('v1', 'meta.k8s.io/v1', 'apps/v1', 'bogus/v9', null),
        gracePeriodSeconds: fc.constantFrom<unknown>(0, 1, 30, -1, 1.5, '5', null, new Raw('9223372036854775808', 'number 2^63'), new Raw('1e400', 'number 1e400')),
        propagationPolicy: fc.constantFrom<unknown>('Orphan', 'Background', 'Foreground', '', 'bogus', 5),
        preconditions: fc.record({ uid: fc.constantFrom<unknown>('', 'nope', 5, null), resourceVersion: fc.constantFrom<unknown>('', '1', 'x', 5) }, { requiredKeys: [] }),
        dryRun: fc.constantFrom<unknown>(['All'], 'All', ['Bogus'], [], null, ['All', 'All']),
        orphanDependents: fc.constantFrom<unknown>(true, false, 'yes'),
      },
      { requiredKeys: [] },
    ),
    weight: 4,
  },
  { arbitrary: anyValue, weight: 1 },
);

/** Kubernetes decodes DELETE options from a non-empty body and then ignores the query (see delete.go). */
function deleteNoWrite(body: Buffer | undefined, dryRunQuery: string[], opts: unknown): boolean {
  if (!body || body.length === 0) return dryRunMeansNoWrite(dryRunQuery);
  if (opts && typeof opts === 'object' && !Array.isArray(opts) && 'dryRun' in opts) {
    const d = (opts as { dryRun: unknown }).dryRun;
    // ["All"] is a dry run; a non-array or an unknown value fails decoding or validation.
    return !(d === null || (Array.isArray(d) && d.length === 0));
  }
  return false;
}

export function objectCase(tokens: Tokens): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      res: fc.nat(FUZZ_RESOURCES.length - 1),
      urlRes: rarely(fc.nat(FUZZ_RESOURCES.length - 1), 8),
      name: fc.nat(2),
      fresh: fc.nat(999_999),
      mutations: fc.array(mutation, { minLength: 0, maxLength: 3 }),
      // A quarter of the cases: a plain create or update whose only fault is values of the wrong
      // JSON type (mostly in metadata), which Kubernetes' typed decoding refuses (item 3).
      typed: rarely(fc.record({ put: fc.boolean(), retypes: fc.array(retypeMutation, { minLength: 1, maxLength: 2 }) }), 4),
      text: textMutation,
      verb: fc.constantFrom(...VERBS),
      sub: rarely(fc.constantFrom(...SUBRESOURCES), 4),
      dryRun: dryRunArb,
      params: fc.oneof({ arbitrary: fc.constant<string[]>([]), weight: 3 }, { arbitrary: fc.array(queryParam, { minLength: 1, maxLength: 2 }), weight: 1 }),
      fieldManager: fc.option(fc.constantFrom('fuzz', '', 'x'.repeat(300)), { freq: 8 }),
      force: fc.boolean(),
      deleteOptions,
      ops: fc.array(jsonPatchOp, { maxLength: 4 }),
      opsAsIs: fc.boolean(),
      partial: fc.constantFrom('whole', 'metadata', 'spec', 'labels'),
      setup: fc.boolean(),
      auth: authArb(tokens, 40),
      accept: rarely(fc.constantFrom(...ACCEPTS), 5),
      contentType: rarely(fc.constantFrom(...CONTENT_TYPES), 8),
    })
    .map((generated): FuzzCase => {
      const g = generated.typed
        ? { ...generated, verb: generated.typed.put ? ('PUT' as const) : ('POST' as const), sub: null, urlRes: null, text: { t: 'none' as const }, contentType: null, mutations: generated.typed.retypes }
        : generated;
      const r = FUZZ_RESOURCES[g.res]!;
      const u = g.urlRes === null ? r : FUZZ_RESOURCES[g.urlRes]!;
      const name = seedNames(u)[g.name]!;
      // A create names a new object (else most would meet 409 AlreadyExists before anything else).
      const valid = seed(r, g.verb === 'POST' && !g.sub ? `fz-new-${g.fresh}` : seedNames(r)[g.name]!);
      const { doc, notes } = applyMutations(valid.body, g.mutations);
      const verb: Verb = g.verb;
      const collection = collectionPath(u);
      const item = `${collection}/${name}`;
      const sub = g.sub ? `/${g.sub}` : '';
      const query: string[] = [...g.params];
      for (const d of g.dryRun) query.push(`dryRun=${encodeURIComponent(d)}`);
      let method: string = verb;
      let target = item + sub;
      let contentType = 'application/json';
      let payload: Doc = doc;
      let bodyOverride: Buffer | undefined;
      let dry = dryRunMeansNoWrite(g.dryRun);
      switch (verb) {
        case 'POST':
          target = g.sub ? item + sub : collection;
          break;
        case 'PUT':
          break;
        case 'PATCH-json':
          method = 'PATCH';
          contentType = PATCH_TYPES[verb]!;
          // Either real ops (whose values may be the mutated document's parts) or the mutated document itself.
          payload = g.opsAsIs ? g.ops.map((o) => ({ ...o, ...(o.value !== undefined && g.mutations.length ? { value: getAt(doc, ['metadata']) ?? o.value } : {}) })) : doc;
          break;
        case 'PATCH-merge':
        case 'PATCH-smp':
        case 'PATCH-apply':
          method = 'PATCH';
          contentType = PATCH_TYPES[verb]!;
          if (verb !== 'PATCH-apply' && g.partial !== 'whole') {
            const part = g.partial === 'labels' ? getAt(doc, ['metadata', 'labels']) : getAt(doc, [g.partial]);
            payload = g.partial === 'labels' ? { metadata: { labels: part ?? null } } : { [g.partial]: part ?? null };
          }
          if (verb === 'PATCH-apply' && g.fieldManager !== null) query.push(`fieldManager=${encodeURIComponent(g.fieldManager)}`);
          if (verb === 'PATCH-apply' && g.force) query.push('force=true');
          break;
        case 'PATCH-other':
          method = 'PATCH';
          contentType = 'application/json';
          break;
        case 'DELETE':
        case 'DELETE-collection':
          method = 'DELETE';
          if (verb === 'DELETE-collection') target = collection;
          payload = g.deleteOptions;
          break;
      }
      if (g.contentType !== null) contentType = g.contentType;
      let bodyDesc: string;
      if (method === 'DELETE' && payload === undefined) {
        bodyOverride = Buffer.alloc(0);
        bodyDesc = '(none)';
      } else {
        const rendered = render(payload, g.text);
        bodyOverride = rendered.body;
        bodyDesc = rendered.desc;
        if (rendered.yamlBody && g.contentType === null) contentType = method === 'PATCH' ? 'application/apply-patch+yaml' : 'application/yaml';
      }
      if (method === 'DELETE') dry = deleteNoWrite(bodyOverride, g.dryRun, g.text.t === 'none' ? payload : undefined);
      const headers: [string, string][] = [...g.auth];
      if (contentType) headers.push(['Content-Type', contentType]);
      if (g.accept !== null) headers.push(['Accept', g.accept]);
      const setupSeed = seed(u, name);
      const fullTarget = query.length ? `${target}?${query.join('&')}` : target;
      const noWrite = refusedVerb(method, fullTarget) ?? (dry ? 'a dry run' : undefined);
      const plainWrite = (verb === 'POST' || verb === 'PUT') && !g.sub && u === r && g.text.t === 'none' && g.contentType === null;
      const wrongType = plainWrite ? wrongTypeSwaps(valid.body, g.mutations) : undefined;
      return {
        category: 'object',
        // A DELETE sends DeleteOptions, not the mutated object: its notes would only mislead.
        notes: method === 'DELETE' ? [`DELETE of ${u.plural}`, ...(g.text.t !== 'none' && payload !== undefined ? [`text: ${g.text.t}`] : [])] : [`${r.kind} seed${u !== r ? ` sent to ${u.plural}` : ''}`, ...notes, ...(g.text.t !== 'none' ? [`text: ${g.text.t}`] : [])],
        request: { method, target: fullTarget, headers, body: bodyOverride.length || method !== 'DELETE' ? bodyOverride : undefined },
        mayWriteSentinels: mayWriteSentinels(method, fullTarget),
        ...(wrongType ? { wrongType } : {}),
        bodyDesc,
        ...(noWrite ? { noWrite } : {}),
        allow503: !!g.sub && KUBELET_SUBRESOURCES.has(g.sub) && u.kind === 'Pod',
        ...(g.setup && verb !== 'POST'
          ? { setup: { method: 'POST', target: collectionPath(u), headers: [['Authorization', `Bearer ${tokens.admin}`], ['Content-Type', 'application/json']], body: Buffer.from(JSON.stringify(setupSeed.body)) } }
          : {}),
      };
    });
}
