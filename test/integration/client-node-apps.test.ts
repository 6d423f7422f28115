import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
} from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { expectApiError, kubeConfigFor } from '../helpers/clientNode.js';

// AppsV1Api deployments (CRUD, patch, the scale subresource) and the generic KubernetesObjectApi,
// which resolves kinds through discovery, against the real server.

let cluster: TestCluster;
let kc: KubeConfig;
let apps: AppsV1Api;
let core: CoreV1Api;
let objects: KubernetesObjectApi;
const NS = 'cn-apps';

const deployment = (name: string, replicas = 2): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: NS, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }] },
    },
  },
});

beforeAll(async () => {
  cluster = await startTestCluster();
  kc = kubeConfigFor(cluster);
  apps = kc.makeApiClient(AppsV1Api);
  core = kc.makeApiClient(CoreV1Api);
  objects = KubernetesObjectApi.makeApiClient(kc);
  await core.createNamespace({ body: { metadata: { name: NS } } });
});

afterAll(async () => {
  await cluster?.stop();
});

describe('AppsV1Api deployments', () => {
  it('create fills defaults and generation', async () => {
    const created = await apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') });
    expect(created.kind).toBe('Deployment');
    expect(created.apiVersion).toBe('apps/v1');
    expect(created.metadata?.generation).toBe(1);
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.spec?.replicas).toBe(2);
    expect(created.spec?.strategy?.type).toBe('RollingUpdate');
    expect(created.spec?.strategy?.rollingUpdate?.maxSurge).toBe('25%');
    expect(created.spec?.strategy?.rollingUpdate?.maxUnavailable).toBe('25%');
    expect(created.spec?.revisionHistoryLimit).toBe(10);
    expect(created.spec?.progressDeadlineSeconds).toBe(600);
    expect(created.spec?.template.spec?.containers[0]?.ports?.[0]?.protocol).toBe('TCP');

    const dup = await expectApiError(() => apps.createNamespacedDeployment({ namespace: NS, body: deployment('web') }), 409);
    expect(dup.reason).toBe('AlreadyExists');
    expect(dup.message).toBe('deployments.apps "web" already exists');
    expect(dup.details).toMatchObject({ name: 'web', group: 'apps', kind: 'deployments' });
  });

  it('read and list with selectors', async () => {
    await apps.createNamespacedDeployment({ namespace: NS, body: deployment('api') });
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    expect(read.spec?.selector.matchLabels).toEqual({ app: 'web' });

    const byLabel = await apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'app=api' });
    expect(byLabel.kind).toBe('DeploymentList');
    expect(byLabel.items.map((d) => d.metadata?.name)).toEqual(['api']);
    const byField = await apps.listDeploymentForAllNamespaces({ fieldSelector: 'metadata.name=web' });
    expect(byField.items.map((d) => `${d.metadata?.namespace}/${d.metadata?.name}`)).toEqual([`${NS}/web`]);
  });

  it('replace bumps generation on spec changes; stale replace is 409', async () => {
    const cur = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    cur.spec!.template.spec!.containers[0]!.image = 'nginx:1.26';
    const replaced = await apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: cur });
    expect(replaced.metadata?.generation).toBe(2);
    expect(replaced.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.26');

    const stale = await expectApiError(() => apps.replaceNamespacedDeployment({ name: 'web', namespace: NS, body: cur }), 409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.message).toBe(
      'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    );
    expect(stale.details).toMatchObject({ name: 'web', group: 'apps', kind: 'deployments' });

    // A metadata-only change leaves generation alone.
    const labelled = await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'add', path: '/metadata/labels/extra', value: 'x' }] });
    expect(labelled.metadata?.generation).toBe(2);
  });

  it('patch: JSON patch (default), merge patch and strategic merge patch', async () => {
    const jp = await apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] });
    expect(jp.spec?.replicas).toBe(4);

    const mp = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { template: { metadata: { annotations: { restartedAt: '2024-01-01T00:00:00Z' } } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(mp.spec?.template.metadata?.annotations?.restartedAt).toBe('2024-01-01T00:00:00Z');
    expect(mp.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.26');

    const smp = await apps.patchNamespacedDeployment(
      {
        name: 'web',
        namespace: NS,
        body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.36' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(smp.spec?.template.spec?.containers.map((c) => c.name).sort()).toEqual(['sidecar', 'web']);

    // The same body as a merge patch replaces the whole list.
    const mpList = await apps.patchNamespacedDeployment(
      { name: 'web', namespace: NS, body: { spec: { template: { spec: { containers: [{ name: 'only', image: 'busybox:1.36' }] } } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(mpList.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['only']);

    const invalid = await expectApiError(
      () => apps.patchNamespacedDeployment({ name: 'web', namespace: NS, body: [{ op: 'replace', path: '/spec/replicas', value: -1 }] }),
      422,
    );
    expect(invalid.reason).toBe('Invalid');
    expect(invalid.message).toContain('Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0');
    expect(invalid.details).toMatchObject({ name: 'web', group: 'apps', kind: 'Deployment' });
  });

  it('readNamespacedDeploymentScale / replaceNamespacedDeploymentScale', async () => {
    const dep = await apps.readNamespacedDeployment({ name: 'api', namespace: NS });
    const scale = await apps.readNamespacedDeploymentScale({ name: 'api', namespace: NS });
    expect(scale.kind).toBe('Scale');
    expect(scale.apiVersion).toBe('autoscaling/v1');
    expect(scale.metadata?.name).toBe('api');
    expect(scale.metadata?.namespace).toBe(NS);
    expect(scale.metadata?.uid).toBe(dep.metadata?.uid);
    expect(scale.metadata?.resourceVersion).toBe(dep.metadata?.resourceVersion);
    expect(scale.spec?.replicas).toBe(2);
    expect(scale.status?.selector).toBe('app=api');

    const scaled = await apps.replaceNamespacedDeploymentScale({ name: 'api', namespace: NS, body: { ...scale, spec: { replicas: 5 } } });
    expect(scaled.spec?.replicas).toBe(5);
    expect(scaled.metadata?.resourceVersion).not.toBe(scale.metadata?.resourceVersion);
    const after = await apps.readNamespacedDeployment({ name: 'api', namespace: NS });
    expect(after.spec?.replicas).toBe(5);
    expect(after.metadata?.generation).toBe(2);

    // The Scale's resourceVersion is a precondition.
    const stale = await expectApiError(() => apps.replaceNamespacedDeploymentScale({ name: 'api', namespace: NS, body: { ...scale, spec: { replicas: 1 } } }), 409);
    expect(stale.reason).toBe('Conflict');

    // Without one, it is unconditional.
    const noRV = await apps.replaceNamespacedDeploymentScale({ name: 'api', namespace: NS, body: { metadata: { name: 'api', namespace: NS }, spec: { replicas: 0 } } });
    expect(noRV.spec?.replicas).toBe(0);

    const negative = await expectApiError(
      () => apps.replaceNamespacedDeploymentScale({ name: 'api', namespace: NS, body: { metadata: { name: 'api' }, spec: { replicas: -3 } } }),
      422,
    );
    expect(negative.reason).toBe('Invalid');

    // Patching the scale subresource (merge patch).
    const patched = await apps.patchNamespacedDeploymentScale(
      { name: 'api', namespace: NS, body: { spec: { replicas: 3 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(patched.spec?.replicas).toBe(3);
    expect((await apps.readNamespacedDeploymentScale({ name: 'api', namespace: NS })).spec?.replicas).toBe(3);

    const missing = await expectApiError(() => apps.readNamespacedDeploymentScale({ name: 'nope', namespace: NS }), 404);
    expect(missing.reason).toBe('NotFound');
    expect(missing.message).toBe('deployments.apps "nope" not found');
  });

  it('delete, then read is 404 NotFound', async () => {
    await apps.deleteNamespacedDeployment({ name: 'api', namespace: NS });
    const gone = await expectApiError(() => apps.readNamespacedDeployment({ name: 'api', namespace: NS }), 404);
    expect(gone.reason).toBe('NotFound');
    expect(gone.message).toBe('deployments.apps "api" not found');
    expect(gone.details).toMatchObject({ name: 'api', group: 'apps', kind: 'deployments' });
  });
});

describe('KubernetesObjectApi (generic, discovery-driven)', () => {
  it('create / read / list / patch / replace / delete a Deployment', async () => {
    const spec = deployment('generic', 1) as KubernetesObject;
    const created = await objects.create(spec);
    expect(created.kind).toBe('Deployment');
    expect(created.metadata?.uid).toBeTruthy();

    const read = (await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: NS } })) as V1Deployment;
    expect(read.metadata?.uid).toBe(created.metadata?.uid);
    expect(read.spec?.replicas).toBe(1);

    const list = await objects.list('apps/v1', 'Deployment', NS, undefined, undefined, undefined, undefined, 'app=generic');
    expect(list.items.map((d) => d.metadata?.name)).toEqual(['generic']);

    // KubernetesObjectApi.patch defaults to strategic merge patch.
    const smp = (await objects.patch({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'generic', namespace: NS },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } },
    } as KubernetesObject)) as V1Deployment;
    expect(smp.spec?.replicas).toBe(3);
    expect(smp.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual(['web=nginx:1.27']);
    expect(smp.spec?.template.spec?.containers[0]?.ports?.[0]?.containerPort).toBe(80);

    const mp = (await objects.patch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: NS, labels: { patched: 'merge' } } } as KubernetesObject,
      undefined,
      undefined,
      undefined,
      undefined,
      PatchStrategy.MergePatch,
    )) as V1Deployment;
    expect(mp.metadata?.labels).toEqual({ app: 'generic', patched: 'merge' });

    const ssa = (await objects.patch(
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'generic', namespace: NS },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'generic' } },
          template: { metadata: { labels: { app: 'generic' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.28' }] } },
        },
      } as KubernetesObject,
      undefined,
      undefined,
      'client-node-ssa',
      true,
      PatchStrategy.ServerSideApply,
    )) as V1Deployment;
    expect(ssa.spec?.replicas).toBe(2);
    expect(ssa.spec?.template.spec?.containers[0]?.image).toBe('nginx:1.28');
    expect(ssa.metadata?.managedFields?.some((m) => m.manager === 'client-node-ssa' && m.operation === 'Apply')).toBe(true);

    const stale = { ...read, spec: { ...read.spec!, replicas: 9 } };
    const conflict = await expectApiError(() => objects.replace(stale), 409);
    expect(conflict.reason).toBe('Conflict');

    const fresh = (await objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: NS } })) as V1Deployment;
    const replaced = (await objects.replace({ ...fresh, spec: { ...fresh.spec!, replicas: 7 } })) as V1Deployment;
    expect(replaced.spec?.replicas).toBe(7);

    await objects.delete({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: NS } });
    const gone = await expectApiError(() => objects.read({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'generic', namespace: NS } }), 404);
    expect(gone.reason).toBe('NotFound');
  });

  it('core kinds and cluster-scoped kinds', async () => {
    const cm = await objects.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic-cm', namespace: NS }, data: { a: 'b' } } as KubernetesObject);
    expect((cm as { data?: Record<string, string> }).data).toEqual({ a: 'b' });
    const ns = await objects.create<KubernetesObject>({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'generic-ns' } });
    expect(ns.metadata?.name).toBe('generic-ns');
    const readNs: KubernetesObject = await objects.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'generic-ns' } });
    expect(readNs.metadata?.uid).toBe(ns.metadata?.uid);
    await objects.delete({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic-cm', namespace: NS } });
    await expectApiError(() => objects.read({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'generic-cm', namespace: NS } }), 404);
  });

  it('an unknown kind is rejected client-side after discovery', async () => {
    await expect(objects.read({ apiVersion: 'apps/v1', kind: 'Nonexistent', metadata: { name: 'x', namespace: NS } })).rejects.toThrow(
      /Unrecognized API version and kind/,
    );
  });
});
