import fc from 'fast-check';
import type { EndpointSlice, Ingress, IngressBackend, Secret, Service } from '../../../src-main/api/types.js';

// Hostile cluster state for the ingress controller: Ingresses, Services, EndpointSlices and TLS
// Secrets as users and pods could write them, plus values the API server would refuse (the
// controller must not depend on validation it cannot see). Every value mixes ordinary ones (so
// the interesting paths — proxying, TLS, merging — are reached) with nginx's syntax characters,
// control characters, unicode and lengths past nginx's own limits.

export const NAMESPACE = 'ns';
/** Services the cases create; backends name these or anything else. */
const SERVICE_NAMES = ['web', 'api', 'ext', 's'.repeat(63)];
/** Secrets the cases create; TLS sections name these or anything else. */
const SECRET_NAMES = ['tls-ok', 'tls-a', 'tls-b', 'tls-c'];

/** Pieces that mean something to nginx or to a parser. */
const NASTY = ['"', "'", '{', '}', ';', '$', '#', '\n', '\r', '\0', '\\', ' ', '\t', 'é', '😀', '\u202e', '\ufeff', '${host}', '$request_uri', '";}', '} server { listen 1; } #', '\\"', '%00', '%2f', '..', '//', '*', '~', '^', '=', '@', '(', ')', '|', '`'];

const longString = fc.tuple(fc.integer({ min: 300, max: 9000 }), fc.constantFrom('a', '/', '$', '"', ';{', 'é')).map(([n, c]) => c.repeat(Math.ceil(n / c.length)));

export const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.array(fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 6 })), { maxLength: 8 }).map((a) => a.join('')),
  fc.constantFrom(...NASTY),
  longString,
);

const PCHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@%/";
/** Paths the renderer may keep: every character of RFC 3986 path segments. */
const safePath = fc.string({ unit: fc.constantFrom(...PCHARS), maxLength: 60 }).map((s) => `/${s}`);
/** Long paths of safe characters (nginx reads a token of at most ~4 KiB). */
const longSafePath = fc.tuple(fc.integer({ min: 500, max: 9000 }), safePath).map(([n, p]) => `${p}/${'x'.repeat(n)}`);

export const ingressPath: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 4, arbitrary: safePath },
  { weight: 2, arbitrary: fc.tuple(safePath, hostile).map(([a, b]) => a + b) },
  { weight: 1, arbitrary: hostile },
  { weight: 1, arbitrary: longSafePath },
  { weight: 2, arbitrary: fc.constantFrom(undefined, '', '/', '//', '/foo/', '/foo//', '/./', '/../', '/%2f', '/$host', '/;', '/#x', "/'", '/a b', '/{', '/"', '/\\', '/\n', '/é', '/a?b=c', '/*', '/~*x', '/^~') },
);

export const pathType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('Exact', 'Prefix', 'ImplementationSpecific') },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom(undefined, '', 'exact', 'Regex'), hostile) },
);

const label = fc
  .string({ unit: fc.constantFrom(...'abcxyz0129-'), minLength: 1, maxLength: 63 })
  .map((s) => s.replace(/^-+|-+$/g, '') || 'a');
const validHost = fc.array(label, { minLength: 1, maxLength: 5 }).map((ls) => ls.join('.').slice(0, 253).replace(/[.-]+$/, ''));
/** As long as the API server allows: 253 characters. */
const LONGEST_HOST = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');

/** Hosts several rules and TLS sections share, so merging and certificates are reached. */
const COMMON_HOSTS = ['a.example', 'b.example', '*.w.example', 'x.w.example', LONGEST_HOST];

export const host: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...COMMON_HOSTS) },
  { weight: 3, arbitrary: validHost },
  { weight: 2, arbitrary: validHost.map((h) => `*.${h}`) },
  { weight: 1, arbitrary: fc.constantFrom(LONGEST_HOST, `*.${LONGEST_HOST.slice(2)}`, 'x'.repeat(300), `${'a'.repeat(63)}.${'b'.repeat(63)}`) },
  { weight: 1, arbitrary: hostile },
  {
    weight: 2,
    arbitrary: fc.constantFrom(undefined, '', '_', '*', '*.*.a', 'foo.*', 'a..b', '-a.b', 'a_b.c', 'UPPER.example', '10.0.0.1', '[::1]', 'localhost:80', 'a.b.', 'a b', 'a;b', 'a{b', '~^.*$', '*.a.example'),
  },
);

/** Ports as the API server allows them, out of range, fractional, and of the wrong type. */
const portNumber: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 65535 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -1, 65536, 1e9, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '80', null, undefined) as fc.Arbitrary<number> },
  { weight: 1, arbitrary: fc.integer() },
);
const portName: fc.Arbitrary<string | undefined> = fc.oneof(fc.constantFrom(undefined, '', 'http', 'https', 'p'.repeat(15)), hostile);
const protocol: fc.Arbitrary<string | undefined> = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('TCP', undefined) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('UDP', 'SCTP', 'tcp'), hostile) });

export const backend: fc.Arbitrary<IngressBackend | undefined> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      service: fc.record({
        name: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SERVICE_NAMES) }, { weight: 1, arbitrary: hostile }),
        port: fc.oneof(
          fc.record({ number: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(80, 443, 8080) }, { weight: 1, arbitrary: portNumber }) }),
          fc.record({ name: portName }),
          fc.constant({}),
        ),
      }),
    }) as fc.Arbitrary<IngressBackend>,
  },
  { weight: 1, arbitrary: fc.record({ resource: fc.record({ apiGroup: fc.option(hostile, { nil: undefined }), kind: hostile, name: hostile }) }) as fc.Arbitrary<IngressBackend> },
  { weight: 1, arbitrary: fc.constantFrom(undefined, {} as IngressBackend) },
);

const annotations: fc.Arbitrary<Record<string, string> | undefined> = fc.option(
  fc.dictionary(
    fc.oneof(fc.constant('nginx.ingress.kubernetes.io/ssl-redirect'), fc.constantFrom('nginx.ingress.kubernetes.io/configuration-snippet', 'nginx.ingress.kubernetes.io/rewrite-target', 'kubernetes.io/ingress.class'), hostile),
    fc.oneof(fc.constantFrom('false', 'true', '} location / { return 200; }', 'more_set_headers "x: y";'), hostile),
    { maxKeys: 3 },
  ),
  { nil: undefined },
);

const ingress: fc.Arbitrary<Ingress> = fc
  .record({
    name: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a', 'b', 'c', 'i'.repeat(253)) }, { weight: 1, arbitrary: hostile }),
    createdAt: fc.oneof(fc.integer({ min: 0, max: 59 }).map((s) => `2026-01-01T00:00:${String(s).padStart(2, '0')}Z`), fc.constantFrom(undefined, ''), hostile),
    annotations,
    defaultBackend: fc.option(backend, { nil: undefined, freq: 3 }),
    rules: fc.array(
      fc.record({
        host,
        http: fc.option(fc.record({ paths: fc.array(fc.record({ path: ingressPath, pathType, backend }), { maxLength: 5 }) }), { nil: undefined, freq: 8 }),
      }),
      { maxLength: 4 },
    ),
    tls: fc.array(
      fc.record({
        hosts: fc.option(fc.array(fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...COMMON_HOSTS) }, { weight: 1, arbitrary: host }), { maxLength: 3 }), { nil: undefined, freq: 8 }),
        secretName: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...SECRET_NAMES) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom(undefined, ''), hostile) }),
      }),
      { maxLength: 3 },
    ),
  })
  .map(
    (r) =>
      ({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: r.name, namespace: NAMESPACE, ...(r.createdAt === undefined ? {} : { creationTimestamp: r.createdAt }), ...(r.annotations ? { annotations: r.annotations } : {}) },
        spec: { ...(r.defaultBackend ? { defaultBackend: r.defaultBackend } : {}), rules: r.rules, tls: r.tls },
      }) as unknown as Ingress,
  );

const service: fc.Arbitrary<Service> = fc
  .record({
    name: fc.constantFrom(...SERVICE_NAMES),
    type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(undefined, 'ClusterIP', 'NodePort') }, { weight: 1, arbitrary: fc.constantFrom('ExternalName', 'LoadBalancer') }),
    ports: fc.array(
      fc.record({
        name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(undefined, 'http', 'https') }, { weight: 1, arbitrary: portName }),
        port: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(80, 443, 8080) }, { weight: 1, arbitrary: portNumber }),
        protocol,
      }),
      { maxLength: 3 },
    ),
  })
  .map((r) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: r.name, namespace: NAMESPACE }, spec: { clusterIP: '10.96.0.10', ports: r.ports, ...(r.type ? { type: r.type } : {}) } }) as unknown as Service);

const address: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.ipV4() },
  { weight: 2, arbitrary: fc.ipV6() },
  { weight: 1, arbitrary: fc.ipV4Extended() },
  { weight: 1, arbitrary: fc.tuple(fc.ipV6(), fc.constantFrom('%eth0', '%1', '%25eth0', '%')).map(([a, z]) => a + z) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('::', '::1', '0.0.0.0', '255.255.255.255', '::ffff:10.0.0.1', '64:ff9b::10.0.0.1', 'fe80::1%eth0', '1.2.3.4:80', '[::1]', '[::1]:80', 'localhost', 'pod.example', '010.0.0.1', '1.2.3.4\n', ' 1.2.3.4', '1.2.3.4;', '1.2.3', '1.2.3.256', '::ffff:1.2.3.4%x', ''),
  },
  { weight: 1, arbitrary: hostile },
);

const slice: fc.Arbitrary<EndpointSlice> = fc
  .record({
    service: fc.constantFrom(...SERVICE_NAMES),
    name: fc.string({ unit: fc.constantFrom(...'abcdef0123'), minLength: 1, maxLength: 8 }),
    addressType: fc.oneof({ weight: 5, arbitrary: fc.constantFrom('IPv4', 'IPv6') }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('FQDN', 'ipv4'), hostile) }),
    ports: fc.option(
      fc.array(
        fc.record({
          name: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(undefined, '', 'http', 'https') }, { weight: 1, arbitrary: portName }),
          port: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(8080, 9000, 80) }, { weight: 1, arbitrary: portNumber }),
          protocol,
        }),
        { maxLength: 3 },
      ),
      { nil: null, freq: 8 },
    ),
    endpoints: fc.option(
      fc.array(
        fc.record({
          addresses: fc.array(address, { maxLength: 3 }),
          conditions: fc.option(fc.record({ ready: fc.constantFrom(true, false, undefined) }), { nil: undefined }),
        }),
        { maxLength: 6 },
      ),
      { nil: null, freq: 8 },
    ),
  })
  .map(
    (r) =>
      ({
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${r.service}-${r.name}`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': r.service } },
        addressType: r.addressType,
        ports: r.ports,
        endpoints: r.endpoints,
      }) as unknown as EndpointSlice,
  );

/** One real certificate and key pair, and a second key that does not match it. */
export interface TlsMaterial {
  cert: string;
  key: string;
  otherCert: string;
  otherKey: string;
}

const FAKE_CERT_BLOCK = '-----BEGIN CERTIFICATE-----\nQUJDRA==\n-----END CERTIFICATE-----\n';
const FAKE_KEY_BLOCK = '-----BEGIN PRIVATE KEY-----\nQUJDRA==\n-----END PRIVATE KEY-----\n';

/** PEM text: real blocks, mixed, cut, wrapped in junk, with a character changed, or junk. */
function pemText(m: TlsMaterial, mine: 'cert' | 'key'): fc.Arbitrary<string> {
  const own = m[mine];
  const other = mine === 'cert' ? m.key : m.cert;
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(own) },
    { weight: 1, arbitrary: fc.constantFrom(m.otherKey, m.otherCert, other, own + other, other + own, own + m.otherCert, m.otherCert + own, own + FAKE_CERT_BLOCK, FAKE_CERT_BLOCK + own, own + FAKE_KEY_BLOCK, FAKE_KEY_BLOCK + own, own.replace(/\n/g, '\r\n'), `junk\n${own}trailing junk`, own.replace(/-----\n/, '-----\n\n'), own.replace(/\n/g, ''), own.replace('BEGIN', 'BEGIN X509'), own + own, own.trimEnd() + other, own.trimEnd() + m.otherCert) },
    { weight: 1, arbitrary: fc.nat().map((n) => own.slice(0, n % own.length)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom('A', 'z', '=', '-', '\n', '"', '\0', 'é')).map(([n, c]) => { const at = 40 + (n % (own.length - 80)); return own.slice(0, at) + c + own.slice(at + 1); }) },
    { weight: 1, arbitrary: hostile },
  );
}

/** A Secret field: the text base64-encoded, or bytes that are not base64, or no string at all. */
const encoded = (text: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 8, arbitrary: text.map((t) => Buffer.from(t, 'utf8').toString('base64')) },
    { weight: 1, arbitrary: text },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, '', 5, null, {}, '!!!!', '====') as fc.Arbitrary<string | undefined> },
  );

function secret(m: TlsMaterial): fc.Arbitrary<Secret> {
  return fc
    .record({ name: fc.constantFrom(...SECRET_NAMES), crt: encoded(pemText(m, 'cert')), key: encoded(pemText(m, 'key')), type: fc.constantFrom('kubernetes.io/tls', 'Opaque', undefined) })
    .map(
      (r) =>
        ({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: r.name, namespace: NAMESPACE },
          ...(r.type ? { type: r.type } : {}),
          data: { ...(r.crt === undefined ? {} : { 'tls.crt': r.crt }), ...(r.key === undefined ? {} : { 'tls.key': r.key }) },
        }) as unknown as Secret,
    );
}

/**
 * Services with endpoints that fit them, first in every cluster (a generated object of the same
 * name comes later and replaces one): without them hardly a case would get as far as an upstream.
 */
function coherent(): { services: Service[]; slices: fc.Arbitrary<EndpointSlice[]> } {
  const svc = (name: string, ports: { name?: string; port: number }[]) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: NAMESPACE }, spec: { clusterIP: '10.96.0.10', ports } }) as Service;
  const endpoints = fc.array(fc.record({ addresses: fc.array(address, { minLength: 1, maxLength: 2 }), conditions: fc.constantFrom(undefined, { ready: true }, { ready: false }) }), { minLength: 1, maxLength: 5 });
  const sliceOf = (service: string, addressType: 'IPv4' | 'IPv6', ports: { name?: string; port: number }[]) =>
    endpoints.map((e) => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${service}-${addressType}`, namespace: NAMESPACE, labels: { 'kubernetes.io/service-name': service } }, addressType, ports, endpoints: e }) as EndpointSlice);
  return {
    services: [svc('web', [{ name: 'http', port: 80 }, { name: 'https', port: 443 }]), svc('api', [{ port: 8080 }])],
    slices: fc.tuple(sliceOf('web', 'IPv4', [{ name: 'http', port: 8080 }, { name: 'https', port: 8443 }]), sliceOf('web', 'IPv6', [{ name: 'http', port: 8080 }]), sliceOf('api', 'IPv4', [{ port: 9000 }])),
  };
}

const okSecret = (m: TlsMaterial): Secret => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'tls-ok', namespace: NAMESPACE },
  type: 'kubernetes.io/tls',
  data: { 'tls.crt': Buffer.from(m.cert).toString('base64'), 'tls.key': Buffer.from(m.key).toString('base64') },
});

export interface IngressWorld {
  ingresses: Ingress[];
  services: Service[];
  slices: EndpointSlice[];
  secrets: Secret[];
  /** The HTTPS port browsers see: 443 renders redirects without a port. */
  publicHttpsPort: number;
}

/** A cluster's worth of hostile objects (a later object of the same name replaces an earlier one). */
export function world(m: TlsMaterial): fc.Arbitrary<IngressWorld> {
  const base = coherent();
  return fc.record({
    ingresses: fc.array(ingress, { maxLength: 4 }),
    services: fc.array(service, { maxLength: 3 }).map((s) => [...base.services, ...s]),
    slices: fc.tuple(base.slices, fc.array(slice, { maxLength: 3 })).map(([a, b]) => [...a, ...b]),
    // A good Secret first, so hosts get certificates; a generated one of its name replaces it.
    secrets: fc.array(secret(m), { minLength: 1, maxLength: 4 }).map((s) => [okSecret(m), ...s]),
    publicHttpsPort: fc.constantFrom(443, 8443),
  });
}
