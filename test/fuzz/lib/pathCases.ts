import fc from 'fast-check';
import { RESOURCES } from '../../../src-main/api/resources.js';
import { ACCEPTS, CONTENT_TYPES, authArb, dryRunMeansNoWrite, queryParam, rarely, type FuzzCase, type Tokens } from './common.js';
import { FUZZ_NS } from './seeds.js';
import { mayWriteSentinels, refusedVerb } from './sentinelScope.js';

// Hostile request targets, methods and headers: dot segments and their encodings, bad escapes,
// overlong segments, unknown subresources, every query parameter with garbage, HEAD/OPTIONS/TRACE,
// WebSocket upgrade headers on any path, absurd Content-Length. The namespace "keep" holds the
// objects the fuzzer must never change; targets name it only with dot segments or garbage around.

export const KEEP_NS = 'keep';

const PREFIXES = ['/api/v1', '/apis/apps/v1', '/apis/networking.k8s.io/v1', '/apis/discovery.k8s.io/v1', '/apis/coordination.k8s.io/v1', '/apis', '/api', '', '/openapi/v3', '/openapi/v2', '/version', '/healthz', '/readyz', '/livez', '/metrics', '/apis/apps', '/apis/foo/v1', '/api/v2', '/apis/apps/v1/watch', '/api/v1/watch'];

const SEGMENTS = [
  'namespaces',
  FUZZ_NS,
  KEEP_NS,
  ...new Set(RESOURCES.map((r) => r.plural)),
  'fz-0',
  'fz-1',
  'fz-node-0',
  'fz-ns-0',
  'keep-cm',
  '..',
  '.',
  '%2e%2e',
  '%2E%2E',
  '%2e',
  '.%2e',
  '%2e.',
  '..%2f..',
  '%2f',
  '%5c',
  '%',
  '%zz',
  '%c0%ae%c0%ae',
  '%00',
  '%ff',
  '%ED%A0%80',
  '',
  '[',
  '//[',
  ';',
  ';a=b',
  'status',
  'scale',
  'binding',
  'log',
  'exec',
  'attach',
  'portforward',
  'proxy',
  'eviction',
  'token',
  'ephemeralcontainers',
  'finalize',
  'resize',
  'foo',
  'watch',
  '~',
  '*',
  '%F0%9F%98%80',
  'x'.repeat(300),
];

const METHODS = ['GET', 'GET', 'GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'TRACE', 'POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'SEARCH'];

const segment = fc.oneof(
  { arbitrary: fc.constantFrom(...SEGMENTS), weight: 10 },
  { arbitrary: fc.webSegment(), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 6 }).map((s) => encodeURIComponent(s)), weight: 1 },
  // Overlong: one segment over Node's 16 KiB head limit (431), one just under it.
  { arbitrary: fc.constantFrom('x'.repeat(20_000), 'y'.repeat(15_000)), weight: 1 },
);

const extraHeaders = fc.array(
  fc.oneof(
    fc.constantFrom(...CONTENT_TYPES).map((v): [string, string][] => [['Content-Type', v]]),
    fc.constantFrom(...ACCEPTS).map((v): [string, string][] => [['Accept', v]]),
    fc.constant<[string, string][]>([
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Version', '13'],
      ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
      ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io'],
    ]),
    fc.constant<[string, string][]>([
      ['Upgrade', 'SPDY/3.1'],
      ['Connection', 'Upgrade'],
    ]),
    // A declared length over the 3 MiB limit: Kubernetes answers 413 without waiting for the body.
    fc.constantFrom<[string, string][]>([['Content-Length', '99999999']], [['Content-Length', '3145729']], [['Content-Length', '18446744073709551616']]),
    fc.constantFrom<[string, string][]>(
      [['Expect', '100-continue']],
      [['Accept-Encoding', 'gzip, deflate, br']],
      [['Content-Encoding', 'gzip']],
      [['Impersonate-User', 'system:admin']],
      [['X-Forwarded-For', '1.2.3.4']],
      [['If-None-Match', '*']],
      [['Range', 'bytes=0-1']],
      [['User-Agent', 'x'.repeat(8000)]],
      [['User-Agent', '']],
    ),
    fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/), fc.string({ unit: 'grapheme-ascii', maxLength: 20 })).map(([k, v]): [string, string][] => [[k, v.replace(/[\r\n]/g, ' ')]]),
  ),
  { maxLength: 3 },
);

/** A path to a real resource (the kind of path clients use), with a few hostile edits. */
const structuredPath = fc
  .record({
    res: fc.nat(RESOURCES.length - 1),
    ns: fc.constantFrom(FUZZ_NS, FUZZ_NS, FUZZ_NS, KEEP_NS, 'default', 'nope'),
    name: rarely(fc.constantFrom('fz-0', 'fz-1', 'fz-node-0', 'fz-ns-0', 'fz-class-0', 'keep-configmap', 'kubernetes'), 2),
    sub: rarely(fc.constantFrom('status', 'scale', 'binding', 'log', 'exec', 'attach', 'portforward', 'proxy', 'eviction', 'token', 'ephemeralcontainers', 'finalize', 'resize', 'foo'), 3),
    watchPrefix: rarely(fc.constant('watch'), 6),
    edits: fc.array(fc.record({ kind: fc.constantFrom('replace', 'insert', 'append'), at: fc.nat(), seg: segment }), { maxLength: 2 }),
  })
  .map((g) => {
    const r = RESOURCES[g.res]!;
    const parts = [...(r.group ? ['apis', r.group, r.version] : ['api', r.version])];
    if (g.watchPrefix) parts.push('watch');
    if (r.namespaced) parts.push('namespaces', g.ns);
    parts.push(r.plural);
    if (g.name) parts.push(g.name);
    if (g.name && g.sub) parts.push(g.sub);
    for (const e of g.edits) {
      const i = e.at % (parts.length + 1);
      if (e.kind === 'replace' && i < parts.length) parts[i] = e.seg;
      else if (e.kind === 'insert') parts.splice(i, 0, e.seg);
      else parts.push(e.seg);
    }
    return `/${parts.join('/')}`;
  });

/** Anything at all: a known prefix and random segments. */
const randomPath = fc.record({ prefix: fc.constantFrom(...PREFIXES), segs: fc.array(segment, { maxLength: 6 }) }).map((g) => `${g.prefix}${g.segs.length ? '/' : ''}${g.segs.join('/')}`);

export function pathCase(tokens: Tokens): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      method: fc.constantFrom(...METHODS),
      path: fc.oneof({ arbitrary: structuredPath, weight: 3 }, { arbitrary: randomPath, weight: 1 }),
      trailingSlash: rarely(fc.constant(true), 6),
      doubleSlashAt: rarely(fc.nat(), 6),
      query: fc.array(queryParam, { maxLength: 5 }),
      auth: authArb(tokens),
      headers: extraHeaders,
      body: rarely(fc.constantFrom('{}', '{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}', '{"metadata":{"name":"fz-0"}}', 'not json', '[]'), 3),
    })
    .map((g): FuzzCase => {
      let path = g.path;
      if (g.doubleSlashAt !== null) {
        const slashes = [...path.matchAll(/\//g)].map((m) => m.index!);
        const at = slashes[g.doubleSlashAt % slashes.length]!;
        path = `${path.slice(0, at)}/${path.slice(at)}`;
      }
      if (g.trailingSlash) path += '/';
      const query = g.query.join('&');
      const target = query ? `${path}?${query}` : path;
      const headers = [...g.auth, ...g.headers.flat()];
      const hasCL = headers.some(([k]) => k.toLowerCase() === 'content-length');
      const body = g.body !== null && !hasCL ? Buffer.from(g.body) : undefined;
      const dry = dryRunMeansNoWrite(g.query.filter((p) => p.startsWith('dryRun=')).map((p) => p.slice('dryRun='.length)));
      // Writes only ever reach objects through valid paths; a dryRun on any of them must write nothing
      // (for DELETE, Kubernetes reads the options from the body when there is one, not the query).
      const noWrite = refusedVerb(g.method, target) ?? (dry && !(g.method === 'DELETE' && body) ? 'a dry run' : undefined);
      return {
        category: 'path',
        notes: [],
        request: { method: g.method, target, headers, body },
        mayWriteSentinels: mayWriteSentinels(g.method, target),
        bodyDesc: body ? body.toString() : '(none)',
        ...(noWrite ? { noWrite } : {}),
        allow503: /\/pods\/[^/]+\/(log|exec|attach|portforward|proxy)\/?$/.test(path),
      };
    });
}
