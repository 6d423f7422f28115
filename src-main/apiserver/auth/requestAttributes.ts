import type { ResourceDef } from '../../api/resources.js';
import { queryBool } from '../../api/queryParams.js';
import type { ResourceRequest } from '../handlers/rest.js';
import { parseFieldSelector, type FieldRequirement } from '../../api/selectors/fields.js';

// What an authorizer sees of a resource request (kube's authorizer.Attributes, as
// k8s.io/apiserver's RequestInfoFactory derives it from the method, path and query): the verb
// (get/list/watch/create/update/patch/delete/deletecollection), the resource and subresource,
// the namespace, the name, and the field selector of a list, watch or deletecollection.
//
// Two details authorizers depend on: a list or watch whose field selector pins metadata.name to
// one value carries that name (how a kubelet's single-object reflectors are authorized), and
// the namespace of a request on a namespace is the namespace itself.

export interface RequestAttributes {
  verb: string;
  resource: ResourceDef;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Requirements of the field selector of a list, watch or deletecollection; [] if none or unparsable. */
  fieldSelector: FieldRequirement[];
}

const METHOD_VERBS = new Map([
  ['POST', 'create'],
  ['GET', 'get'],
  ['HEAD', 'get'],
  ['PUT', 'update'],
  ['PATCH', 'patch'],
  ['DELETE', 'delete'],
]);

/** apimachinery's path.IsValidPathSegmentName: a name usable as one path segment. */
function validPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

function fieldRequirements(q: URLSearchParams, r: ResourceDef): FieldRequirement[] {
  const text = q.get('fieldSelector');
  if (!text) return [];
  try {
    return parseFieldSelector(text, r.key);
  } catch {
    // kube records the parse error and authorizes as if there were no selector; the request
    // itself is refused later with the parse error if it gets that far.
    return [];
  }
}

export function requestAttributes(method: string, rr: ResourceRequest, q: URLSearchParams): RequestAttributes {
  let verb = rr.watchPrefix ? 'watch' : (METHOD_VERBS.get(method) ?? '');
  const collectionGet = !rr.name && verb === 'get';
  if (collectionGet) verb = queryBool(q, 'watch') ? 'watch' : 'list';
  if (!rr.name && verb === 'delete') verb = 'deletecollection';
  const fieldSelector = verb === 'list' || verb === 'watch' || verb === 'deletecollection' ? fieldRequirements(q, rr.resource) : [];
  let name = rr.name;
  // Only a GET of a collection (not the /watch/ path prefix) takes its name from the selector.
  const pinned = collectionGet ? fieldSelector.find((f) => f.field === 'metadata.name' && f.op === '=') : undefined;
  if (pinned && validPathSegmentName(pinned.value)) name = pinned.value;
  const namespace = rr.resource.key === 'namespaces' ? rr.name : rr.namespace;
  return { verb, resource: rr.resource, subresource: rr.subresource, namespace, name, fieldSelector };
}
