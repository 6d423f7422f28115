import { createHash } from 'node:crypto';
import { RESOURCES, groupVersions } from '../../api/resources.js';

// A paths-only OpenAPI v3. kubectl's default `--validate=strict` only needs to learn that each
// kind's PATCH accepts the `fieldValidation` parameter; it then leaves validation to the server
// (KUBECTL-COMPAT.md section 1). Every served group-version must be listed.

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function gvDocument(group: string, version: string): unknown {
  const paths: Record<string, unknown> = {};
  for (const r of RESOURCES.filter((x) => x.group === group && x.version === version)) {
    const base = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}/{name}`;
    const gvk = { group, version, kind: r.kind };
    const op = (action: string) => ({
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
      parameters: [
        { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
        { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      ],
      responses: { '200': { description: 'OK' } },
    });
    paths[base] = { get: op('get'), put: op('put'), patch: op('patch'), delete: op('delete') };
    const coll = `/${gvPath(group, version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
    paths[coll] = { get: op('list'), post: op('post') };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas: {} } };
}

interface Cached {
  json: string;
  hash: string;
}

const docs = new Map<string, Cached>();
for (const gv of groupVersions()) {
  const json = JSON.stringify(gvDocument(gv.group, gv.version));
  docs.set(gvPath(gv.group, gv.version), { json, hash: createHash('sha256').update(json).digest('hex').slice(0, 32).toUpperCase() });
}

export function openapiRoot(): unknown {
  const paths: Record<string, unknown> = {};
  for (const [p, d] of docs) paths[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${d.hash}` };
  return { paths };
}

/** The document for `api/v1` or `apis/<group>/<version>`, or undefined. */
export function openapiFor(gvp: string): string | undefined {
  return docs.get(gvp)?.json;
}
