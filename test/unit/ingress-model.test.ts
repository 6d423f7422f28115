import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice, Ingress, IngressClass, IngressRule, Service } from '../../src-main/api/types.js';
import { ensurePki } from '../../src-main/apiserver/auth/pki.js';
import { tlsPairFromSecret } from '../../src-main/ingress/certificates.js';
import { ourClasses, serves } from '../../src-main/ingress/classes.js';
import { buildModel, CATCH_ALL, type ModelInput } from '../../src-main/ingress/model.js';
import { renderNginxConfig, type RenderSettings } from '../../src-main/ingress/nginxConfig.js';
import { locationsFor, MAX_PATH_LENGTH } from '../../src-main/ingress/paths.js';

// The ingress controller's decisions: which Ingresses it serves, what each path type means as
// nginx locations, how rules from several Ingresses merge, what a missing backend becomes, and
// what the rendered configuration says. The Docker test (test/integration/ingress.test.ts)
// shows real requests through real nginx; these pin down the decisions.

const svc = (name: string, ports: { name?: string; port: number; protocol?: string }[], type?: string): Service =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { clusterIP: '10.96.0.20', ports, ...(type ? { type } : {}) } }) as Service;

function slice(svcName: string, ports: { name?: string; port: number }[], ips: { ip: string; ready?: boolean }[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${svcName}-x`, namespace: 'ns', labels: { 'kubernetes.io/service-name': svcName } },
    addressType: 'IPv4',
    ports,
    endpoints: ips.map((e) => ({ addresses: [e.ip], conditions: e.ready === undefined ? {} : { ready: e.ready } })),
  };
}

let created = 0;
function ing(name: string, spec: Ingress['spec'], annotations?: Record<string, string>): Ingress {
  created++;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: 'ns', creationTimestamp: `2026-01-01T00:00:${String(created).padStart(2, '0')}Z`, ...(annotations ? { annotations } : {}) }, spec };
}

type HttpPath = NonNullable<IngressRule['http']>['paths'][number];
/** One rule: a host and its paths. */
const rule = (host: string, ...paths: HttpPath[]): IngressRule => ({ host, http: { paths } });

const backend = (name: string, port: number | string) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });

function input(ingresses: Ingress[], extra: Partial<ModelInput> = {}): ModelInput {
  const services = [svc('web', [{ name: 'http', port: 80 }]), svc('api', [{ port: 8080 }]), svc('empty', [{ name: 'http', port: 80 }]), svc('ext', [{ port: 80 }], 'ExternalName')];
  const slices = [slice('web', [{ name: 'http', port: 8080 }], [{ ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4', ready: false }]), slice('api', [{ port: 9000 }], [{ ip: '10.0.0.9' }])];
  return {
    ingresses,
    service: (ns, name) => services.find((s) => s.metadata.namespace === ns && s.metadata.name === name),
    slices: (ns, name) => slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels!['kubernetes.io/service-name'] === name),
    certificate: (ns, name) => (name === 'good-tls' ? { id: `${ns}_${name}_abc` } : { error: 'not found' }),
    ...extra,
  };
}

const settings: RenderSettings = {
  dir: '/tmp/ing',
  httpPort: 80,
  httpsPort: 443,
  publicHttpPort: 8080,
  publicHttpsPort: 8443,
  certificateFile: (id) => ({ cert: `/tmp/ing/certs/${id ?? 'default'}.crt`, key: `/tmp/ing/certs/${id ?? 'default'}.key` }),
};

describe('path types as nginx locations', () => {
  it('Exact is one exact location', () => {
    expect(locationsFor('Exact', '/foo')).toEqual([{ modifier: '=', path: '/foo', priority: 0 }]);
  });
  it('Prefix matches the path and everything below it, element-wise, trailing slash ignored', () => {
    expect(locationsFor('Prefix', '/foo')).toEqual([
      { modifier: '=', path: '/foo', priority: 1 },
      { modifier: '', path: '/foo/', priority: 1 },
    ]);
    expect(locationsFor('Prefix', '/foo/')).toEqual(locationsFor('Prefix', '/foo'));
    expect(locationsFor('Prefix', '/')).toEqual([{ modifier: '', path: '/', priority: 1 }]);
  });
  it("ImplementationSpecific is nginx's prefix match; an empty path is /", () => {
    expect(locationsFor('ImplementationSpecific', '/foo')).toEqual([{ modifier: '', path: '/foo', priority: 2 }]);
    expect(locationsFor('ImplementationSpecific', undefined)).toEqual([{ modifier: '', path: '/', priority: 2 }]);
  });
  it('refuses paths with characters that could change the configuration', () => {
    for (const p of ['/a b', '/a"b', '/a;}', '/a\\b', '/a\nb', '/é', '/a{b', '/a#b', '/a?b']) {
      const safe = !/[\s"\\{}#?é]/.test(p);
      expect(locationsFor('Prefix', p) !== undefined, p).toBe(safe);
      expect(locationsFor('ImplementationSpecific', p) !== undefined, p).toBe(safe);
    }
  });
});

describe('which Ingresses the controller serves', () => {
  const cls = (name: string, controller: string, isDefault = false): IngressClass => ({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) }, spec: { controller } });
  it('those naming a class of its controller, by field or legacy annotation; classless ones only when its class is default', () => {
    const mine = ourClasses([cls('flotilla', 'flotilla.dev/ingress-nginx', true), cls('nginx', 'k8s.io/ingress-nginx')]);
    expect(serves(ing('a', { ingressClassName: 'flotilla' }), mine)).toBe(true);
    expect(serves(ing('b', { ingressClassName: 'nginx' }), mine)).toBe(false);
    expect(serves(ing('c', {}, { 'kubernetes.io/ingress.class': 'flotilla' }), mine)).toBe(true);
    expect(serves(ing('d', {}), mine)).toBe(true);
    expect(serves(ing('e', {}), ourClasses([cls('flotilla', 'flotilla.dev/ingress-nginx')]))).toBe(false);
  });
});

describe('buildModel', () => {
  it('proxies each host and path to the ready endpoints of the Service port (by number or name)', () => {
    const m = buildModel(input([ing('a', { rules: [{ host: 'web.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 'http') }, { path: '/api', pathType: 'Prefix', backend: backend('api', 8080) }] } }] })]));
    expect(m.upstreams).toEqual([
      { name: 'ns_api_8080', servers: ['10.0.0.9:9000'] },
      { name: 'ns_web_http', servers: ['10.0.0.2:8080', '10.0.0.3:8080'] },
    ]);
    const web = m.servers.find((s) => s.host === 'web.localhost')!;
    expect(web.locations.map((l) => [l.modifier, l.path, l.upstream])).toEqual([
      ['', '/', 'ns_web_http'],
      ['', '/api/', 'ns_api_8080'],
      ['=', '/api', 'ns_api_8080'],
    ]);
    expect(m.problems).toEqual([]);
    expect(m.servers.map((s) => s.host)).toEqual([CATCH_ALL, 'web.localhost']);
  });

  it('answers 503 and reports a problem for a missing Service, a missing port, ExternalName and resource backends; 503 without a problem when no endpoint is ready', () => {
    const m = buildModel(
      input([
        ing('a', {
          rules: [
            rule(
              'h.localhost',
              { path: '/missing', pathType: 'Exact', backend: backend('nope', 80) },
              { path: '/port', pathType: 'Exact', backend: backend('web', 81) },
              { path: '/ext', pathType: 'Exact', backend: backend('ext', 80) },
              { path: '/res', pathType: 'Exact', backend: { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'b' } } },
              { path: '/empty', pathType: 'Exact', backend: backend('empty', 'http') },
            ),
          ],
        }),
      ]),
    );
    const locs = m.servers.find((s) => s.host === 'h.localhost')!.locations;
    expect(locs.every((l) => l.status === 503 && !l.upstream)).toBe(true);
    expect(m.problems.map((p) => [p.ingress, p.reason, p.message])).toEqual([
      ['ns/a', 'ServiceNotFound', 'Service "ns/nope" not found'],
      ['ns/a', 'ServicePortNotFound', 'Service "ns/web" has no TCP port 81'],
      ['ns/a', 'UnsupportedBackend', 'Service "ns/ext" is of type ExternalName, which the flotilla ingress controller does not proxy to'],
      ['ns/a', 'UnsupportedBackend', 'resource backends (StorageBucket "b") are not supported by the flotilla ingress controller'],
    ]);
    expect(m.upstreams).toEqual([]);
  });

  it('merges Ingresses for one host; on a collision the older Ingress wins, and Exact beats the exact half of a Prefix', () => {
    const older = ing('older', { rules: [{ host: 'h.localhost', http: { paths: [{ path: '/a', pathType: 'Prefix', backend: backend('web', 80) }] } }] });
    const newer = ing('newer', {
      rules: [
        rule(
          'h.localhost',
          { path: '/a', pathType: 'Prefix', backend: backend('api', 8080) },
          { path: '/a', pathType: 'Exact', backend: backend('api', 8080) },
          { path: '/b', pathType: 'Prefix', backend: backend('api', 8080) },
        ),
      ],
    });
    const m = buildModel(input([newer, older]));
    const locs = m.servers.find((s) => s.host === 'h.localhost')!.locations;
    expect(locs.map((l) => [l.modifier, l.path, l.ingress, l.upstream])).toEqual([
      ['', '/a/', 'ns/older', 'ns_web_http'],
      ['', '/b/', 'ns/newer', 'ns_api_8080'],
      ['=', '/a', 'ns/newer', 'ns_api_8080'],
      ['=', '/b', 'ns/newer', 'ns_api_8080'],
    ]);
  });

  it('serves defaultBackend at the root of its own hosts and of the catch-all server; rules without a host go to the catch-all', () => {
    const m = buildModel(input([ing('d', { defaultBackend: backend('api', 8080), rules: [{ host: 'x.localhost', http: { paths: [{ path: '/web', pathType: 'Prefix', backend: backend('web', 80) }] } }, { http: { paths: [{ path: '/any', pathType: 'Exact', backend: backend('web', 80) }] } }] })]));
    const x = m.servers.find((s) => s.host === 'x.localhost')!;
    expect(x.locations.find((l) => l.path === '/')?.upstream).toBe('ns_api_8080');
    const all = m.servers.find((s) => s.host === CATCH_ALL)!;
    expect(all.locations.map((l) => [l.modifier, l.path, l.upstream])).toEqual([
      ['', '/', 'ns_api_8080'],
      ['=', '/any', 'ns_web_http'],
    ]);
  });

  it('gives TLS hosts their Secret and an HTTP->HTTPS redirect (unless annotated off); a bad Secret is a problem and the host keeps the default certificate', () => {
    const m = buildModel(
      input([
        ing('t', { tls: [{ hosts: ['s.localhost'], secretName: 'good-tls' }, { hosts: ['b.localhost'], secretName: 'bad-tls' }], rules: ['s.localhost', 'b.localhost'].map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix' as const, backend: backend('web', 80) }] } })) }),
        ing('n', { tls: [{ hosts: ['n.localhost'], secretName: 'good-tls' }], rules: [{ host: 'n.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }] } }] }, { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' }),
      ]),
    );
    const host = (h: string) => m.servers.find((s) => s.host === h)!;
    expect(host('s.localhost').certificate).toBe('ns_good-tls_abc');
    expect(host('s.localhost').locations[0]!.sslRedirect).toBe(true);
    expect(host('b.localhost').certificate).toBeUndefined();
    expect(host('b.localhost').locations[0]!.sslRedirect).toBe(false);
    expect(host('n.localhost').locations[0]!.sslRedirect).toBe(false);
    expect(m.problems).toEqual([{ ingress: 'ns/t', reason: 'InvalidTLSSecret', message: 'TLS Secret "ns/bad-tls": not found; serving the default certificate' }]);
  });

  it('skips a path it cannot render safely, with a problem, and serves the rest', () => {
    const m = buildModel(input([ing('p', { rules: [{ host: 'p.localhost', http: { paths: [{ path: '/ok', pathType: 'ImplementationSpecific', backend: backend('web', 80) }, { path: '/x"; } evil {', pathType: 'ImplementationSpecific', backend: backend('web', 80) }] } }] })]));
    expect(m.servers.find((s) => s.host === 'p.localhost')!.locations.map((l) => l.path)).toEqual(['/ok']);
    expect(m.problems[0]).toMatchObject({ ingress: 'ns/p', reason: 'InvalidPath' });
  });

  it('skips a rule whose host nginx could not take as it is, with a problem', () => {
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.x`;
    const m = buildModel(input([ing('h', { rules: ['Upper.localhost', long, 'ok.localhost'].map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix' as const, backend: backend('web', 80) }] } })) })]));
    expect(m.servers.map((s) => s.host)).toEqual([CATCH_ALL, 'ok.localhost']);
    expect(m.problems.map((p) => p.reason)).toEqual(['InvalidHost', 'InvalidHost']);
    expect(m.problems[0]!.message).toBe('host "Upper.localhost" cannot be served: it must be a lowercase DNS name of at most 253 characters');
  });

  it('leaves out endpoint addresses nginx cannot parse: IPv6 with a zone, non-IPs (found by test/fuzz/ingress.fuzz.test.ts)', () => {
    // nginx refused the whole configuration: invalid IPv6 address in upstream "[fe80::1%eth0]:8080".
    const addrs = ['fe80::1%eth0', '::1', '10.0.0.7', 'pod.example', '1.2.3.4:80', '::ffff:10.0.0.8', '0:0::1'];
    const s = { ...slice('api', [{ port: 9000 }], addrs.map((ip) => ({ ip }))), addressType: 'IPv6' as const };
    const m = buildModel(input([ing('z', { rules: [{ host: 'z.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('api', 8080) }] } }] })], { slices: () => [s] }));
    expect(m.upstreams).toEqual([{ name: 'ns_api_8080', servers: ['10.0.0.7:9000', '[::1]:9000', '[::ffff:a00:8]:9000'] }]);
  });

  it('writes IPv6 endpoints in a form nginx reads (found by test/fuzz/ingress.fuzz.test.ts)', () => {
    // nginx refused the whole configuration: invalid IPv6 address in upstream "[22d:90:bae:7:0:5:9f::]:8443".
    const s = { ...slice('api', [{ port: 9000 }], [{ ip: '22d:90:bae:7:0:5:9f::' }, { ip: '::1:2:3:4:5:6:7' }]), addressType: 'IPv6' as const };
    const m = buildModel(input([ing('v6', { rules: [{ host: 'v6.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('api', 8080) }] } }] })], { slices: () => [s] }));
    expect(m.upstreams[0]!.servers).toEqual(['[0:1:2:3:4:5:6:7]:9000', '[22d:90:bae:7:0:5:9f:0]:9000']);
  });

  it('skips a path longer than nginx reads as one token (found by test/fuzz/ingress.fuzz.test.ts), with a short problem', () => {
    // nginx refused the whole configuration: "too long parameter, probably missing terminating '"' character".
    const longest = `/${'a'.repeat(MAX_PATH_LENGTH - 1)}`;
    const tooLong = `/${'b'.repeat(MAX_PATH_LENGTH)}`;
    const paths = [longest, tooLong].map((path) => ({ path, pathType: 'Prefix' as const, backend: backend('web', 80) }));
    const m = buildModel(input([ing('long', { rules: [{ host: 'l.localhost', http: { paths } }] })]));
    // Lengths, not the paths: a failure shows two numbers rather than 8 KiB of "a".
    expect(m.servers.find((s) => s.host === 'l.localhost')!.locations.map((l) => `${l.modifier}${l.path[1]}${l.path.length}`).sort()).toEqual([`=a${MAX_PATH_LENGTH}`, `a${MAX_PATH_LENGTH + 1}`]);
    expect(m.problems).toHaveLength(1);
    expect(m.problems[0]).toMatchObject({ ingress: 'ns/long', reason: 'InvalidPath', message: expect.stringContaining(`longer than ${MAX_PATH_LENGTH} characters`) });
    expect(m.problems[0]!.message.length).toBeLessThan(300);
  });
});

describe('renderNginxConfig', () => {
  const m = buildModel(
    input([
      ing('r', {
        tls: [{ hosts: ['s.localhost'], secretName: 'good-tls' }],
        rules: [
          { host: 's.localhost', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web', 80) }] } },
          { host: '*.wild.localhost', http: { paths: [{ path: '/x', pathType: 'Exact', backend: backend('nope', 80) }] } },
        ],
      }),
    ]),
  );
  const text = renderNginxConfig(m, settings);

  it('renders upstreams with keep-alive, servers with their certificates, and the default server', () => {
    expect(text).toContain('  upstream ns_web_http {\n    server 10.0.0.2:8080 max_fails=0;\n    server 10.0.0.3:8080 max_fails=0;\n    keepalive 320;');
    expect(text).toMatch(/server_name _;\n {4}listen 80 default_server backlog=4096;\n {4}listen 443 ssl default_server backlog=4096;\n {4}ssl_certificate "\/tmp\/ing\/certs\/default.crt";/);
    expect(text).toContain('server_name s.localhost;');
    expect(text).toContain('ssl_certificate "/tmp/ing/certs/ns_good-tls_abc.crt";');
    expect(text).toContain('return 404 "default backend - 404\\n";');
  });

  it('matches a wildcard host as exactly one label, redirects TLS hosts to the public HTTPS port, answers 503 for a missing Service', () => {
    expect(text).toContain('server_name "~^[^.]+\\.wild\\.localhost$";');
    expect(text).toContain('if ($scheme = http) { return 308 https://$host:8443$request_uri; }');
    expect(text).toMatch(/location = "\/x" \{\n {6}set \$proxy_upstream_name upstream-default-backend;\n {6}return 503;/);
  });

  it('passes WebSocket upgrades and the X-Forwarded headers with the public ports', () => {
    expect(text).toContain('proxy_set_header Upgrade $http_upgrade;');
    expect(text).toContain('proxy_set_header Connection $connection_upgrade;');
    expect(text).toMatch(/map \$scheme \$public_port \{\n {4}default 8080;\n {4}https 8443;/);
    expect(text).toContain('proxy_set_header X-Forwarded-Port $public_port;');
  });

  it('is the same text for the same model (the controller reloads only on change)', () => {
    expect(renderNginxConfig(m, settings)).toBe(text);
  });

  it('renders hosts as long as the API server allows, with hash buckets that hold them; longer ones not at all (found by test/fuzz/ingress.fuzz.test.ts)', () => {
    // nginx refused the whole configuration: could not build server_names_hash, you should increase server_names_hash_bucket_size: 128.
    const longest = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');
    const tooLong = `e${longest}`;
    const model = buildModel(input([ing('h', { rules: [longest, tooLong, 'short.localhost'].map((host) => ({ host, http: { paths: [{ path: '/', pathType: 'Prefix' as const, backend: backend('web', 80) }] } })) })]));
    const t = renderNginxConfig(model, settings);
    const names = [...t.matchAll(/server_name (\S+);/g)].map((x) => x[1]!.length);
    expect(names.sort((a, b) => a - b)).toEqual([1, 'short.localhost'.length, 253]);
    // nginx's element for a name: align(pointer + length + 2, pointer) plus a pointer per bucket.
    expect(Number(/server_names_hash_bucket_size (\d+);/.exec(t)?.[1])).toBeGreaterThanOrEqual(Math.ceil((8 + 253 + 2) / 8) * 8 + 8);
  });

  it('serves HTTP only when there is no certificate at all', () => {
    const t = renderNginxConfig(m, { ...settings, certificateFile: (id) => (id ? settings.certificateFile(id) : undefined) });
    expect(t).not.toContain('listen 443 ssl default_server');
    expect(t).toContain('listen 443 ssl;');
  });
});

describe('tlsPairFromSecret', () => {
  const secret = (crt: string, key: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns' }, data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') } });

  it('accepts a certificate with its chain, and refuses one whose chain has a certificate nginx cannot read (found by test/fuzz/ingress.fuzz.test.ts)', async () => {
    // nginx refused the whole configuration: cannot load certificate ...: PEM_read_bio_X509() failed.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ingress-tls-'));
    try {
      const pki = await ensurePki(dir, ['tls.localhost']);
      const nl = (pem: string) => (pem.endsWith('\n') ? pem : `${pem}\n`);
      const chain = tlsPairFromSecret(secret(nl(pki.serverCert) + nl(pki.caCert), pki.serverKey));
      expect('error' in chain ? chain.error : chain.cert.match(/BEGIN CERTIFICATE/g)?.length).toBe(2);
      const broken = tlsPairFromSecret(secret(`${nl(pki.serverCert)}-----BEGIN CERTIFICATE-----\nQUJDRA==\n-----END CERTIFICATE-----\n`, pki.serverKey));
      expect(broken).toEqual({ error: expect.stringMatching(/^certificate 2 of the chain in tls.crt is not a PEM certificate/) });
      // Blocks other than certificates (a key pasted along) stay out of the certificate file.
      const withKey = tlsPairFromSecret(secret(nl(pki.serverCert) + nl(pki.serverKey), pki.serverKey));
      expect(withKey).toMatchObject({ cert: expect.not.stringContaining('PRIVATE KEY') });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
