import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { until } from '../helpers/wait.js';

// The root CA publisher: every namespace gets the ConfigMap kube-root-ca.crt with the cluster CA,
// and it comes back when deleted or changed, as kube-controller-manager keeps it.

const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({ controllers: true });
});
afterAll(async () => c?.stop());

const getCA = async (ns: string) => {
  const r = await c.request('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
  return r.status === 200 ? r.json : undefined;
};
const published = (ns: string) =>
  until(`kube-root-ca.crt in ${ns}`, async () => {
    const cm = await getCA(ns);
    return cm?.data?.['ca.crt'] === c.cp.caCert && cm.metadata.annotations?.['kubernetes.io/description'] === DESCRIPTION ? cm : undefined;
  });

describe('kube-root-ca.crt', () => {
  it('is published in every namespace, old and new', async () => {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      const cm = await published(ns);
      expect(Object.keys(cm.data)).toEqual(['ca.crt']);
    }
    await c.kubectlOK(['create', 'namespace', 'fresh']);
    await published('fresh');
  });

  it('comes back when deleted', async () => {
    const before = await published('default');
    await c.kubectlOK(['delete', 'configmap', 'kube-root-ca.crt', '-n', 'default']);
    const after = await published('default');
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
  });

  it('is put back when its data or annotation is changed', async () => {
    await published('default');
    await c.kubectlOK(['patch', 'configmap', 'kube-root-ca.crt', '-n', 'default', '--type=merge', '-p', '{"data":{"ca.crt":"forged","extra":"x"}}']);
    const fixed = await published('default');
    expect(fixed.data).toEqual({ 'ca.crt': c.cp.caCert });
    await c.kubectlOK(['annotate', 'configmap', 'kube-root-ca.crt', '-n', 'default', 'kubernetes.io/description-']);
    await published('default');
  });
});
