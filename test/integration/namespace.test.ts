import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import type { KubeObject, KubeList, Namespace } from '../../src-main/api/types.js';
import { RESOURCES } from '../../src-main/api/resources.js';
import { until } from '../helpers/wait.js';

// The namespace and service account controllers against the real API server, controller
// manager, scheduler and hollow nodes: `kubectl delete namespace` empties the namespace (pods on
// nodes finish through their kubelet) and then the namespace goes; every namespace gets a
// `default` ServiceAccount.

let c: TestCluster;
beforeAll(async () => {
  c = await startTestCluster({ controllers: true, scheduler: true, hollowNodes: { count: 2, podStartupDelayMs: 50 } });
});
afterAll(async () => c?.stop());

function listPath(key: string, ns: string): string {
  const r = RESOURCES.find((x) => x.key === key)!;
  return `${r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`}/namespaces/${ns}/${r.plural}`;
}

async function contentOf(ns: string): Promise<string[]> {
  const out: string[] = [];
  for (const r of RESOURCES.filter((x) => x.namespaced)) {
    const res = await c.request('GET', listPath(r.key, ns));
    for (const o of ((res.json as KubeList | undefined)?.items ?? []) as KubeObject[]) out.push(`${r.key}/${o.metadata.name}`);
  }
  return out;
}

describe('namespaces', () => {
  it('get a default ServiceAccount, recreated when deleted', async () => {
    await c.kubectlOK(['create', 'namespace', 'sa-test']);
    await until('default ServiceAccount', async () => (await c.request('GET', '/api/v1/namespaces/sa-test/serviceaccounts/default')).status === 200);
    await c.kubectlOK(['delete', 'serviceaccount', 'default', '-n', 'sa-test']);
    await until('default ServiceAccount again', async () => (await c.request('GET', '/api/v1/namespaces/sa-test/serviceaccounts/default')).status === 200);
  });

  it('kubectl delete namespace removes everything in it, then the namespace, and returns when done', async () => {
    await c.kubectlOK(['create', 'namespace', 'shop']);
    await c.kubectlOK(['create', 'deployment', 'web', '--image=nginx:1.27', '--replicas=3', '-n', 'shop']);
    await c.kubectlOK(['expose', 'deployment', 'web', '--port=80', '-n', 'shop']);
    await c.kubectlOK(['create', 'configmap', 'cfg', '--from-literal=a=b', '-n', 'shop']);
    await c.kubectlOK(['create', 'secret', 'generic', 'sec', '--from-literal=a=b', '-n', 'shop']);
    await c.kubectlOK(['run', 'solo', '--image=busybox:1.36', '-n', 'shop', '--', 'sleep', '3600']);
    await until('4 running pods in shop', async () => {
      const pods = ((await c.request('GET', '/api/v1/namespaces/shop/pods')).json as KubeList).items;
      return pods.length === 4 && pods.every((p) => p.status?.phase === 'Running');
    });
    await until('default ServiceAccount in shop', async () => (await c.request('GET', '/api/v1/namespaces/shop/serviceaccounts/default')).status === 200);

    // kubectl waits for the namespace to be gone (and fails at its --timeout if it is not).
    const out = await c.kubectlOK(['delete', 'namespace', 'shop', '--timeout=30s'], { timeoutMs: 35_000 });
    expect(out).toMatch(/namespace "shop" deleted/);
    expect((await c.request('GET', '/api/v1/namespaces/shop')).status).toBe(404);
    expect(await contentOf('shop')).toEqual([]);
    const r = await c.kubectl(['get', 'namespace', 'shop']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/namespaces "shop" not found/);
  });

  it('waits for content held by a finalizer, reporting why, then finishes', async () => {
    await c.kubectlOK(['create', 'namespace', 'held']);
    await c.request('POST', '/api/v1/namespaces/held/configmaps', { metadata: { name: 'keep', finalizers: ['example.com/hold'] } });
    await c.kubectlOK(['create', 'configmap', 'plain', '-n', 'held']);
    await c.kubectlOK(['delete', 'namespace', 'held', '--wait=false']);

    // Counts in the messages settle within a few seconds of the last change.
    const ns = await until('conditions on the terminating namespace', async () => {
      const n = (await c.request('GET', '/api/v1/namespaces/held')).json as Namespace;
      const conds = (n.status?.conditions ?? []) as { type: string; status: string; message?: string }[];
      return conds.some((x) => x.type === 'NamespaceContentRemaining' && x.message === 'Some resources are remaining: configmaps has 1 resource instances') ? n : undefined;
    });
    expect(ns.status!.phase).toBe('Terminating');
    expect(ns.spec!.finalizers).toEqual(['kubernetes']);
    const conds = Object.fromEntries((ns.status!.conditions as { type: string; status: string; reason: string; message: string }[]).map((x) => [x.type, x]));
    expect(conds.NamespaceContentRemaining).toMatchObject({ status: 'True', reason: 'SomeResourcesRemain' });
    expect(conds.NamespaceFinalizersRemaining!.message).toBe('Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
    expect(conds.NamespaceDeletionContentFailure).toMatchObject({ status: 'False' });
    expect(await contentOf('held')).toEqual(['configmaps/keep']);
    // New content is refused meanwhile.
    const refused = await c.kubectl(['create', 'configmap', 'late', '-n', 'held']);
    expect(refused.stderr).toMatch(/because it is being terminated/);

    const cm = (await c.request('GET', '/api/v1/namespaces/held/configmaps/keep')).json as KubeObject;
    await c.request('PATCH', '/api/v1/namespaces/held/configmaps/keep', { metadata: { finalizers: null, resourceVersion: cm.metadata.resourceVersion } }, { 'Content-Type': 'application/merge-patch+json' });
    await until('namespace held gone', async () => (await c.request('GET', '/api/v1/namespaces/held')).status === 404);
  });

  it('deletes a namespace that was already empty, and kubectl returns once it is gone', async () => {
    await c.kubectlOK(['create', 'namespace', 'empty']);
    // How fast is for bench/; here: kubectl's wait ends because the namespace went, not at its timeout.
    const out = await c.kubectlOK(['delete', 'namespace', 'empty', '--timeout=20s'], { timeoutMs: 25_000 });
    expect(out).toMatch(/namespace "empty" deleted/);
    expect((await c.request('GET', '/api/v1/namespaces/empty')).status).toBe(404);
  });
});
