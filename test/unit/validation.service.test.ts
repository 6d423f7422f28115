import { describe, expect, it } from 'vitest';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import { applyDefaults } from '../../src-main/api/defaults/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const lines = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);

function svc(spec: Record<string, unknown> = {}): KubeObject {
  const s: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec } };
  applyDefaults('services', s);
  return s;
}
const create = (s: KubeObject) => lines(validateCreate('services', s));

describe('service create', () => {
  it('accepts a defaulted ClusterIP service', () => {
    expect(create(svc())).toEqual([]);
  });

  it('requires ports unless headless or ExternalName', () => {
    expect(create(svc({ ports: [] }))).toEqual(['spec.ports: Required value']);
    expect(create(svc({ ports: [], clusterIP: 'None' }))).toEqual([]);
    expect(create(svc({ ports: [], type: 'ExternalName', externalName: 'db.example.com' }))).toEqual([]);
  });

  it('checks port numbers, names and protocols', () => {
    expect(create(svc({ ports: [{ port: 0, targetPort: 80 }] }))).toEqual(['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive']);
    expect(create(svc({ ports: [{ port: 80, name: 'http' }, { port: 443 }] }))).toEqual(['spec.ports[1].name: Required value']);
    expect(create(svc({ ports: [{ port: 80, name: 'http' }, { port: 443, name: 'http' }] }))).toEqual(['spec.ports[1].name: Duplicate value: "http"']);
    expect(create(svc({ ports: [{ port: 80, protocol: 'HTTP' }] }))).toEqual(['spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"']);
  });

  it('checks targetPort as a number or IANA name', () => {
    expect(create(svc({ ports: [{ port: 80, targetPort: 'http' }] }))).toEqual([]);
    expect(create(svc({ ports: [{ port: 80, targetPort: 'HTTP_PORT' }] }))).toEqual([
      'spec.ports[0].targetPort: Invalid value: "HTTP_PORT": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'spec.ports[0].targetPort: Invalid value: "HTTP_PORT": must contain at least one letter (a-z)',
    ]);
    expect(create(svc({ ports: [{ port: 80, targetPort: 99999 }] }))).toEqual(['spec.ports[0].targetPort: Invalid value: 99999: must be between 1 and 65535, inclusive']);
  });

  it('rejects duplicate (protocol, port) pairs like kube prints them', () => {
    expect(create(svc({ ports: [{ port: 80, name: 'a' }, { port: 80, name: 'b' }] }))).toEqual([
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    ]);
  });

  it('checks the type', () => {
    expect(create(svc({ type: 'Magic' }))).toEqual(['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']);
  });

  it('allows nodePort only for NodePort and LoadBalancer', () => {
    expect(create(svc({ ports: [{ port: 80, nodePort: 30080 }] }))).toEqual(["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
    expect(create(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }))).toEqual([]);
    expect(create(svc({ type: 'NodePort', ports: [{ port: 80, name: 'a', nodePort: 30080 }, { port: 81, name: 'b', nodePort: 30080 }] }))).toEqual([
      'spec.ports[1].nodePort: Duplicate value: 30080',
    ]);
  });

  it('checks LoadBalancer specifics', () => {
    expect(create(svc({ type: 'LoadBalancer', ports: [{ port: 10250 }] }))).toEqual([
      'spec.ports[0]: Invalid value: 10250: may not expose port 10250 externally since it is used by kubelet',
    ]);
    expect(create(svc({ type: 'NodePort', clusterIP: 'None' }))).toEqual([`spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`]);
  });

  it('validates selector labels and session affinity', () => {
    expect(create(svc({ selector: { 'bad key': 'x' } }))[0]).toMatch(/^spec\.selector: Invalid value: "bad key"/);
    expect(create(svc({ sessionAffinity: 'Sticky' }))).toEqual(['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"']);
    expect(create(svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 100000 } } }))).toEqual([
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 100000: must be greater than 0 and less than 86400',
    ]);
  });

  it('checks clusterIP and externalIPs values', () => {
    expect(create(svc({ clusterIP: '10.96.0.10' }))).toEqual([]);
    expect(create(svc({ clusterIP: 'ten' }))).toEqual(['spec.clusterIPs[0]: Invalid value: "ten": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
    expect(create(svc({ externalIPs: ['127.0.0.1'] }))).toEqual(['spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)']);
  });

  it('validates ExternalName services', () => {
    expect(create(svc({ type: 'ExternalName', externalName: '' }))).toEqual(['spec.externalName: Required value']);
    expect(create(svc({ type: 'ExternalName', externalName: 'db.example.com.' }))).toEqual([]);
    expect(create(svc({ type: 'ExternalName', externalName: 'x', clusterIP: '10.0.0.1' }))).toEqual(['spec.clusterIPs: Forbidden: may not be set for ExternalName services']);
  });

  it('checks traffic policies', () => {
    expect(create(svc({ externalTrafficPolicy: 'Local' }))).toEqual(['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services']);
    expect(create(svc({ type: 'NodePort', externalTrafficPolicy: 'Nearest' }))).toEqual([
      'spec.externalTrafficPolicy: Unsupported value: "Nearest": supported values: "Cluster", "Local"',
    ]);
    expect(create(svc({ internalTrafficPolicy: 'Node' }))).toEqual(['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"']);
  });

  it('reports missing defaults when defaulting was skipped', () => {
    const raw: KubeObject = { metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } };
    expect(lines(validateCreate('services', raw))).toEqual([
      'spec.ports[0].protocol: Required value',
      'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.sessionAffinity: Required value',
      'spec.type: Required value',
    ]);
  });
});

describe('service update', () => {
  const old = svc({ clusterIP: '10.96.0.10' });
  const update = (spec: Record<string, unknown>) => lines(validateUpdate('services', svc(spec), old));

  it('allows updates that keep the cluster IP', () => {
    expect(update({ clusterIP: '10.96.0.10', ports: [{ port: 8080 }] })).toEqual([]);
  });

  it('treats an omitted clusterIP as unchanged (the registry restores it)', () => {
    expect(update({ ports: [{ port: 8080 }] })).toEqual([]);
  });

  it('forbids changing the cluster IP', () => {
    expect(update({ clusterIP: '10.96.0.11' })).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
    expect(update({ clusterIP: 'None' })).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"None"}: may not change once set']);
  });

  it('allows switching to ExternalName', () => {
    expect(lines(validateUpdate('services', svc({ type: 'ExternalName', externalName: 'db.example.com', ports: [] }), old))).toEqual([]);
  });

  it('forbids changing the primary IP family', () => {
    expect(update({ clusterIP: '10.96.0.10', ipFamilies: ['IPv6'] })).toEqual([
      'spec.ipFamilies[0]: Invalid value: []core.IPFamily{"IPv6"}: may not change once set',
      'spec.clusterIPs[0]: Invalid value: "10.96.0.10": expected an IPv6 value as indicated by `ipFamilies[0]`',
    ]);
  });
});
