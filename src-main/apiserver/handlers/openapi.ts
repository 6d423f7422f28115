import { createHash } from 'node:crypto';
import { RESOURCES, groupVersions, verbsOf, type ResourceDef } from '../../api/resources.js';
import { SCHEMA, registeredKind, definitionName, type TypeNode } from '../../api/schema/index.js';
import { definitionOf, reachableDefinitions, type JSONSchema, type OpenAPIVersion } from '../../api/schema/openapiDefs.js';

// The OpenAPI documents of what Flotilla serves, with the real schemas (src-main/api/schema):
// /openapi/v3 lists one document per group-version; /openapi/v3/<gv> has its paths and
// components.schemas; /openapi/v2 is the Swagger 2.0 document of everything. kubectl reads them:
//   - every PATCH operation of a kind declares `fieldValidation`, so `kubectl apply|create|replace`
//     leave validation to the server (cli-runtime query_param_verifier_v3.go);
//   - PATCH operations accept application/strategic-merge-patch+json and components carry
//     x-kubernetes-group-version-kind, so client-side apply builds its strategic merge patch from
//     the v3 schemas (kubectl apply/patcher.go); `kubectl explain` renders them.
// Documents are built on first use and cached, with a content hash in their URL.

const JSON_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];
/** Resources whose DELETE answers with the deleted object (as in rest.ts). */
const RETURNS_DELETED_OBJECT = new Set(['pods', 'services', 'namespaces', 'serviceaccounts']);

const PATCH_DEFINITION = 'io.k8s.apimachinery.pkg.apis.meta.v1.Patch';

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

interface GVK {
  group: string;
  version: string;
  kind: string;
}

const gvkExt = (g: GVK): Record<string, string> => ({ group: g.group, kind: g.kind, version: g.version });

/** `Core`, `Apps`, `Networking`: how kube's operation ids name a group. */
function groupWord(group: string): string {
  const first = group ? group.split('.')[0]! : 'core';
  return first[0]!.toUpperCase() + first.slice(1);
}

function pathParam(name: string, what: string): JSONSchema {
  return { name, in: 'path', description: what, required: true, schema: { type: 'string', uniqueItems: true } };
}

function queryParam(name: string, what: string, type: 'string' | 'boolean' | 'integer' = 'string'): JSONSchema {
  return { name, in: 'query', description: what, schema: { type, uniqueItems: true } };
}

const DRY_RUN = queryParam('dryRun', 'When present (All), the request is processed fully but nothing is persisted.');
const FIELD_MANAGER = queryParam('fieldManager', 'The name of the actor making the change (for managedFields).');
const FIELD_VALIDATION = queryParam('fieldValidation', 'What to do with unknown or duplicate fields in the body: Ignore, Warn (the default) or Strict.');
const FORCE = queryParam('force', 'Apply only: take ownership of fields owned by other managers.', 'boolean');
const PRETTY = queryParam('pretty', 'Indent the output.');
const GRACE = queryParam('gracePeriodSeconds', 'Seconds before the object is deleted; 0 deletes at once.', 'integer');
const PROPAGATION = queryParam('propagationPolicy', 'How dependents are handled: Orphan, Background or Foreground.');
const LIST_PARAMS = [
  queryParam('labelSelector', 'Only objects whose labels match this selector.'),
  queryParam('fieldSelector', 'Only objects whose fields match this selector.'),
  queryParam('limit', 'At most this many items; the rest through `continue`.', 'integer'),
  queryParam('continue', 'The token of the next page of a limited list.'),
  queryParam('resourceVersion', 'Which version of the data the list or watch starts from.'),
  queryParam('timeoutSeconds', 'How long a watch lasts.', 'integer'),
  queryParam('watch', 'Stream changes instead of listing.', 'boolean'),
  queryParam('allowWatchBookmarks', 'Send BOOKMARK events on a watch.', 'boolean'),
];

class DocBuilder {
  readonly paths: Record<string, Record<string, unknown>> = {};
  readonly roots: TypeNode[] = [];
  readonly kinds = new Map<string, GVK[]>();

  constructor(readonly v: OpenAPIVersion) {}

  ref(name: string): JSONSchema {
    return { $ref: this.v === 3 ? `#/components/schemas/${name}` : `#/definitions/${name}` };
  }

  /** Records that a definition is the schema of a kind (x-kubernetes-group-version-kind). */
  kind(g: GVK): string {
    const t = registeredKind(g.group, g.version, g.kind);
    if (!t) throw new Error(`openapi: no schema for ${g.group}/${g.version} ${g.kind}`);
    const name = definitionName(t);
    this.roots.push(t);
    const list = this.kinds.get(name) ?? [];
    if (!list.some((x) => x.group === g.group && x.version === g.version && x.kind === g.kind)) list.push(g);
    this.kinds.set(name, list);
    return name;
  }

  op(o: {
    id: string;
    tag: string;
    action: string;
    gvk: GVK;
    what: string;
    params?: JSONSchema[];
    body?: { schema: string; types: string[] };
    responses: Record<string, string>;
  }): Record<string, unknown> {
    const out: Record<string, unknown> = { description: o.what, operationId: o.id, tags: [o.tag] };
    const params = o.params ?? [];
    if (this.v === 3) {
      if (params.length) out.parameters = params;
      if (o.body) out.requestBody = { content: Object.fromEntries(o.body.types.map((t) => [t, { schema: this.ref(o.body!.schema) }])), required: true };
      out.responses = Object.fromEntries(
        Object.entries(o.responses).map(([code, schema]) => [code, { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', content: Object.fromEntries(JSON_TYPES.map((t) => [t, { schema: this.ref(schema) }])) }]),
      );
    } else {
      const v2params = params.map(({ schema, ...p }) => ({ ...p, ...(schema as JSONSchema) }));
      if (o.body) v2params.unshift({ name: 'body', in: 'body', required: true, schema: this.ref(o.body.schema) });
      if (v2params.length) out.parameters = v2params;
      if (o.body) out.consumes = o.body.types[0] === '*/*' ? ['*/*'] : o.body.types;
      out.produces = JSON_TYPES;
      out.schemes = ['https'];
      out.responses = Object.fromEntries(Object.entries(o.responses).map(([code, schema]) => [code, { description: code === '201' ? 'Created' : code === '202' ? 'Accepted' : 'OK', schema: this.ref(schema) }]));
    }
    (out.responses as Record<string, unknown>)['401'] = { description: 'Unauthorized' };
    out['x-kubernetes-action'] = o.action;
    out['x-kubernetes-group-version-kind'] = gvkExt(o.gvk);
    return out;
  }

  addResource(r: ResourceDef): void {
    const gv = gvPath(r.group, r.version);
    const gvk: GVK = { group: r.group, version: r.version, kind: r.kind };
    const name = this.kind(gvk);
    const listName = this.kind({ ...gvk, kind: `${r.kind}List` });
    const status = this.kind({ group: '', version: 'v1', kind: 'Status' });
    const deleteOptions = definitionName(SCHEMA.lookup('meta.DeleteOptions'));
    this.roots.push(SCHEMA.lookup('meta.DeleteOptions'));
    const verbs = new Set(verbsOf(r));
    const word = `${groupWord(r.group)}${r.version[0]!.toUpperCase()}${r.version.slice(1)}`;
    const ns = r.namespaced ? 'Namespaced' : '';
    const tag = `${r.group ? r.group.split('.')[0] : 'core'}_${r.version}`;
    const base = `/${gv}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    const scope = r.namespaced ? [pathParam('namespace', 'The object name and auth scope, such as for teams and projects.')] : [];
    const write = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];

    const coll: Record<string, unknown> = { parameters: [...scope, PRETTY] };
    if (verbs.has('list')) coll.get = this.op({ id: `list${word}${ns}${r.kind}`, tag, action: 'list', gvk, what: `list or watch objects of kind ${r.kind}`, params: LIST_PARAMS, responses: { 200: listName } });
    if (verbs.has('create')) coll.post = this.op({ id: `create${word}${ns}${r.kind}`, tag, action: 'post', gvk, what: `create a ${r.kind}`, params: write, body: { schema: name, types: ['*/*'] }, responses: { 200: name, 201: name, 202: name } });
    if (verbs.has('deletecollection')) coll.delete = this.op({ id: `delete${word}Collection${ns}${r.kind}`, tag, action: 'deletecollection', gvk, what: `delete a collection of ${r.kind}`, params: [...LIST_PARAMS.slice(0, 5), DRY_RUN, GRACE, PROPAGATION], body: { schema: deleteOptions, types: ['*/*'] }, responses: { 200: status } });
    this.paths[base] = coll;
    if (r.namespaced && verbs.has('list')) {
      this.paths[`/${gv}/${r.plural}`] = {
        parameters: [PRETTY],
        get: this.op({ id: `list${word}${r.kind}ForAllNamespaces`, tag, action: 'list', gvk, what: `list or watch objects of kind ${r.kind} in every namespace`, params: LIST_PARAMS, responses: { 200: listName } }),
      };
    }

    const item: Record<string, unknown> = { parameters: [pathParam('name', `name of the ${r.kind}`), ...scope, PRETTY] };
    item.get = this.op({ id: `read${word}${ns}${r.kind}`, tag, action: 'get', gvk, what: `read the specified ${r.kind}`, responses: { 200: name } });
    if (verbs.has('update')) item.put = this.op({ id: `replace${word}${ns}${r.kind}`, tag, action: 'put', gvk, what: `replace the specified ${r.kind}`, params: write, body: { schema: name, types: ['*/*'] }, responses: { 200: name, 201: name } });
    if (verbs.has('patch')) item.patch = this.op({ id: `patch${word}${ns}${r.kind}`, tag, action: 'patch', gvk, what: `partially update the specified ${r.kind}`, params: [...write, FORCE], body: { schema: PATCH_DEFINITION, types: PATCH_TYPES }, responses: { 200: name, 201: name } });
    if (verbs.has('delete')) {
      const answer = RETURNS_DELETED_OBJECT.has(r.key) ? name : status;
      item.delete = this.op({ id: `delete${word}${ns}${r.kind}`, tag, action: 'delete', gvk, what: `delete a ${r.kind}`, params: [DRY_RUN, GRACE, PROPAGATION], body: { schema: deleteOptions, types: ['*/*'] }, responses: { 200: answer, 202: answer } });
    }
    this.paths[`${base}/{name}`] = item;

    const sub = (s: string, ops: Record<string, unknown>): void => {
      this.paths[`${base}/{name}/${s}`] = { parameters: [pathParam('name', `name of the ${r.kind}`), ...scope, PRETTY], ...ops };
    };
    const Sub = (s: string): string => s[0]!.toUpperCase() + s.slice(1);
    for (const s of r.subresources) {
      if (s === 'status') {
        sub(s, {
          get: this.op({ id: `read${word}${ns}${r.kind}Status`, tag, action: 'get', gvk, what: `read status of the specified ${r.kind}`, responses: { 200: name } }),
          put: this.op({ id: `replace${word}${ns}${r.kind}Status`, tag, action: 'put', gvk, what: `replace status of the specified ${r.kind}`, params: write, body: { schema: name, types: ['*/*'] }, responses: { 200: name, 201: name } }),
          patch: this.op({ id: `patch${word}${ns}${r.kind}Status`, tag, action: 'patch', gvk, what: `partially update status of the specified ${r.kind}`, params: [...write, FORCE], body: { schema: PATCH_DEFINITION, types: PATCH_TYPES }, responses: { 200: name, 201: name } }),
        });
      } else if (s === 'scale') {
        const scaleGVK: GVK = { group: 'autoscaling', version: 'v1', kind: 'Scale' };
        const scale = this.kind(scaleGVK);
        sub(s, {
          get: this.op({ id: `read${word}${ns}${r.kind}Scale`, tag, action: 'get', gvk: scaleGVK, what: `read scale of the specified ${r.kind}`, responses: { 200: scale } }),
          put: this.op({ id: `replace${word}${ns}${r.kind}Scale`, tag, action: 'put', gvk: scaleGVK, what: `replace scale of the specified ${r.kind}`, params: write, body: { schema: scale, types: ['*/*'] }, responses: { 200: scale, 201: scale } }),
          patch: this.op({ id: `patch${word}${ns}${r.kind}Scale`, tag, action: 'patch', gvk: scaleGVK, what: `partially update scale of the specified ${r.kind}`, params: [...write, FORCE], body: { schema: PATCH_DEFINITION, types: PATCH_TYPES }, responses: { 200: scale, 201: scale } }),
        });
      } else if (s === 'binding' || s === 'eviction') {
        const subGVK: GVK = s === 'binding' ? { group: '', version: 'v1', kind: 'Binding' } : { group: 'policy', version: 'v1', kind: 'Eviction' };
        const schema = this.kind(subGVK);
        sub(s, { post: this.op({ id: `create${word}${ns}${r.kind}${Sub(s)}`, tag, action: 'post', gvk: subGVK, what: `create ${s} of a ${r.kind}`, params: write, body: { schema, types: ['*/*'] }, responses: { 200: schema, 201: schema, 202: schema } }) });
      } else if (s === 'finalize') {
        sub(s, { put: this.op({ id: `replace${word}${ns}${r.kind}Finalize`, tag, action: 'put', gvk, what: `replace finalize of the specified ${r.kind}`, params: write, body: { schema: name, types: ['*/*'] }, responses: { 200: name, 201: name } }) });
      }
    }
  }

  definitions(): Record<string, JSONSchema> {
    const defs: Record<string, JSONSchema> = {};
    const reach = reachableDefinitions(this.roots);
    for (const name of [...reach.keys()].sort()) {
      const d = definitionOf(reach.get(name)!, this.v);
      const kinds = this.kinds.get(name);
      if (kinds) d['x-kubernetes-group-version-kind'] = kinds.map(gvkExt);
      defs[name] = d;
    }
    defs[PATCH_DEFINITION] = { description: 'A patch document: its format is given by the request Content-Type.', type: 'object' };
    return Object.fromEntries(Object.entries(defs).sort(([a], [b]) => (a < b ? -1 : 1)));
  }
}

/** DeleteOptions are registered in every group-version (metav1.AddToGroupVersion). */
function registerDeleteOptions(b: DocBuilder, gvs: { group: string; version: string }[]): void {
  const name = definitionName(SCHEMA.lookup('meta.DeleteOptions'));
  b.kinds.set(name, gvs.map((gv) => ({ ...gv, kind: 'DeleteOptions' })));
}

const INFO = { title: 'Kubernetes', version: 'v1.32.0' };

function gvDocument(group: string, version: string): unknown {
  const b = new DocBuilder(3);
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) b.addResource(r);
  registerDeleteOptions(b, [{ group, version }]);
  return { openapi: '3.0.0', info: INFO, paths: b.paths, components: { schemas: b.definitions() } };
}

function v2Document(): unknown {
  const b = new DocBuilder(2);
  for (const r of RESOURCES) b.addResource(r);
  registerDeleteOptions(b, groupVersions());
  return { swagger: '2.0', info: INFO, paths: b.paths, definitions: b.definitions() };
}

interface Cached {
  json: string;
  hash: string;
}

const hashOf = (json: string): string => createHash('sha512').update(json).digest('hex').toUpperCase();

const docs = new Map<string, Cached>();
function doc(gvp: string): Cached | undefined {
  let d = docs.get(gvp);
  if (d) return d;
  const gv = groupVersions().find((g) => gvPath(g.group, g.version) === gvp);
  if (!gv) return undefined;
  const json = JSON.stringify(gvDocument(gv.group, gv.version));
  d = { json, hash: hashOf(json) };
  docs.set(gvp, d);
  return d;
}

/** The /openapi/v3 discovery document: one entry per served group-version. */
export function openapiRoot(): unknown {
  const paths: Record<string, unknown> = {};
  for (const gv of groupVersions()) {
    const p = gvPath(gv.group, gv.version);
    paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${doc(p)!.hash}` };
  }
  return { paths };
}

/** The document for `api/v1` or `apis/<group>/<version>`, or undefined. */
export function openapiFor(gvp: string): string | undefined {
  return doc(gvp)?.json;
}

let v2: string | undefined;

/**
 * GET /openapi/v2: the Swagger 2.0 JSON document when the Accept header allows JSON (or is
 * absent). Flotilla does not encode the protobuf form kubectl asks for first; to an Accept that
 * lists only that, the answer is 406, on which client-go tries the legacy /swagger-2.0.0.pb-v1
 * path and then does without v2 (kubectl uses the v3 documents).
 */
export function openapiV2(accept?: string): { status: number; contentType: string; body: string } {
  const types = (accept ?? '').split(',').map((t) => t.split(';')[0]!.trim().toLowerCase()).filter(Boolean);
  const json = types.length === 0 || types.some((t) => t === 'application/json' || t === '*/*' || t === 'application/*');
  if (!json) {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `only the following media types are accepted: application/json`,
      reason: 'NotAcceptable',
      code: 406,
    };
    return { status: 406, contentType: 'application/json', body: JSON.stringify(status) };
  }
  v2 ??= JSON.stringify(v2Document());
  return { status: 200, contentType: 'application/json', body: v2 };
}
