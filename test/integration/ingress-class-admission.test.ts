// The DefaultIngressClass admission plugin (kube's plugin/pkg/admission/network/defaultingressclass)
// against the real API server, driven by the real kubectl: a new Ingress that names no class gets
// the default IngressClass; the newest default wins when several are marked; an Ingress with the
// legacy kubernetes.io/ingress.class annotation, or created before any default existed, is left
// alone; updates are never defaulted; dry-run defaults without writing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';

let c: TestCluster;

const ingress = (name: string, annotations?: Record<string, string>) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) },
  spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
});

const ingressClass = (name: string, isDefault: boolean) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'IngressClass',
  metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) },
  spec: { controller: `example.com/${name}` },
});

async function create(obj: object, query = ''): Promise<{ status: number; json: { spec: { ingressClassName?: string } } }> {
  const r = await c.request('POST', `/apis/networking.k8s.io/v1/namespaces/default/ingresses${query}`, obj);
  return { status: r.status, json: r.json };
}

beforeAll(async () => {
  c = await startTestCluster({});
}, 60_000);

afterAll(async () => {
  await c?.stop();
});

describe('DefaultIngressClass admission', () => {
  it('leaves the class empty while no class is the default', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(ingressClass('plain', false)) });
    const r = await create(ingress('before'));
    expect(r.status).toBe(201);
    expect(r.json.spec.ingressClassName).toBeUndefined();
  });

  it('fills in the default class on create, the newest default when several are marked', async () => {
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(ingressClass('first', true)) });
    expect((await create(ingress('one'))).json.spec.ingressClassName).toBe('first');
    // creationTimestamp has a one-second resolution: the newer one must be created a second later.
    const first = (await c.request('GET', '/apis/networking.k8s.io/v1/ingressclasses/first')).json;
    while (new Date().toISOString().slice(0, 19) <= first.metadata.creationTimestamp.slice(0, 19)) await new Promise((r) => setTimeout(r, 50));
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(ingressClass('second', true)) });
    await c.kubectlOK(['apply', '-f', '-'], { input: JSON.stringify(ingress('two')) });
    expect(await c.kubectlOK(['get', 'ingress', 'two', '-o', 'jsonpath={.spec.ingressClassName}'])).toBe('second');
  });

  it('keeps a class the Ingress names, by field or by the legacy annotation', async () => {
    expect((await create({ ...ingress('named'), spec: { ...ingress('named').spec, ingressClassName: 'plain' } })).json.spec.ingressClassName).toBe('plain');
    expect((await create(ingress('legacy', { 'kubernetes.io/ingress.class': 'nginx' }))).json.spec.ingressClassName).toBeUndefined();
  });

  it('does not default on update, and dry-run defaults without writing', async () => {
    const before = (await c.request('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/before')).json;
    const put = await c.request('PUT', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/before', { ...before, metadata: { ...before.metadata, labels: { touched: 'yes' } } });
    expect(put.status).toBe(200);
    expect(put.json.spec.ingressClassName).toBeUndefined();
    const dry = await create(ingress('dry'), '?dryRun=All');
    expect(dry.status).toBe(201);
    expect(dry.json.spec.ingressClassName).toBe('second');
    expect((await c.request('GET', '/apis/networking.k8s.io/v1/namespaces/default/ingresses/dry')).status).toBe(404);
  });
});
