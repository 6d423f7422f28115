import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeObject } from '../../api/types.js';
import { apiVersionOf, objectKey, resourceByPath, verbsOf, type ResourceDef } from '../../api/resources.js';
import type { Registry, WriteContext, DeleteOptions } from '../registry/registry.js';
import { errors, ApiError, successStatus } from '../status.js';
import { guardDepth, mediaType, readBody, sendJSON, sendRaw } from '../http.js';
import { applyStrictCheck, checkApplyConfiguration, decodeAs, decodeObject, decodePatchBody, decodePatched, fieldValidationOf, warningHeaders, type Decoded, type FieldValidation } from './decode.js';
import { parseLabelSelector, SelectorParseError, type LabelRequirement } from '../../api/selectors/labels.js';
import { parseFieldSelector, FieldSelectorError, type FieldRequirement } from '../../api/selectors/fields.js';
import { jsonMergePatch, jsonPatch, strategicMergePatch, serverSideApply, PatchError } from '../patch/index.js';
import { parseIncludeObject, toTable, wantsTable } from './table.js';
import { serveWatch, type WatchParams } from './watch.js';
import { proxyLogs, type KubeletResolver } from './nodeProxy.js';
import { isValidPathSegmentName } from '../../api/validation/names.js';
import { fieldErr, type FieldError } from '../../api/validation/fieldErrors.js';
import { queryBool, queryInt, queryOptionalBool } from '../../api/queryParams.js';
import { checkForce, dryRunOf, fieldManagerOf, type OptionsKind } from './options.js';
import { applyScale, scaleOf, type Scale } from './scale.js';
import { nowISO } from '../../api/time.js';
import { createToken, type TokenRequest } from './tokenRequest.js';
import type { ServiceAccountTokens } from '../auth/serviceAccountTokens.js';

// REST for every resource in the catalogue: routing of /api/v1/... and /apis/<g>/<v>/... paths to
// list / watch / get / create / update / patch / delete and the status, scale, binding,
// finalize and token subresources.

export interface ResourceRequest {
  resource: ResourceDef;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Path of the legacy /watch/ prefix form. */
  watchPrefix: boolean;
}

/**
 * Parses the part of the path after the group-version; undefined when nothing matches. A name that
 * cannot be one path segment ("." or "..", or containing "%") is refused as kube's registry
 * key functions refuse it (genericregistry.NamespaceKeyFunc: "Name parameter invalid").
 */
export function parseResourcePath(group: string, version: string, segs: string[]): ResourceRequest | undefined {
  if (segs.some((s) => s === '')) return undefined; // `pods//status` names nothing (kube: 404)
  const rr = matchResourcePath(group, version, segs);
  if (rr?.name) {
    const msgs = isValidPathSegmentName(rr.name);
    if (msgs.length) throw errors.badRequest(`Name parameter invalid: ${JSON.stringify(rr.name)}: ${msgs.join(';')}`);
  }
  return rr;
}

function matchResourcePath(group: string, version: string, segs: string[]): ResourceRequest | undefined {
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

/**
 * DeleteOptions from the body (decoded by decodeAs: client-go puts them there, dryRun included)
 * and the query, checked as kube's delete handler checks them (ValidateDeleteOptions).
 */
function deleteOptions(b: Record<string, unknown>, q: URLSearchParams): DeleteOptions & { dryRun: boolean } {
  const o: DeleteOptions = {};
  if (b.gracePeriodSeconds != null) o.gracePeriodSeconds = b.gracePeriodSeconds as number;
  if (b.propagationPolicy != null) o.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
  if (b.orphanDependents != null) o.orphanDependents = b.orphanDependents as boolean;
  if (b.preconditions != null) o.preconditions = b.preconditions as DeleteOptions['preconditions'];
  const grace = queryInt(q, 'gracePeriodSeconds');
  if (grace !== undefined) o.gracePeriodSeconds = grace;
  if (q.get('propagationPolicy')) o.propagationPolicy = q.get('propagationPolicy') as DeleteOptions['propagationPolicy'];
  if (q.get('orphanDependents') !== null) o.orphanDependents = queryBool(q, 'orphanDependents');
  const errs: FieldError[] = [];
  if (o.orphanDependents !== undefined && o.propagationPolicy !== undefined) {
    errs.push(fieldErr.invalid('propagationPolicy', o.propagationPolicy, 'orphanDependents and deletionPropagation cannot be both set'));
  }
  if (o.propagationPolicy !== undefined && !['Orphan', 'Background', 'Foreground'].includes(o.propagationPolicy)) {
    errs.push(fieldErr.notSupported('propagationPolicy', o.propagationPolicy, ['Foreground', 'Background', 'Orphan', 'nil']));
  }
  if (errs.length) throw errors.invalid({ group: 'meta.k8s.io', kind: 'DeleteOptions', plural: '' } as never, '', errs);
  // rest.BeforeDelete: "Negative values will be treated as the value `1s` on the delete path."
  if (o.gracePeriodSeconds !== undefined && o.gracePeriodSeconds < 0) o.gracePeriodSeconds = 1;
  const dryRun = dryRunOf('DeleteOptions', [...q.getAll('dryRun'), ...((b.dryRun as string[] | undefined) ?? [])]);
  return { ...o, dryRun };
}

function watchParams(r: ResourceDef, ns: string | undefined, labels: LabelRequirement[], fields: FieldRequirement[], q: URLSearchParams, accept: string | undefined, opts: RestOptions): WatchParams {
  const ts = queryInt(q, 'timeoutSeconds');
  return {
    resource: r,
    namespace: ns,
    labels,
    fields,
    resourceVersion: q.get('resourceVersion') ?? undefined,
    timeoutSeconds: ts,
    bookmarks: queryBool(q, 'allowWatchBookmarks'),
    sendInitialEvents: queryOptionalBool(q, 'sendInitialEvents'),
    table: wantsTable(accept) ? { include: parseIncludeObject(q.get('includeObject')) } : undefined,
    bookmarkIntervalMs: opts.bookmarkIntervalMs,
  };
}

const APPLY_PATCH = 'application/apply-patch+yaml';
/** The API verb of a request on the main resource. */
const VERB_OF: Record<string, string> = {
  'GET collection': 'list',
  'GET object': 'get',
  'POST collection': 'create',
  'PUT object': 'update',
  'PATCH object': 'patch',
  'DELETE object': 'delete',
  'DELETE collection': 'deletecollection',
};
const PATCH_TYPES = new Set(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', APPLY_PATCH]);
const FIELD_VALIDATION_VERB: Record<string, 'create' | 'update' | 'patch' | undefined> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

/** The options kind of each writing verb (what a bad dryRun or fieldManager is reported against). */
const OPTIONS_KIND: Record<string, OptionsKind | undefined> = { POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions', DELETE: 'DeleteOptions' };


export interface RestOptions {
  /** How often idle watches get a BOOKMARK (default 10 s). */
  bookmarkIntervalMs?: number;
  /** How pods/log reaches a node's kubelet (installed once nodes exist). */
  kubelet?: () => KubeletResolver | undefined;
  /** Admission of a create once its body is decoded (throws ApiError to refuse). */
  admitCreate?: (r: ResourceDef, body: KubeObject) => void;
  /** Admission of an update or patch (see WriteContext.admitUpdate). */
  admitUpdate?: WriteContext['admitUpdate'];
  /** Issues service account tokens (serviceaccounts/token); without it the subresource is not served. */
  serviceAccountTokens?: ServiceAccountTokens;
  /** Admission of a TokenRequest once decoded and defaulted (throws ApiError to refuse). */
  admitTokenRequest?: (namespace: string, serviceAccount: string, tr: TokenRequest) => void;
}

export async function handleResource(req: IncomingMessage, res: ServerResponse, registry: Registry, rr: ResourceRequest, q: URLSearchParams, opts: RestOptions = {}): Promise<void> {
  const { resource: r, namespace: ns, name, subresource: sub } = rr;
  const method = req.method ?? 'GET';
  const accept = req.headers.accept;
  const optionsKind = OPTIONS_KIND[method];
  const ctx: WriteContext = optionsKind ? { fieldManager: fieldManagerOf(optionsKind, req, q), dryRun: dryRunOf(optionsKind, q.getAll('dryRun')) } : { fieldManager: '', dryRun: false };
  ctx.admitUpdate = opts.admitUpdate;
  // fieldValidation is read (and refused when unsupported) before the body, as kube does.
  const verb = FIELD_VALIDATION_VERB[method];
  const fv: FieldValidation = verb ? fieldValidationOf(q, verb) : 'Ignore';
  /** Decoded bodies' warnings go out as `Warning` headers, whatever the request's outcome (kube's warning recorder). */
  const warn = (texts: string[]) => {
    for (const h of warningHeaders(texts)) res.appendHeader('Warning', h);
  };
  const decode = <T>(d: Decoded<T>): T => {
    warn(d.warnings);
    return d.obj;
  };
  const body = async () => guardDepth(await readBody(req), mediaType(req));
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
  // A verb the resource does not serve (deletecollection on namespaces) is a 405, as kube answers:
  // the route does not exist, so nothing may happen.
  if (!sub && !rr.watchPrefix) {
    const verb = VERB_OF[`${method} ${name ? 'object' : 'collection'}`];
    if (verb && !verbsOf(r).includes(verb) && !(verb === 'list' && queryBool(q, 'watch') && verbsOf(r).includes('watch'))) throw errors.methodNotAllowed(method);
  }

  // ---- collection ----
  if (!name) {
    if (method === 'GET') {
      const { labels, fields } = selectors(q, r);
      if (queryBool(q, 'watch') || rr.watchPrefix) {
        serveWatch(res, registry.store, watchParams(r, ns, labels, fields, q, accept, opts));
        return;
      }
      const rawLimit = queryInt(q, 'limit');
      const limit = rawLimit !== undefined && rawLimit > 0 ? rawLimit : undefined; // 0 or less: no limit, as in kube
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
      const created = decode(decodeObject(await body(), mediaType(req), r, fv));
      opts.admitCreate?.(r, created);
      const obj = await registry.create(r, ns, created, ctx);
      send(201, obj);
      return;
    }
    if (method === 'DELETE') {
      const { labels, fields } = selectors(q, r);
      const { dryRun, ...opts } = deleteOptions(decodeAs<Record<string, unknown>>(await body(), mediaType(req), 'DeleteOptions', 'Ignore').obj, q);
      const delCtx: WriteContext = { ...ctx, dryRun: ctx.dryRun || dryRun };
      const list = registry.list(r, ns, { labels, fields });
      const out: KubeObject[] = [];
      for (const { obj } of list.items) {
        try {
          out.push((await registry.delete(r, obj.metadata.namespace, obj.metadata.name!, opts, delCtx)).obj);
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
      const ct = mediaType(req);
      let scale: Scale;
      if (method === 'PUT') scale = decode(decodeAs<Scale>(await body(), ct, 'Scale', fv));
      else {
        if (ct === APPLY_PATCH) throw errors.unsupportedMediaType(ct);
        const pb = decodePatchBody(await body(), ct, fv);
        scale = decode(decodePatched(applyPatch(r, name, ct, scaleOf(live), pb.patch), 'Scale', fv, ct, pb)) as unknown as Scale;
      }
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
    const binding = decode(decodeAs<{ metadata?: { annotations?: Record<string, string> }; target?: { name?: string; kind?: string } }>(await body(), mediaType(req), 'Binding', fv));
    const node = binding.target?.name;
    if (!node) throw errors.invalid(r, name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
    await registry.bind(ns!, name, node, ctx, binding.metadata?.annotations);
    return sendJSON(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  // ---- token (serviceaccounts/token) ----
  if (sub === 'token') {
    if (!opts.serviceAccountTokens) throw errors.notFoundPath();
    if (method !== 'POST') throw errors.methodNotAllowed(method);
    const tr = decode(decodeAs<TokenRequest>(await body(), mediaType(req), 'TokenRequest', fv));
    const out = await createToken(registry, opts.serviceAccountTokens, ns!, name, tr, (t) => opts.admitTokenRequest?.(ns!, name, t));
    return sendJSON(res, 201, out);
  }

  const subresource = sub === 'status' || sub === 'finalize' ? sub : undefined;
  if (sub && !subresource) throw errors.notFoundPath();

  switch (method) {
    case 'GET': {
      if (wantsTable(accept)) return send(200, registry.get(r, ns, name));
      return sendRaw(res, 200, registry.getJSON(r, ns, name));
    }
    case 'PUT': {
      const updated = decode(decodeObject(await body(), mediaType(req), r, fv));
      const { obj, created } = await registry.update(r, ns, name, updated, ctx, subresource);
      return send(created ? 201 : 200, obj);
    }
    case 'PATCH': {
      const ct = mediaType(req);
      if (!PATCH_TYPES.has(ct)) throw errors.unsupportedMediaType(ct);
      checkForce(ct === APPLY_PATCH, q);
      if (ct === APPLY_PATCH && !q.get('fieldManager')) {
        throw errors.invalid({ group: 'meta.k8s.io', kind: 'PatchOptions', plural: '' } as never, '', [fieldErr.required('fieldManager', 'is required for apply patch')]);
      }
      const raw = await body();
      const pb = decodePatchBody(raw, ct, fv);
      if (ct === APPLY_PATCH) {
        warn(applyStrictCheck(raw, fv));
        return send(...(await serverSideApplyPatch(registry, r, ns, name, pb.patch as KubeObject, ctx, queryBool(q, 'force'), subresource)));
      }
      const patched = decode(decodePatched(applyPatch(r, name, ct, JSON.parse(registry.getJSON(r, ns, name)), pb.patch), r, fv, ct, pb));
      const { obj } = await registry.update(r, ns, name, patched, ctx, subresource);
      return send(200, obj);
    }
    case 'DELETE': {
      if (subresource) throw errors.methodNotAllowed(method);
      const { dryRun, ...opts } = deleteOptions(decodeAs<Record<string, unknown>>(await body(), mediaType(req), 'DeleteOptions', 'Ignore').obj, q);
      const { obj, gone } = await registry.delete(r, ns, name, opts, { ...ctx, dryRun: ctx.dryRun || dryRun });
      // Like kube's generic registry: an object still being deleted (grace period, finalizers)
      // comes back as is; a removed one as a Success Status, except for the resources whose
      // storage returns the deleted object.
      if (!gone || registry.strategy(r).returnsDeletedObject) return send(200, obj);
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
  if (!applied || typeof applied !== 'object' || Array.isArray(applied)) throw errors.badRequest('the apply body must be an object');
  checkApplyConfiguration(applied, r);
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
      now: nowISO(),
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
