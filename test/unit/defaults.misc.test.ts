import { describe, expect, it } from 'vitest';
import { applyDefaults, prepareServiceUpdate } from '../../src-main/api/defaults/index.js';
import { validateCreate, validateUpdate } from '../../src-main/api/validation/index.js';
import type { KubeObject } from '../../src-main/api/types.js';

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));
const idempotent = (key: string, o: KubeObject) => {
  applyDefaults(key, o);
  const once = clone(o);
  applyDefaults(key, o);
  expect(o).toEqual(once);
};

describe('deployment defaults', () => {
  const dep = (spec: Record<string, unknown> = {}): KubeObject => ({
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } }, ...spec },
  });

  it('fills replicas, strategy, history and deadline', () => {
    const d = dep();
    applyDefaults('deployments.apps', d);
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(validateCreate('deployments.apps', d)).toEqual([]);
  });

  it('defaults the template as a pod spec, without pod-only fields', () => {
    const d = dep();
    applyDefaults('deployments.apps', d);
    expect(d.spec.template.spec).toEqual({
      containers: [{ name: 'web', image: 'nginx', imagePullPolicy: 'Always', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} }],
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
    });
  });

  it('keeps explicit values, including zero replicas and a partial rollingUpdate', () => {
    const d = dep({ replicas: 0, strategy: { rollingUpdate: { maxSurge: 1 } }, revisionHistoryLimit: 0 });
    applyDefaults('deployments.apps', d);
    expect(d.spec.replicas).toBe(0);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } });
    expect(d.spec.revisionHistoryLimit).toBe(0);
  });

  it('adds no rollingUpdate for Recreate', () => {
    const d = dep({ strategy: { type: 'Recreate' } });
    applyDefaults('deployments.apps', d);
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('is idempotent', () => idempotent('deployments.apps', dep()));
});

describe('replicaset defaults', () => {
  it('fills replicas and the template', () => {
    const rs: KubeObject = { metadata: { name: 'x', namespace: 'default' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [{ name: 'c', image: 'i:1' }] } } } };
    applyDefaults('replicasets.apps', rs);
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template.spec.restartPolicy).toBe('Always');
    expect(rs.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(rs.spec).not.toHaveProperty('revisionHistoryLimit');
  });
});

describe('service defaults', () => {
  const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'default' }, spec });

  it('defaults a ClusterIP service like kube', () => {
    const s = svc({ selector: { app: 'web' }, ports: [{ port: 80 }] });
    applyDefaults('services', s);
    expect(s.spec).toEqual({
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  it('keeps a named targetPort and an explicit protocol', () => {
    const s = svc({ ports: [{ port: 53, protocol: 'UDP', targetPort: 'dns' }] });
    applyDefaults('services', s);
    expect(s.spec.ports[0]).toEqual({ port: 53, protocol: 'UDP', targetPort: 'dns' });
  });

  it('adds externalTrafficPolicy and allocateLoadBalancerNodePorts where they apply', () => {
    const np = svc({ type: 'NodePort', ports: [{ port: 80 }] });
    applyDefaults('services', np);
    expect(np.spec.externalTrafficPolicy).toBe('Cluster');
    expect(np.spec).not.toHaveProperty('allocateLoadBalancerNodePorts');
    const lb = svc({ type: 'LoadBalancer', ports: [{ port: 80 }] });
    applyDefaults('services', lb);
    expect(lb.spec).toMatchObject({ externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, internalTrafficPolicy: 'Cluster' });
    expect(validateCreate('services', lb)).toEqual([]);
    const cip = svc({ ports: [{ port: 80 }] });
    applyDefaults('services', cip);
    expect(cip.spec).not.toHaveProperty('externalTrafficPolicy');
  });

  it('mirrors clusterIP into clusterIPs and gives headless selectorless services RequireDualStack', () => {
    const s = svc({ clusterIP: '10.96.0.20', ports: [{ port: 80 }] });
    applyDefaults('services', s);
    expect(s.spec.clusterIPs).toEqual(['10.96.0.20']);
    const headless = svc({ clusterIP: 'None' });
    applyDefaults('services', headless);
    expect(headless.spec).toMatchObject({ clusterIPs: ['None'], ipFamilyPolicy: 'RequireDualStack', ipFamilies: ['IPv4'] });
    expect(validateCreate('services', headless)).toEqual([]);
  });

  it('adds no IP fields to ExternalName services', () => {
    const s = svc({ type: 'ExternalName', externalName: 'db.example.com' });
    applyDefaults('services', s);
    expect(s.spec).toEqual({ type: 'ExternalName', externalName: 'db.example.com', sessionAffinity: 'None' });
    expect(validateCreate('services', s)).toEqual([]);
  });

  it('handles ClientIP session affinity', () => {
    const s = svc({ sessionAffinity: 'ClientIP', ports: [{ port: 80 }] });
    applyDefaults('services', s);
    expect(s.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    const none = svc({ sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } }, ports: [{ port: 80 }] });
    applyDefaults('services', none);
    expect(none.spec).not.toHaveProperty('sessionAffinityConfig');
  });

  it('is idempotent', () => idempotent('services', svc({ type: 'LoadBalancer', ports: [{ port: 80 }] })));
});

describe('prepareServiceUpdate', () => {
  const stored = (spec: Record<string, unknown>): KubeObject => {
    const s: KubeObject = { metadata: { name: 'web', namespace: 'default' }, spec };
    applyDefaults('services', s);
    return s;
  };

  it('keeps allocated cluster IP and node ports the client omitted', () => {
    const old = stored({ type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ name: 'http', port: 80, nodePort: 30080 }] });
    const n: KubeObject = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'NodePort', ports: [{ name: 'http', port: 80 }] } };
    prepareServiceUpdate(n, old);
    applyDefaults('services', n);
    expect(n.spec.clusterIP).toBe('10.96.0.5');
    expect(n.spec.clusterIPs).toEqual(['10.96.0.5']);
    expect(n.spec.ports[0].nodePort).toBe(30080);
    expect(validateUpdate('services', n, old)).toEqual([]);
  });

  it('drops carried-over fields when the type no longer uses them', () => {
    const old = stored({ type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30080 }] });
    const toCluster = clone(old);
    toCluster.spec.type = 'ClusterIP';
    prepareServiceUpdate(toCluster, old);
    applyDefaults('services', toCluster);
    expect(toCluster.spec.ports[0]).not.toHaveProperty('nodePort');
    expect(toCluster.spec).not.toHaveProperty('externalTrafficPolicy');
    expect(validateUpdate('services', toCluster, old)).toEqual([]);

    const toExternal = clone(old);
    toExternal.spec.type = 'ExternalName';
    toExternal.spec.externalName = 'db.example.com';
    prepareServiceUpdate(toExternal, old);
    applyDefaults('services', toExternal);
    expect(toExternal.spec).not.toHaveProperty('clusterIP');
    expect(toExternal.spec).not.toHaveProperty('ipFamilies');
    expect(validateUpdate('services', toExternal, old)).toEqual([]);
  });
});

describe('secret defaults', () => {
  it('sets type Opaque and folds stringData into base64 data', () => {
    const s: KubeObject = { metadata: { name: 's', namespace: 'default' }, data: { a: Buffer.from('old').toString('base64'), b: 'Yg==' }, stringData: { a: 'new', c: 'ç' } };
    applyDefaults('secrets', s);
    expect(s).toEqual({
      metadata: { name: 's', namespace: 'default' },
      type: 'Opaque',
      data: { a: Buffer.from('new').toString('base64'), b: 'Yg==', c: Buffer.from('ç').toString('base64') },
    });
  });
  it('keeps an explicit type and is idempotent', () => {
    const s: KubeObject = { metadata: { name: 's', namespace: 'default' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': 'c', 'tls.key': 'k' } };
    idempotent('secrets', s);
    expect(s.type).toBe('kubernetes.io/tls');
    expect(s).not.toHaveProperty('stringData');
  });
});

describe('other kinds', () => {
  it('namespaces get the kubernetes finalizer, phase Active and the name label', () => {
    const ns: KubeObject = { metadata: { name: 'team-a', labels: { owner: 'x' } } };
    applyDefaults('namespaces', ns);
    expect(ns).toEqual({
      metadata: { name: 'team-a', labels: { owner: 'x', 'kubernetes.io/metadata.name': 'team-a' } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    idempotent('namespaces', ns);
    const terminating: KubeObject = { metadata: { name: 'x' }, spec: { finalizers: [] }, status: { phase: 'Terminating' } };
    applyDefaults('namespaces', terminating);
    expect(terminating.spec.finalizers).toEqual([]);
    expect(terminating.status.phase).toBe('Terminating');
  });

  it('endpointslice ports get name "" and protocol TCP', () => {
    const es: KubeObject = { metadata: { name: 'e', namespace: 'default' }, addressType: 'IPv4', endpoints: [], ports: [{ port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] };
    applyDefaults('endpointslices.discovery.k8s.io', es);
    expect(es.ports).toEqual([{ port: 80, name: '', protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }]);
  });

  it('endpoints ports get protocol TCP', () => {
    const ep: KubeObject = { metadata: { name: 'e', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] };
    applyDefaults('endpoints', ep);
    expect((ep.subsets as { ports: unknown[] }[])[0].ports).toEqual([{ port: 80, protocol: 'TCP' }]);
  });

  it('ingress classes default their parameters scope; ingresses get nothing', () => {
    const ic: KubeObject = { metadata: { name: 'c' }, spec: { controller: 'a.io/b', parameters: { kind: 'K', name: 'n' } } };
    applyDefaults('ingressclasses.networking.k8s.io', ic);
    expect(ic.spec.parameters.scope).toBe('Cluster');
    const ing: KubeObject = { metadata: { name: 'i', namespace: 'default' }, spec: { rules: [{ http: { paths: [{ path: '/', backend: {} }] } }] } };
    const before = clone(ing);
    applyDefaults('ingresses.networking.k8s.io', ing);
    expect(ing).toEqual(before);
  });

  it('nodes default allocatable to capacity', () => {
    const node: KubeObject = { metadata: { name: 'n' }, status: { capacity: { cpu: '4', memory: '8Gi' } } };
    applyDefaults('nodes', node);
    expect(node.status.allocatable).toEqual({ cpu: '4', memory: '8Gi' });
  });

  it('leaves unknown and default-less kinds untouched', () => {
    for (const key of ['configmaps', 'leases.coordination.k8s.io', 'events', 'serviceaccounts', 'widgets.example.com']) {
      const o: KubeObject = { metadata: { name: 'x', namespace: 'default' }, data: { a: 'b' } };
      applyDefaults(key, o);
      expect(o).toEqual({ metadata: { name: 'x', namespace: 'default' }, data: { a: 'b' } });
    }
  });
});
