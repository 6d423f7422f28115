import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf, objectKey, resourceByPath, type ResourceDef } from '../../api/resources.js';
import type { Registry, WriteContext, DeleteOptions } from '../registry/registry.js';
import { errors, ApiError, successStatus } from '../status.js';
import { decodeBody, mediaType, readBody, sendJSON, sendRaw } from '../http.js';
import { parseLabelSelector, SelectorParseError, type LabelRequirement } from '../selectors/labels.js';
import { parseFieldSelector, FieldSelectorError, type FieldRequirement } from '../selectors/fields.js';
import { jsonMergePatch, jsonPatch, strategicMergePatch, serverSideApply, PatchError } from '../patch/index.js';
import { parseIncludeObject, toTable, wantsTable } from './table.js';
import { serveWatch, type WatchParams } from './watch.js';
import { proxyLogs, type KubeletResolver } from './nodeProxy.js';
import { applyScale, scaleOf, type Scale } from './scale.js';

// REST for every resource in the catalogue: routing of /api/v1/... and /apis/<g>/<v>/... paths to
// list / watch / get / create / update / patch / delete and the status, scale, binding and
// finalize subresources.

export interface ResourceRequest {
  resource: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Path of the legacy /watch/ prefix form. */
  watchPrefix: boolean;
}

/** Parses the part of the path after the group-version; undefined when nothing matches. */
export function parseResourcePath(group: string, version: string, segs: string[]): ResourceRequest | undefined {
  let watchPrefix = false;
  if (segs[0] === 'watch') {
    watchPrefix = true;
    segs = segs.slice(1);
  }
  const nsDef = resourceByPath(group, version, 'namespaces');
  if (segs[0] === 'namespaces' && segs.length >= 3 && group === '' && (segs[2] === 'status' || segs[2] === 'finalize') && segs.length === 3) {
    return { resource: nsDef!, name: segs[1], subresource: segs[2], watchPrefix };
  }
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const r = resourceByPath(group, version, segs[2]!);
    if (!r || !r.namespaced || segs.length > 5) return undefined;
    return { resource: r, namespace: segs[1], name: segs[3], subresource: segs[4], watchPrefix };
  }
  if (!segs.length || segs.length > 3) return undefined;
  const r = resourceByPath(group, version, segs[0]!);
  if (!r) return undefined;
  if (r.namespaced && segs.length > 1) return undefined; // namespaced objects live under namespaces/<ns>/
  return { resource: r, name: segs[1], subresource: segs[2], watchPrefix };
}

function selectors(q: URLSearchParams, r: ResourceDef): { labels: LabelRequirement[]; fields: FieldRequirement[] } {
  try {
    const labels = q.get('labelSelector') ? parseLabelSelector(q.get('labelSelector')!) : [];
    const fields = q.get('fieldSelector') ? parseFieldSelector(q.get('fieldSelector')!, r.key) : [];
    return { labels, fields };
  } catch (e) {
    if (e instanceof SelectorParseError || e instanceof FieldSelectorError) throw errors.badRequest(e.message);
    throw e;
  }
}

function fieldManagerOf(req: IncomingMessage, q: URLSearchParams): string {
  const fm = q.get('fieldManager');
  if (fm) return fm;
  // kube-apiserver's default: the User-Agent up to the first '/'.
  return (req.headers['user-agent'] ?? 'unknown').split('/')[0]!.slice(0, 128) || 'unknown';
}

function patchError(e: unknown): unknown {
  if (!(e instanceof PatchError)) return e;
  if (e.code === 409) return errors.fieldConflict(e.message, e.causes ?? []);
  if (e.code === 422) return errors.patchNotApplicable();
  return errors.badRequest(e.message);
}

function applyPatch(r: ResourceDef, name: string, ct: string, original: unknown, patch: unknown): KubeObject {
  try {
    switch (ct) {
      case 'application/strategic-merge-patch+json':
        return strategicMergePatch(original, patch, r.key) as KubeObject;
      case 'application/merge-patch+json':
        return jsonMergePatch(original, patch) as KubeObject;
      case 'application/json-patch+json':
        return jsonPatch(original, patch) as KubeObject;
      default:
        throw errors.unsupportedMediaType(ct);
    }
  } catch (e) {
    throw patchError(e);
  }
}

function deleteOptions(body: unknown, q: URLSearchParams): DeleteOptions {
  const o: DeleteOptions = body && typeof body === 'object' ? { ...(body as DeleteOptions) } : {};
  if (q.get('gracePeriodSeconds') !== null) o.gracePeriodSeconds = Number(q.get('gracePeriodSeconds'));
  if (q.get('propagationPolicy')) o.propagationPolicy = q.get('propagationPolicy') as DeleteOptions['propagationPolicy'];
  if (o.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    throw errors.badRequest(`propagationPolicy: Unsupported value: "${o.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`);
  }
  if (o.gracePeriodSeconds !== undefined && (!Number.isInteger(o.gracePeriodSeconds) || o.gracePeriodSeconds < 0)) {
    throw errors.badRequest('gracePeriodSeconds: Invalid value: must be a non-negative integer');
  }
  return o;
}

function watchParams(r: ResourceDef, ns: string | undefined, labels: LabelRequirement[], fields: FieldRequirement[], q: URLSearchParams, accept: string | undefined, opts: RestOptions): WatchParams {
  const ts = q.get('timeoutSeconds');
  return {
    resource: r,
    namespace: ns,
    labels,
    fields,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    timeoutSeconds: ts ? Number(ts) : undefined,
    bookmarks: q.get('allowWatchBookmarks') === 'true',
    sendInitialEvents: q.get('sendInitialEvents') === null ? undefined : q.get('sendInitialEvents') === 'true',
    table: wantsTable(accept) ? { include: parseIncludeObject(q.get('includeObject')) } : undefined,
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
  };
}

/** Resources whose DELETE answers with the deleted object rather than a Status (kube's ReturnDeletedObject). */
const RETURNS_DELETED_OBJECT = new Set(['pods', 'services', 'namespaces', 'serviceaccounts']);

export interface RestOptions {
  /** How often idle watches get a BOOKMARK (default 10 s). */
  bookmarkIntervalMs?: number;
  /** How pods/log reaches a node's kubelet (installed once nodes exist). */
  kubelet?: () => KubeletResolver | undefined;
  /** Admission of a create once its body is decoded (throws ApiError to refuse). */
  admitCreate?: (r: ResourceDef, body: KubeObject) => void;
}

export async function handleResource(req: IncomingMessage, res: ServerResponse, registry: Registry, rr: ResourceRequest, q: URLSearchParams, opts: RestOptions = {}): Promise<void> {
  const { resource: r, namespace: ns, name, subresource: sub } = rr;
  const method = req.method ?? 'GET';
  const accept = req.headers.accept;
  const ctx: WriteContext = { fieldManager: fieldManagerOf(req, q), dryRun: q.get('dryRun') === 'All' };
  const send = (code: number, obj: KubeObject) => {
    if (wantsTable(accept)) {
      sendJSON(res, code, toTable(r, [obj], parseIncludeObject(q.get('includeObject')), { resourceVersion: obj.metadata.resourceVersion }));
      return;
    }
    // What a write just stored (or found unchanged) is the store's current version, whose JSON
    // the store already holds: no second serialisation. A dry run's result never is.
    const m = obj.metadata;
    const stored = !ctx.dryRun && m?.name ? registry.store.getJSONAt(r.key, objectKey(r, m.namespace, m.name), m.resourceVersion) : undefined;
    if (stored !== undefined) sendRaw(res, code, stored);
    else sendJSON(res, code, obj);
  };
  if (sub && !r.subresources.includes(sub as never)) throw errors.notFoundPath();

  // ---- collection ----
  if (!name) {
    if (method === 'GET') {
      const { labels, fields } = selectors(q, r);
      if (q.get('watch') === 'true' || q.get('watch') === '1' || rr.watchPrefix) {
        serveWatch(res, registry.store, watchParams(r, ns, labels, fields, q, accept, opts));
        return;
      }
      const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
      const result = registry.list(r, ns, { labels, fields, limit, continueToken: q.get('continue') ?? undefined });
      const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
      if (result.continueToken) meta.continue = result.continueToken;
      if (wantsTable(accept)) {
        sendJSON(res, 200, toTable(r, result.items.map((i) => i.obj), parseIncludeObject(q.get('includeObject')), meta));
      } else {
        // Stored JSON is concatenated as is: no re-serialisation of large lists.
        const head = JSON.stringify({ kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: meta });
        sendRaw(res, 200, `${head.slice(0, -1)},"items":[${result.items.map((i) => i.json).join(',')}]}`);
      }
      return;
    }
    if (method === 'POST') {
      const body = decodeBody(await readBody(req), mediaType(req)) as KubeObject;
      opts.admitCreate?.(r, body);
      const obj = await registry.create(r, ns, body, ctx);
      send(201, obj);
      return;
    }
    if (method === 'DELETE') {
      const { labels, fields } = selectors(q, r);
      const opts = deleteOptions(decodeBody(await readBody(req), mediaType(req) || 'application/json'), q);
      const list = registry.list(r, ns, { labels, fields });
      const out: KubeObject[] = [];
      for (const { obj } of list.items) {
        try {
          out.push((await registry.delete(r, obj.metadata.namespace, obj.metadata.name!, opts, ctx)).obj);
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      sendJSON(res, 200, { kind: `${r.kind}List`, apiVersion: apiVersionOf(r), metadata: { resourceVersion: String(registry.store.currentRV()) }, items: out });
      return;
    }
    throw errors.methodNotAllowed(method);
  }

  // ---- a single object through the legacy /watch/ path ----
  if (rr.watchPrefix && method === 'GET' && !sub) {
    const { labels, fields } = selectors(q, r);
    serveWatch(res, registry.store, watchParams(r, ns, labels, [...fields, { field: 'metadata.name', op: '=', value: name }], q, accept, opts));
    return;
  }

  // ---- scale ----
  if (sub === 'scale') {
    const live = registry.get(r, ns, name);
    if (method === 'GET') return sendJSON(res, 200, scaleOf(live));
    if (method === 'PUT' || method === 'PATCH') {
      const raw = decodeBody(await readBody(req), mediaType(req));
      const scale = method === 'PUT' ? (raw as Scale) : (applyPatch(r, name, mediaType(req), scaleOf(live), raw) as unknown as Scale);
      const { obj } = await registry.update(r, ns, name, applyScale(live, scale), ctx);
      return sendJSON(res, 200, scaleOf(obj));
    }
    throw errors.methodNotAllowed(method);
  }

  // ---- log (proxied to the node's kubelet) ----
  if (sub === 'log') {
    if (method !== 'GET') throw errors.methodNotAllowed(method);
    return proxyLogs(req, res, registry, opts.kubelet?.(), ns!, name, q);
  }

  // ---- binding ----
  if (sub === 'binding') {
    if (method !== 'POST') throw errors.methodNotAllowed(method);
    const body = decodeBody(await readBody(req), mediaType(req)) as { metadata?: { annotations?: Record<string, string> }; target?: { name?: string; kind?: string } };
    const node = body?.target?.name;
    if (!node) throw errors.invalid(r, name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    await registry.bind(ns!, name, node, ctx, body.metadata?.annotations);
    return sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  const subresource = sub === 'status' || sub === 'finalize' ? sub : undefined;
  if (sub && !subresource) throw errors.notFoundPath();

  switch (method) {
    case 'GET': {
      if (wantsTable(accept)) return send(200, registry.get(r, ns, name));
      return sendRaw(res, 200, registry.getJSON(r, ns, name));
    }
    case 'PUT': {
      const body = decodeBody(await readBody(req), mediaType(req)) as KubeObject;
      const { obj, created } = await registry.update(r, ns, name, body, ctx, subresource);
      return send(created ? 201 : 200, obj);
    }
    case 'PATCH': {
      const ct = mediaType(req);
      const patch = decodeBody(await readBody(req), ct.includes('yaml') ? 'application/yaml' : 'application/json');
      if (ct === 'application/apply-patch+yaml') {
        if (!q.get('fieldManager')) throw errors.badRequest('PATCH requests with apply content type must specify fieldManager');
        return send(...(await serverSideApplyPatch(registry, r, ns, name, patch as KubeObject, ctx, q.get('force') === 'true', subresource)));
      }
      if (!patch || typeof patch !== 'object') throw errors.badRequest('the patch body must be a JSON document');
      const patched = applyPatch(r, name, ct, JSON.parse(registry.getJSON(r, ns, name)), patch);
      const { obj } = await registry.update(r, ns, name, patched, ctx, subresource);
      return send(200, obj);
    }
    case 'DELETE': {
      if (subresource) throw errors.methodNotAllowed(method);
      const opts = deleteOptions(decodeBody(await readBody(req), mediaType(req) || 'application/json'), q);
      const { obj, gone } = await registry.delete(r, ns, name, opts, ctx);
      // Like kube's generic registry: an object still being deleted (grace period, finalizers)
      // comes back as is; a removed one as a Success Status, except for the resources whose
      // storage returns the deleted object.
      if (!gone || RETURNS_DELETED_OBJECT.has(r.key)) return send(200, obj);
      return sendJSON(res, 200, successStatus({ name, group: r.group || undefined, kind: r.plural, uid: obj.metadata.uid }));
    }
    default:
      throw errors.methodNotAllowed(method);
  }
}

async function serverSideApplyPatch(
  registry: Registry,
  r: ResourceDef,
  ns: string | undefined,
  name: string,
  applied: KubeObject,
  ctx: WriteContext,
  force: boolean,
  subresource: 'status' | 'finalize' | undefined,
): Promise<[number, KubeObject]> {
  if (!applied || typeof applied !== 'object') throw errors.badRequest('the apply body must be an object');
  let live: KubeObject | undefined;
  try {
    live = JSON.parse(registry.getJSON(r, ns, name)) as KubeObject;
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
  if (applied.metadata?.name && applied.metadata.name !== name) {
    throw errors.badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
  }
  let result: KubeObject;
  try {
    const base = { ...applied, metadata: { ...(applied.metadata ?? {}), name, ...(r.namespaced ? { namespace: ns } : {}) } };
    result = serverSideApply(live as Record<string, unknown> | undefined, base as Record<string, unknown>, {
      manager: ctx.fieldManager,
      force,
      resourceKey: r.key,
      apiVersion: apiVersionOf(r),
      now: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    }).object as KubeObject;
  } catch (e) {
    throw patchError(e);
  }
  const applyCtx: WriteContext = { ...ctx, managedFieldsSet: true };
  if (!live) {
    if (subresource) throw errors.notFound(r, name);
    return [201, await registry.create(r, ns, result, applyCtx)];
  }
  const { obj } = await registry.update(r, ns, name, result, applyCtx, subresource);
  return [200, obj];
}
