import { describe, expect, it } from 'vitest';
import { RESOURCES, groupVersions } from '../../src-main/api/resources.js';
import { openapiFor, openapiRoot, openapiV2 } from '../../src-main/apiserver/handlers/openapi.js';

// The OpenAPI documents kubectl reads: complete (every served group-version, every kind, every
// $ref resolvable), with fieldValidation on every PATCH, and with kube 1.32's patch extensions.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Doc = any;

const gvPath = (g: string, v: string) => (g ? `apis/${g}/${v}` : `api/${v}`);
const v3 = (g: string, v: string): Doc => JSON.parse(openapiFor(gvPath(g, v))!);

function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const n of node) refs(n, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref') out.push(v as string);
      else refs(v, out);
    }
  }
  return out;
}

describe('/openapi/v3', () => {
  it('lists every served group-version, each with a content hash', () => {
    const root = openapiRoot() as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(root.paths).sort()).toEqual(groupVersions().map((g) => gvPath(g.group, g.version)).sort());
    for (const [p, { serverRelativeURL }] of Object.entries(root.paths)) expect(serverRelativeURL).toMatch(new RegExp(`^/openapi/v3/${p}\\?hash=[0-9A-F]{128}$`));
  });

  it.each(groupVersions().map((g) => [gvPath(g.group, g.version), g] as const))('%s: kinds, refs and PATCH operations', (_p, gv) => {
    const doc = v3(gv.group, gv.version);
    expect(doc.openapi).toBe('3.0.0');
    const schemas = doc.components.schemas;
    for (const ref of refs(doc)) expect(schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
    for (const r of RESOURCES.filter((x) => x.group === gv.group && x.version === gv.version)) {
      const gvk = { group: r.group, kind: r.kind, version: r.version };
      const def = Object.values(schemas).find((s: Doc) => s['x-kubernetes-group-version-kind']?.some((g: Doc) => g.kind === r.kind && g.group === r.group));
      expect(def, r.kind).toBeDefined();
      const patches = Object.values(doc.paths as Record<string, Doc>)
        .map((p) => p.patch)
        .filter((op) => op && op['x-kubernetes-group-version-kind'].kind === r.kind && op['x-kubernetes-group-version-kind'].group === r.group);
      expect(patches.length, r.key).toBeGreaterThan(0);
      for (const op of patches) {
        expect(op['x-kubernetes-group-version-kind']).toEqual(gvk);
        expect(op.parameters.map((p: Doc) => p.name)).toContain('fieldValidation');
        expect(Object.keys(op.requestBody.content)).toContain('application/strategic-merge-patch+json');
      }
    }
  });

  it('carries kube 1.32 patch and list extensions', () => {
    const core = v3('', 'v1').components.schemas;
    const apps = v3('apps', 'v1').components.schemas;
    const ext = (s: Doc) => Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith('x-kubernetes-')));
    expect(ext(core['io.k8s.api.core.v1.Container'].properties.ports)).toEqual({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'],
      'x-kubernetes-patch-merge-key': 'containerPort',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(ext(core['io.k8s.api.core.v1.PodSpec'].properties.volumes)).toEqual({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge,retainKeys',
    });
    expect(ext(core['io.k8s.api.core.v1.PodSpec'].properties.tolerations)).toEqual({ 'x-kubernetes-list-type': 'atomic' });
    expect(ext(core['io.k8s.api.core.v1.PodSpec'].properties.nodeSelector)).toEqual({ 'x-kubernetes-map-type': 'atomic' });
    expect(ext(core['io.k8s.api.core.v1.ServiceSpec'].properties.ports)).toEqual({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['port', 'protocol'],
      'x-kubernetes-patch-merge-key': 'port',
      'x-kubernetes-patch-strategy': 'merge',
    });
    expect(ext(core['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.finalizers)).toEqual({ 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' });
    expect(ext(apps['io.k8s.api.apps.v1.DeploymentSpec'].properties.strategy)).toEqual({ 'x-kubernetes-patch-strategy': 'retainKeys' });
    expect(ext(core['io.k8s.api.core.v1.SecretKeySelector'])).toEqual({ 'x-kubernetes-map-type': 'atomic' });
    expect(core['io.k8s.api.core.v1.SeccompProfile']['x-kubernetes-unions']).toEqual([{ discriminator: 'type', 'fields-to-discriminateBy': { localhostProfile: 'LocalhostProfile' } }]);
  });

  it('describes types as kube-openapi does (refs in allOf, enforced defaults, special types)', () => {
    const core = v3('', 'v1').components.schemas;
    const container = core['io.k8s.api.core.v1.Container'];
    expect(container.required).toEqual(['name']);
    expect(container.properties.name).toEqual({ default: '', type: 'string' });
    expect(container.properties.args).toEqual({ type: 'array', items: { default: '', type: 'string' }, 'x-kubernetes-list-type': 'atomic' });
    expect(container.properties.resources).toEqual({ allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.ResourceRequirements' }], default: {} });
    expect(container.properties.livenessProbe).toEqual({ $ref: '#/components/schemas/io.k8s.api.core.v1.Probe' });
    expect(container.properties.imagePullPolicy).toEqual({ type: 'string', enum: ['Always', 'IfNotPresent', 'Never'] });
    expect(core['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties).toEqual({ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
    expect(core['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf).toEqual([{ type: 'string' }, { type: 'number' }]);
    expect(core['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
    expect(core['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({ type: 'string', format: 'date-time' });
    expect(core['io.k8s.api.core.v1.SecretVolumeSource'].properties.defaultMode).toEqual({ type: 'integer', format: 'int32' });
    expect(core['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind']).toEqual([{ group: '', kind: 'Pod', version: 'v1' }]);
  });
});

describe('/openapi/v2', () => {
  it('is Swagger 2.0 JSON with every definition and per-GVK PATCH consumes', () => {
    const r = openapiV2('application/json');
    expect(r.status).toBe(200);
    const doc = JSON.parse(r.body);
    expect(doc.swagger).toBe('2.0');
    for (const ref of refs(doc)) expect(doc.definitions[ref.replace('#/definitions/', '')], ref).toBeDefined();
    expect(doc.definitions['io.k8s.apimachinery.pkg.api.resource.Quantity']).toMatchObject({ type: 'string' });
    const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch.consumes).toContain('application/strategic-merge-patch+json');
    expect(patch.parameters.map((p: Doc) => p.name)).toEqual(expect.arrayContaining(['body', 'fieldValidation']));
    expect(openapiV2().status).toBe(200);
  });

  it('answers 406 to an Accept that lists only the protobuf form', () => {
    expect(openapiV2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf')).toMatchObject({ status: 406 });
    expect(openapiV2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf, application/json').status).toBe(200);
  });
});
