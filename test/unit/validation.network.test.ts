import { describe, expect, it } from 'vitest';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import { applyDefaults } from '../../src-main/api/defaults/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);

describe('ingresses', () => {
  const ING = 'ingresses.networking.k8s.io';
  const ingress = (spec: Record<string, unknown>, annotations?: Record<string, string>): KubeObject => ({
    metadata: { name: 'web', namespace: 'default', annotations },
    spec,
  });
  const rule = (host: string | undefined, path: Record<string, unknown>) => ({ host, http: { paths: [path] } });
  const backend = { service: { name: 'web', port: { number: 80 } } };

  it('accepts rules with exact, prefix and wildcard hosts', () => {
    expect(validateCreate(ING, ingress({ rules: [rule('*.example.com', { path: '/', pathType: 'Prefix', backend })] }))).toEqual([]);
    expect(validateCreate(ING, ingress({ defaultBackend: { service: { name: 'web', port: { name: 'http' } } } }))).toEqual([]);
  });

  it('requires rules or a default backend', () => {
    expect(lines(validateCreate(ING, ingress({})))).toEqual(['spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified']);
  });

  it('checks hosts', () => {
    expect(lines(validateCreate(ING, ingress({ rules: [rule('10.0.0.1', { path: '/', pathType: 'Prefix', backend })] })))[0]).toBe(
      'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    );
    expect(lines(validateCreate(ING, ingress({ rules: [rule('*.*.example.com', { path: '/', pathType: 'Prefix', backend })] })))[0]).toMatch(
      /^spec\.rules\[0\]\.host: Invalid value: "\*\.\*\.example\.com": a wildcard DNS-1123 subdomain must start with '\*\.'/,
    );
    expect(lines(validateCreate(ING, ingress({ rules: [rule('Example.com', { path: '/', pathType: 'Prefix', backend })] })))[0]).toMatch(/a lowercase RFC 1123 subdomain/);
  });

  it('checks paths and pathType', () => {
    const errs = (path: Record<string, unknown>) => lines(validateCreate(ING, ingress({ rules: [rule('a.com', { backend, ...path })] })));
    expect(errs({ path: 'api', pathType: 'Prefix' })).toEqual(['spec.rules[0].http.paths[0].path: Invalid value: "api": must be an absolute path']);
    expect(errs({ path: '/a//b', pathType: 'Exact' })).toEqual([`spec.rules[0].http.paths[0].path: Invalid value: "/a//b": must not contain '//'`]);
    expect(errs({ path: '/a/..', pathType: 'Exact' })).toEqual([`spec.rules[0].http.paths[0].path: Invalid value: "/a/..": cannot end with '/..'`]);
    expect(errs({ path: '/' })).toEqual(['spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified']);
    expect(errs({ path: '/', pathType: 'Regex' })).toEqual([
      'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
    ]);
    expect(errs({ pathType: 'ImplementationSpecific' })).toEqual([]);
    expect(lines(validateCreate(ING, ingress({ rules: [{ host: 'a.com', http: { paths: [] } }] })))).toEqual(['spec.rules[0].http.paths: Required value']);
  });

  it('checks backends', () => {
    const errs = (b: Record<string, unknown>) => lines(validateCreate(ING, ingress({ rules: [rule('a.com', { path: '/', pathType: 'Prefix', backend: b })] })));
    const p = 'spec.rules[0].http.paths[0].backend';
    expect(errs({ service: { port: { number: 80 } } })).toEqual([`${p}.service.name: Required value`]);
    expect(errs({ service: { name: 'web', port: {} } })).toEqual([`${p}: Required value: port name or number is required`]);
    expect(errs({ service: { name: 'web' } })).toEqual([`${p}: Required value: port name or number is required`]);
    expect(errs({ service: { name: 'web', port: { number: 80, name: 'http' } } })).toEqual([`${p}: Invalid value: "": cannot set both port name & port number`]);
    expect(errs({ service: { name: 'web', port: { number: 70000 } } })).toEqual([`${p}.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive`]);
    expect(errs({})).toEqual([`${p}: Invalid value: "": resource or service backend is required`]);
    expect(errs({ resource: { kind: 'Bucket', name: 'b' }, service: { name: 'web', port: { number: 80 } } })).toEqual([
      `${p}: Invalid value: "": cannot set both resource and service backends`,
    ]);
  });

  it('requires the class annotation to match ingressClassName on create', () => {
    const ing = ingress({ ingressClassName: 'nginx', defaultBackend: backend }, { 'kubernetes.io/ingress.class': 'traefik' });
    expect(lines(validateCreate(ING, ing))).toEqual(['annotations.kubernetes.io/ingress.class: Invalid value: "traefik": must match `ingressClassName` when both are specified']);
    expect(validateUpdate(ING, ing, ing)).toEqual([]);
  });

  it('checks TLS hosts and secret names', () => {
    expect(lines(validateCreate(ING, ingress({ defaultBackend: backend, tls: [{ hosts: ['*.example.com', 'Bad'], secretName: 'tls_cert' }] })))).toEqual([
      expect.stringMatching(/^spec\.tls\[0\]\.hosts\[1\]: Invalid value: "Bad"/),
      expect.stringMatching(/^spec\.tls\[0\]\.secretName: Invalid value: "tls_cert"/),
    ]);
  });
});

describe('ingressclasses', () => {
  const IC = 'ingressclasses.networking.k8s.io';
  const ic = (spec: Record<string, unknown>): KubeObject => {
    const o: KubeObject = { metadata: { name: 'nginx' }, spec };
    applyDefaults(IC, o);
    return o;
  };
  it('requires a domain-prefixed controller', () => {
    expect(validateCreate(IC, ic({ controller: 'k8s.io/ingress-nginx' }))).toEqual([]);
    expect(lines(validateCreate(IC, ic({})))).toEqual(['spec.controller: Required value']);
    expect(lines(validateCreate(IC, ic({ controller: 'nginx' })))).toEqual(['spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")']);
  });
  it('checks parameters and keeps the controller immutable', () => {
    expect(lines(validateCreate(IC, ic({ controller: 'a.io/c', parameters: { kind: 'X', name: 'p', scope: 'Namespace' } })))).toEqual([
      "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'",
    ]);
    expect(lines(validateUpdate(IC, ic({ controller: 'a.io/d' }), ic({ controller: 'a.io/c' })))).toEqual(['spec.controller: Invalid value: "a.io/d": field is immutable']);
  });
});

describe('endpoints and endpointslices', () => {
  it('checks Endpoints subsets', () => {
    const ep = (subsets: unknown[]): KubeObject => {
      const o: KubeObject = { metadata: { name: 'web', namespace: 'default' }, subsets };
      applyDefaults('endpoints', o);
      return o;
    };
    expect(validateCreate('endpoints', ep([{ addresses: [{ ip: '10.1.0.5' }], ports: [{ port: 80 }] }]))).toEqual([]);
    expect(lines(validateCreate('endpoints', ep([{ ports: [{ port: 80 }] }])))).toEqual(['subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`']);
    expect(lines(validateCreate('endpoints', ep([{ addresses: [{ ip: 'x' }] }])))).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address',
    ]);
    expect(lines(validateCreate('endpoints', ep([{ addresses: [{ ip: '10.1.0.5' }], ports: [{ port: 80 }, { port: 81, name: 'b' }] }])))).toEqual([
      'subsets[0].ports[0].name: Required value',
    ]);
  });

  it('checks EndpointSlices', () => {
    const ES = 'endpointslices.discovery.k8s.io';
    const es = (extra: Record<string, unknown>): KubeObject => {
      const o: KubeObject = { metadata: { name: 'web-abc', namespace: 'default' }, addressType: 'IPv4', endpoints: [], ...extra };
      applyDefaults(ES, o);
      return o;
    };
    expect(validateCreate(ES, es({ endpoints: [{ addresses: ['10.1.0.5'] }], ports: [{ port: 80 }] }))).toEqual([]);
    expect(lines(validateCreate(ES, es({ addressType: 'IPv5' })))).toEqual(['addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"']);
    expect(lines(validateCreate(ES, es({ addressType: '' })))).toEqual(['addressType: Required value']);
    expect(lines(validateCreate(ES, es({ endpoints: [{ addresses: [] }] })))).toEqual(['endpoints[0].addresses: Required value: must contain at least 1 address']);
    expect(lines(validateCreate(ES, es({ endpoints: [{ addresses: ['fd00::1'] }] })))).toEqual(['endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address']);
    expect(lines(validateCreate(ES, es({ ports: [{ port: 80, protocol: 'HTTP' }] })))).toEqual(['ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']);
    expect(lines(validateCreate(ES, es({ ports: [{ port: 80 }, { port: 81 }] })))).toEqual(['ports[1].name: Duplicate value: ""']);
    expect(lines(validateUpdate(ES, es({ addressType: 'IPv6' }), es({})))).toEqual(['addressType: Invalid value: "IPv6": field is immutable']);
  });
});

describe('events, leases, nodes, namespaces, serviceaccounts', () => {
  it('requires involvedObject and matching namespaces on events', () => {
    const ev = (extra: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web.1', namespace: 'default' }, reason: 'Started', ...extra });
    expect(validateCreate('events', ev({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' } }))).toEqual([]);
    expect(lines(validateCreate('events', ev({})))).toEqual(['involvedObject: Required value']);
    expect(lines(validateCreate('events', ev({ involvedObject: { kind: 'Pod', name: 'web', namespace: 'other' } })))).toEqual([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    ]);
    expect(validateCreate('events', ev({ involvedObject: { kind: 'Node', name: 'n1' } }))).toEqual([]);
    expect(lines(validateCreate('events', ev({ eventTime: '2024-01-01T00:00:00.000000Z', involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' } })))).toEqual([
      'reportingController: Required value',
      expect.stringMatching(/^reportingController: Invalid value: "": name part must be non-empty/),
      expect.stringMatching(/^reportingController: Invalid value: "": name part must consist of/),
      'reportingInstance: Required value',
      'action: Required value',
    ]);
  });

  it('checks lease numbers', () => {
    const L = 'leases.coordination.k8s.io';
    const lease = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'node-1', namespace: 'kube-node-lease' }, spec });
    expect(validateCreate(L, lease({ holderIdentity: 'node-1', leaseDurationSeconds: 40 }))).toEqual([]);
    expect(lines(validateCreate(L, lease({ leaseDurationSeconds: 0, leaseTransitions: -1 })))).toEqual([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
      'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });

  it('validates nodes minimally (taints, pod CIDRs)', () => {
    const node = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'flotilla-worker' }, spec });
    expect(validateCreate('nodes', node({ podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] }))).toEqual([]);
    expect(lines(validateCreate('nodes', node({ taints: [{ key: 'k', effect: 'Sometimes' }] })))).toEqual([
      'metadata.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
    ]);
    expect(lines(validateCreate('nodes', node({ podCIDRs: ['nope'] })))).toEqual(['spec.podCIDRs[0]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)']);
    expect(lines(validateUpdate('nodes', node({ podCIDRs: ['10.244.2.0/24'] }), node({ podCIDRs: ['10.244.1.0/24'] })))).toEqual([
      'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    ]);
    expect(validateUpdate('nodes', node({ podCIDRs: ['10.244.2.0/24'], unschedulable: true }), node({}))).toEqual([]);
  });

  it('validates namespace finalizers', () => {
    expect(lines(validateCreate('namespaces', { metadata: { name: 'a' }, spec: { finalizers: ['custom'] } }))).toEqual([
      'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  it('validates serviceaccounts by metadata', () => {
    expect(validateCreate('serviceaccounts', { metadata: { name: 'builder', namespace: 'default' } })).toEqual([]);
    expect(lines(validateCreate('serviceaccounts', { metadata: { name: 'Builder', namespace: 'default' } }))[0]).toMatch(/^metadata\.name: Invalid value: "Builder"/);
  });
});
