// Fuzzing of the ingress controller's handling of hostile cluster objects (issue 9): Ingresses,
// Services, EndpointSlices and TLS Secrets are written by users and pods, and the controller turns
// them into one nginx configuration, which nginx refuses whole for a single bad value. For
// generated hostile objects: building the model, rendering it and reading TLS Secrets never throw;
// every line of the configuration has a shape the renderer emits (nothing injected), blocks
// balance, and every location comes from a path of its Ingress. Then the real check: real
// `nginx -t` (the node image's) accepts every configuration rendered, the generated ones and
// hand-picked nasty ones, in one container without a network.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingress, Secret } from '../../src-main/api/types.js';
import { ensurePki } from '../../src-main/apiserver/auth/pki.js';
import { kubeletBundlePath } from '../../src-main/dockerNodes.js';
import { ensureImages } from '../../src-main/images/index.js';
import { tlsPairFromSecret, type TlsPair } from '../../src-main/ingress/certificates.js';
import { buildModel, type IngressModel, type ModelInput } from '../../src-main/ingress/model.js';
import { renderNginxConfig, type RenderSettings } from '../../src-main/ingress/nginxConfig.js';
import { MAX_PATH_LENGTH } from '../../src-main/ingress/paths.js';
import { docker, dockerUp } from '../helpers/dockerEngine.js';
import { skipWithout } from '../helpers/requirements.js';
import { NAMESPACE, world, type IngressWorld, type TlsMaterial } from './lib/ingressCases.js';
import { checkModel, checkRendered } from './lib/ingressOracle.js';
import { nginxTestAll } from './lib/nginxCheck.js';
import { Budget, RUNS, SEED, TEST_TIMEOUT_MS, fcParams } from './lib/settings.js';

/** Where the configurations live inside the nginx container. */
const ROOT = '/fz';
/** Generated configurations given to real nginx (each costs one `nginx -t`). */
const NGINX_BATCH = Math.max(300, Math.min(RUNS, 1500));

const failures: string[] = [];
const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
let material: TlsMaterial;
let tmp: string;

/** Certificate files by pair id, numbered (Secret names never become file names here). */
const certFiles = new Map<string, { n: number; pair: { cert: string; key: string } }>();
function certificateFile(id: string | undefined): { cert: string; key: string } {
  const f = certFiles.get(id ?? 'default');
  if (!f) throw new Error(`the model named certificate ${id}, which no Secret gave`);
  return { cert: `${ROOT}/certs/${f.n}.crt`, key: `${ROOT}/certs/${f.n}.key` };
}
const remember = (pair: TlsPair) => certFiles.has(pair.id) || certFiles.set(pair.id, { n: certFiles.size, pair });

const settingsFor = (w: Pick<IngressWorld, 'publicHttpsPort'>): RenderSettings => ({
  dir: ROOT,
  httpPort: 80,
  httpsPort: 443,
  publicHttpPort: 80,
  publicHttpsPort: w.publicHttpsPort,
  statusPort: 10246,
  certificateFile,
});

/** The configuration of an empty cluster: the lines no object influences. */
const fixedLines = (s: RenderSettings) => new Set(renderNginxConfig({ servers: [], upstreams: [], problems: [] }, s).split('\n'));

const PEM_ONLY = /^(-----BEGIN [A-Z0-9 ]+-----\r?\n[\s\S]*?-----END [A-Z0-9 ]+-----\n)+$/;

/** A Secret read as the controller reads it; whatever it returns is checked, a throw is a failure. */
function readSecret(s: Secret, note: string): { id: string } | { error: string } {
  let r: ReturnType<typeof tlsPairFromSecret>;
  try {
    r = tlsPairFromSecret(s);
  } catch (e) {
    failures.push(`${note}: tlsPairFromSecret threw ${clip(String(e))} on ${clip(JSON.stringify(s.data))}`);
    return { error: 'threw' };
  }
  if ('error' in r) return r;
  if (!PEM_ONLY.test(r.cert) || !PEM_ONLY.test(r.key)) failures.push(`${note}: a TLS pair that is not PEM blocks only: ${clip(JSON.stringify(r))}`);
  remember(r);
  return { id: r.id };
}

/** Model and configuration of a world, every check applied; the text when there is one. */
function renderWorld(w: IngressWorld, note: string): string | undefined {
  const settings = settingsFor(w);
  const input: ModelInput = {
    ingresses: w.ingresses,
    service: (ns, name) => w.services.findLast((s) => s.metadata.namespace === ns && s.metadata.name === name),
    slices: (ns, name) => w.slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels?.['kubernetes.io/service-name'] === name),
    certificate: (ns, name) => {
      const s = w.secrets.findLast((x) => x.metadata.namespace === ns && x.metadata.name === name);
      return s ? readSecret(s, note) : { error: 'not found' };
    },
  };
  let model: IngressModel;
  let text: string;
  try {
    model = buildModel(input);
    text = renderNginxConfig(model, settings);
  } catch (e) {
    failures.push(`${note}: threw ${clip(String((e as Error).stack ?? e), 1000)}\n  ingresses: ${clip(JSON.stringify(w.ingresses), 2000)}`);
    return undefined;
  }
  reach.upstreamServers += model.upstreams.reduce((n, u) => n + u.servers.length, 0);
  reach.proxied += model.servers.reduce((n, x) => n + x.locations.filter((l) => l.upstream).length, 0);
  reach.tlsServers += model.servers.filter((x) => x.certificate).length;
  reach.locations += model.servers.reduce((n, x) => n + x.locations.length, 0);
  reach.refusedPaths += model.problems.filter((p) => p.reason === 'InvalidPath').length;
  const problems = [...checkModel(w.ingresses, model, MAX_PATH_LENGTH), ...checkRendered(text, fixedLines(settings))];
  if (problems.length) failures.push(`${note}: ${problems.map((p) => clip(p)).join('; ')}\n  ingresses: ${clip(JSON.stringify(w.ingresses), 2000)}`);
  return text;
}

const generated = new Map<string, string>();
/** How far the generated clusters reach: a fuzzer that never gets past validation tests little. */
const reach = { upstreamServers: 0, proxied: 0, tlsServers: 0, locations: 0, refusedPaths: 0 };

// ---- hand-picked nasty clusters, rendered and tested alongside the generated ones ----

const LONGEST_HOST = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');
let made = 0;
function ing(spec: Ingress['spec'], annotations?: Record<string, string>): Ingress {
  made++;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: `hand-${made}`, namespace: NAMESPACE, creationTimestamp: `2026-01-01T00:00:${String(made % 60).padStart(2, '0')}Z`, ...(annotations ? { annotations } : {}) }, spec };
}
const toWeb = { service: { name: 'web', port: { number: 80 } } };
const rule = (host: string | undefined, paths: [string | undefined, string][]) => ({
  ...(host === undefined ? {} : { host }),
  http: { paths: paths.map(([p, t]) => ({ ...(p === undefined ? {} : { path: p }), pathType: t as 'Exact', backend: toWeb })) },
});
function handWorld(ingresses: Ingress[], extra: Partial<IngressWorld> = {}): IngressWorld {
  const pem = (s: string) => Buffer.from(s).toString('base64');
  return {
    ingresses,
    services: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: NAMESPACE }, spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } }],
    slices: [
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 'web-1', namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv6',
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
        endpoints: ['10.0.0.1', '::1', 'fe80::1%eth0', '::ffff:10.0.0.2', '64:ff9b::10.0.0.3', '::', '0.0.0.0', '22d:90:bae:7:0:5:9f::', '::1:2:3:4:5:6:7', '1:2:3:4:5:6:7::', '1:0:0:2::3'].map((a) => ({ addresses: [a] })),
      },
    ],
    secrets: [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-a', namespace: NAMESPACE }, data: { 'tls.crt': pem(material.cert), 'tls.key': pem(material.key) } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-b', namespace: NAMESPACE }, data: { 'tls.crt': pem(material.cert + '-----BEGIN CERTIFICATE-----\nQUJDRA==\n-----END CERTIFICATE-----\n'), 'tls.key': pem(material.key) } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-c', namespace: NAMESPACE }, data: { 'tls.crt': pem(material.cert + material.otherKey), 'tls.key': pem(material.otherKey + material.key) } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-d', namespace: NAMESPACE }, data: { 'tls.crt': pem(material.cert), 'tls.key': pem(`-----BEGIN PRIVATE KEY-----\nQUJDRA==\n-----END PRIVATE KEY-----\n${material.key}`) } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls-e', namespace: NAMESPACE }, data: { 'tls.crt': pem(material.cert.replace(/\n/g, '\r\n')), 'tls.key': pem(`junk\n${material.key.replace(/\n/g, '\r\n')}junk`) } },
    ],
    publicHttpsPort: 8443,
    ...extra,
  };
}

function handPicked(): Map<string, IngressWorld> {
  const all = "/ABCXYZabcxyz0189-._~!$&'()*+,;=:@%/";
  const types = ['Exact', 'Prefix', 'ImplementationSpecific'];
  const each = (p: string) => types.map((t) => [p, t] as [string, string]);
  return new Map<string, IngressWorld>([
    ['longest-host', handWorld([ing({ rules: [rule(LONGEST_HOST, [['/', 'Prefix']]), rule(`*.${LONGEST_HOST.slice(2)}`, [['/', 'Prefix']]), rule('short.example', [['/', 'Prefix']])], tls: [{ hosts: [LONGEST_HOST], secretName: 'tls-a' }] })])],
    ['many-hosts', handWorld([ing({ rules: Array.from({ length: 300 }, (_, i) => rule(`h${i}.${'x'.repeat(50)}.example`, [['/', 'Prefix']])) })])],
    ...[1000, 2000, 3999, 4000, 4001, 4094, 4095, 4096, 4097, 5000, 9000].map((n) => [`path-${n}`, handWorld([ing({ rules: [rule('p.example', [...each(`/${'p'.repeat(n - 1)}`), ...each(`/q${'/'.repeat(n - 2)}`)])] })])] as [string, IngressWorld]),
    ['path-charset', handWorld([ing({ rules: [rule('c.example', [...each(all), ...each('/$host$request_uri'), ...each('/;'), ...each("/'"), ...each('/%'), ...each('/@:=')])] })])],
    ['path-collisions', handWorld([ing({ rules: [rule('k.example', [['/foo', 'Prefix'], ['/foo', 'Exact'], ['/foo/', 'ImplementationSpecific'], ['/foo/', 'Prefix'], ['/foo//', 'Prefix'], ['/', 'Exact'], ['/', 'ImplementationSpecific'], [undefined, 'Prefix'], ['', 'Exact']])], defaultBackend: toWeb })])],
    ['hostile-everything', handWorld([ing({ rules: [rule('x.example', [['/a"b', 'Exact'], ['/a;}', 'Prefix'], ['/a\nb', 'ImplementationSpecific'], ['/a b', 'Prefix'], ['/{', 'Exact'], ['/\\', 'Prefix'], ['/é', 'Prefix'], ['/\u0000', 'Exact']]), rule('a;b', [['/', 'Prefix']]), rule('x.example"; }', [['/', 'Prefix']])] }, { 'nginx.ingress.kubernetes.io/ssl-redirect': '"; return 200; #' })])],
    ['tls-mixed', handWorld([ing({ rules: ['a', 'b', 'c', 'd', 'e'].map((x) => rule(`t${x}.example`, [['/', 'Prefix']])), tls: ['a', 'b', 'c', 'd', 'e'].map((x) => ({ hosts: [`t${x}.example`], secretName: `tls-${x}` })) })])],
    ['wildcards', handWorld([ing({ rules: [rule('*.w.example', [['/', 'Prefix']]), rule('w.example', [['/', 'Prefix']]), rule('*.a.w.example', [['/x', 'Exact']])], defaultBackend: toWeb })], { publicHttpsPort: 443 })],
  ]);
}

describe('ingress controller fuzzing', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ingress-fuzz-'));
    const pki = await ensurePki(tmp, ['tls.example']);
    // As files are: each ending in a newline, so concatenations are chains (ingressCases also glues them without).
    const nl = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);
    material = { cert: nl(pki.serverCert), key: nl(pki.serverKey), otherCert: nl(pki.caCert), otherKey: nl(pki.caKey) };
    certFiles.set('default', { n: 0, pair: { cert: pki.serverCert, key: pki.serverKey } });
  }, 60_000);

  afterAll(() => {
    console.log(`ingress fuzz: seed ${SEED}, ${RUNS} cases, ${failures.length} failures`);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('builds, renders and reads TLS Secrets from hostile objects without throwing or injecting', () => {
    const budget = new Budget();
    let n = 0;
    fc.assert(
      fc.property(world(material), (w) => {
        if (!budget.take()) return;
        const name = `gen-${n++}`;
        const text = renderWorld(w, name);
        if (text !== undefined && generated.size < NGINX_BATCH) generated.set(name, text);
      }),
      fcParams(),
    );
    console.log(`ingress fuzz: ${budget} generated clusters, ${certFiles.size - 1} distinct TLS pairs accepted; in all ${JSON.stringify(reach)}`);
    expect(failures).toEqual([]);
  }, TEST_TIMEOUT_MS);

  it.skipIf(skipWithout('a Docker engine', dockerUp))(
    "real nginx -t accepts every configuration, generated and hand-picked",
    async () => {
      const configs = new Map(generated);
      for (const [name, w] of handPicked()) {
        const text = renderWorld(w, `hand ${name}`);
        if (text !== undefined) configs.set(`hand-${name}`, text);
      }
      const files = new Map<string, string>();
      for (const { n, pair } of certFiles.values()) {
        files.set(`${ROOT}/certs/${n}.crt`, pair.cert);
        files.set(`${ROOT}/certs/${n}.key`, pair.key);
      }
      const images = await ensureImages(docker, { bundleFile: kubeletBundlePath(), pull: false });
      const started = Date.now();
      const verdict = await nginxTestAll(docker, images.node, ROOT, configs, files, 600_000);
      console.log(`ingress fuzz: nginx -t on ${verdict.tested} configurations (${configs.size - generated.size} hand-picked) in ${Date.now() - started} ms: ${verdict.refused.size} refused, ${verdict.warned.size} with warnings`);
      for (const [name, out] of [...verdict.warned].slice(0, 5)) console.log(`  warning ${name}: ${clip(out)}`);
      expect(verdict.tested).toBe(configs.size);
      const refused = [...verdict.refused].map(([name, out]) => `${name}: ${clip(out.trim(), 600)}`);
      expect(refused).toEqual([]);
      expect(failures).toEqual([]);
    },
    TEST_TIMEOUT_MS + 600_000,
  );
});
