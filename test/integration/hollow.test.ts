import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { Lease, Node, Pod } from '../../src-main/api/types.js';
import { until } from '../helpers/wait.js';

// Hollow nodes (kubemark-style) against a real API server: they register, renew Leases, report
// pods bound to them Running/Ready with an IP, finish deleted pods, and can stop heartbeating.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ hollowNodes: { count: 3, podStartupDelayMs: 50, leaseRenewIntervalMs: 200, capacity: { cpu: '2', memory: '4Gi', pods: '20' } } });
});
afterAll(async () => c?.stop());

const lease = async (node: string) => (await c.request('GET', `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`)).json as Lease;

/** Waits until `node` has renewed its Lease `times` more times. */
async function renewed(node: string, times: number): Promise<Lease> {
  let last = await lease(node);
  for (let i = 0; i < times; i++) {
    const prev = last.spec!.renewTime;
    last = await until(`${node} to renew its Lease`, async () => {
      const l = await lease(node);
      return l.spec!.renewTime !== prev ? l : undefined;
    }, undefined, 25);
  }
  return last;
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
    const a = await lease('hollow-node-1');
    const b = await renewed('hollow-node-1', 1);
    expect(Date.parse(b.spec!.renewTime!)).toBeGreaterThan(Date.parse(a.spec!.renewTime!));
  });

  it('report bound pods Running and Ready with an IP, and finish deleted ones', async () => {
    await c.request('POST', '/api/v1/namespaces/default/pods', { metadata: { name: 'h1' }, spec: { nodeName: 'hollow-node-2', containers: [{ name: 'c', image: 'busybox:1.36' }] } });
    const pod = await until('h1 Running', async () => {
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
    // Another node renewing twice spans a whole renewal interval: by then node 0 has seen the
    // annotation (any renewal in flight has landed), and from then on it renews no more while the
    // other one (the positive control) keeps renewing.
    await renewed('hollow-node-1', 2);
    const before = await lease('hollow-node-0');
    await renewed('hollow-node-1', 2);
    expect((await lease('hollow-node-0')).spec!.renewTime).toBe(before.spec!.renewTime);
    await c.kubectlOK(['annotate', 'node', 'hollow-node-0', 'hollow.flotilla.dev/heartbeat-']);
    await renewed('hollow-node-0', 1);
  });
});
