import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { until } from '../helpers/wait.js';

// The ServiceAccount admission plugin on pod creation, as kube 1.32's: the default service account,
// a refusal for one that does not exist, and the kube-api-access-<5> projected volume mounted
// read-only in every container and init container unless automount is off or the path is taken.

const MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster({ controllers: true });
  await until('the default service account', async () => (await c.request('GET', '/api/v1/namespaces/default/serviceaccounts/default')).status === 200);
});
afterAll(async () => c?.stop());

const create = async (name: string, spec: Record<string, unknown> = {}, ns = 'default') =>
  c.request('POST', `/api/v1/namespaces/${ns}/pods`, { metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox:1.36' }], ...spec } });

async function created(name: string, spec?: Record<string, unknown>, ns?: string): Promise<any> {
  const r = await create(name, spec, ns);
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text}`);
  return r.json;
}

describe('ServiceAccount admission', () => {
  it('runs a pod as `default` with the kube-api-access volume, exactly as kube adds it', async () => {
    const pod = await created('plain', { initContainers: [{ name: 'init', image: 'busybox:1.36' }] });
    expect(pod.spec.serviceAccountName).toBe('default');
    expect(pod.spec.serviceAccount).toBe('default');
    expect(pod.spec.volumes).toHaveLength(1);
    const volume = pod.spec.volumes[0];
    expect(volume.name).toMatch(/^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(volume).toEqual({
      name: volume.name,
      projected: {
        defaultMode: 420,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
          { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
          { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
        ],
      },
    });
    for (const ctr of [...pod.spec.initContainers, ...pod.spec.containers]) {
      expect(ctr.volumeMounts).toEqual([{ name: volume.name, readOnly: true, mountPath: MOUNT }]);
    }
  });

  it('refuses a pod whose service account does not exist, as kube words it', async () => {
    const r = await create('orphan', { serviceAccountName: 'nope' });
    expect(r.status).toBe(403);
    expect(r.json.message).toBe('pods "orphan" is forbidden: error looking up service account default/nope: serviceaccount "nope" not found');
    const k = await c.kubectl(['run', 'orphan2', '--image=busybox:1.36', '--overrides={"spec":{"serviceAccountName":"nope"}}']);
    expect(k.stderr).toContain('error looking up service account default/nope: serviceaccount "nope" not found');
  });

  it('admits a pod in a namespace made a moment ago, once its default service account is there', async () => {
    await c.kubectlOK(['create', 'namespace', 'justnow']);
    const pod = await created('early', {}, 'justnow');
    expect(pod.spec.serviceAccountName).toBe('default');
  });

  it('mounts nothing when the pod, or else its service account, opts out', async () => {
    await c.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'quiet' }, automountServiceAccountToken: false });
    const podOff = await created('pod-off', { automountServiceAccountToken: false });
    expect(podOff.spec.volumes).toBeUndefined();
    expect(podOff.spec.containers[0].volumeMounts).toBeUndefined();
    const saOff = await created('sa-off', { serviceAccountName: 'quiet' });
    expect(saOff.spec.volumes).toBeUndefined();
    // The pod's own choice wins over its service account's.
    const podOn = await created('pod-on', { serviceAccountName: 'quiet', automountServiceAccountToken: true });
    expect(podOn.spec.volumes[0].name).toMatch(/^kube-api-access-/);
  });

  it('leaves a container that already mounts something at the path alone', async () => {
    const pod = await created('own-mount', {
      volumes: [{ name: 'mine', emptyDir: {} }],
      containers: [
        { name: 'has', image: 'busybox:1.36', volumeMounts: [{ name: 'mine', mountPath: MOUNT }] },
        { name: 'lacks', image: 'busybox:1.36' },
      ],
    });
    const added = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    expect(pod.spec.containers[0].volumeMounts).toEqual([{ name: 'mine', mountPath: MOUNT }]);
    expect(pod.spec.containers[1].volumeMounts).toEqual([{ name: added.name, readOnly: true, mountPath: MOUNT }]);
    const all = await created('all-own', { volumes: [{ name: 'mine', emptyDir: {} }], containers: [{ name: 'has', image: 'busybox:1.36', volumeMounts: [{ name: 'mine', mountPath: MOUNT }] }] });
    expect(all.spec.volumes).toEqual([{ name: 'mine', emptyDir: {} }]);
  });

  it('copies the service account’s imagePullSecrets to a pod that has none', async () => {
    await c.request('POST', '/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'puller' }, imagePullSecrets: [{ name: 'regcred' }] });
    const pod = await created('pulls', { serviceAccountName: 'puller', automountServiceAccountToken: false });
    expect(pod.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });
});
