import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { Lease, Node, Pod } from '../../src-main/api/types.js';

// Hollow nodes (kubemark-style) against a real API server: they register, renew Leases, report
// pods bound to them Running/Ready with an IP, finish deleted pods, and can stop heartbeating.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ hollowNodes: { count: 3, podStartupDelayMs: 50, leaseRenewIntervalMs: 200, capacity: { cpu: '2', memory: '4Gi', pods: '20' } } });
});
afterAll(async () => c?.stop());

async function until<T>(f: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('hollow nodes', () => {
  it('register Ready nodes with the configured capacity', async () => {
    const out = await c.kubectlOK(['get', 'nodes']);
    expect(out).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    expect(out.match(/hollow-node-\d\s+Ready\s+<none>\s+\S+\s+v1\.32\.0-hollow/g)).toHaveLength(3);
    const node = (await c.request('GET', '/api/v1/nodes/hollow-node-0')).json as Node;
    expect(node.status!.allocatable).toMatchObject({ cpu: '2', memory: '4Gi', pods: '20' });
  });

  it('renew their Leases', async () => {
    const a = (await c.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-node-1')).json as Lease;
    const b = await until(async () => {
      const l = (await c.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-node-1')).json as Lease;
      return l.spec!.renewTime !== a.spec!.renewTime ? l : undefined;
    });
    expect(Date.parse(b.spec!.renewTime!)).toBeGreaterThan(Date.parse(a.spec!.renewTime!));
  });

  it('report bound pods Running and Ready with an IP, and finish deleted ones', async () => {
    await c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'h1' }, spec: { nodeName: 'hollow-node-2', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const pod = await until(async () => {
      const p = (await c.request('GET', '/api/v1/namespaces/default/pods/h1')).json as Pod;
      return p.status?.phase === 'Running' ? p : undefined;
    });
    expect(pod.status!.podIP).toMatch(/^10\.128\.2\.\d+$/);
    expect(pod.status!.conditions!.find((x) => x.type === 'Ready')!.status).toBe('True');
    expect(pod.status!.containerStatuses![0]).toMatchObject({ name: 'c', ready: true, restartCount: 0 });
    expect(await c.kubectlOK(['get', 'pod', 'h1'])).toMatch(/h1\s+1\/1\s+Running\s+0/);
    // kubectl delete waits for the kubelet's final delete.
    await c.kubectlOK(['delete', 'pod', 'h1', '--timeout=10s']);
    expect((await c.request('GET', '/api/v1/namespaces/default/pods/h1')).status).toBe(404);
  });

  it('stop heartbeating when annotated, and resume', async () => {
    await c.kubectlOK(['annotate', 'node', 'hollow-node-0', 'hollow.flotilla.dev/heartbeat=stopped']);
    const before = (await c.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-node-0')).json as Lease;
    await new Promise((r) => setTimeout(r, 700));
    const after = (await c.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-node-0')).json as Lease;
    expect(after.spec!.renewTime).toBe(before.spec!.renewTime);
    await c.kubectlOK(['annotate', 'node', 'hollow-node-0', 'hollow.flotilla.dev/heartbeat-']);
    await until(async () => {
      const l = (await c.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/hollow-node-0')).json as Lease;
      return l.spec!.renewTime !== before.spec!.renewTime ? l : undefined;
    });
  });
});
