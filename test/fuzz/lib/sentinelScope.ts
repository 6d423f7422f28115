import { resourceByPath, verbsOf, type ResourceDef } from '../../../src-main/api/resources.js';
import { FUZZ_NS } from './seeds.js';

// What Kubernetes itself would do with a request's target, read as kube-apiserver reads it: split
// on "/", each segment percent-decoded, never a dot segment resolved (a "." or ".." segment or a
// bad escape makes a request Kubernetes refuses, so it writes nothing). Used for two judgements:
// whether a request may legitimately change the objects made before fuzzing (the "sentinels":
// everything outside the fuzz namespace and the fz-* names), and whether its verb is one the
// resource does not serve at all (405, nothing written).

const READS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT']);

interface KubeTarget {
  resource?: ResourceDef;
  /** rest after the group-version (and a "watch" prefix) */
  rest: string[];
  /** The path has an empty segment inside it: unclear how a router reads it. */
  ambiguous: boolean;
}

function parse(target: string): KubeTarget | undefined {
  let path = target.split('?')[0]!;
  const absolute = /^https?:\/\/[^/]*(\/.*)?$/i.exec(path);
  if (absolute) path = absolute[1] ?? '/';
  if (!path.startsWith('/')) return undefined;
  let segs: string[];
  try {
    segs = path.replace(/^\/+|\/+$/g, '').split('/').map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
  if (segs.some((s) => s === '.' || s === '..')) return undefined;
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 2) [group, version, rest] = ['', segs[1]!, segs.slice(2)];
  else if (segs[0] === 'apis' && segs.length >= 3) [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
  else return undefined;
  if (rest[0] === 'watch') rest = rest.slice(1);
  const plural = rest[0] === 'namespaces' && rest.length >= 3 ? rest[2]! : rest[0];
  const resource = plural === undefined ? undefined : resourceByPath(group, version, plural);
  return { resource, rest, ambiguous: segs.some((s) => s === '') };
}

function fuzzOwnedNamespace(ns: string): boolean {
  return ns === FUZZ_NS || ns.startsWith('fz-');
}

export function mayWriteSentinels(method: string, target: string): boolean {
  if (READS.has(method)) return false;
  const t = parse(target);
  if (!t) return false;
  if (t.ambiguous) return true;
  const { rest } = t;
  if (!rest.length || refusedVerb(method, target)) return false;
  // A POST to a collection creates a new object; it cannot change an existing one.
  const collectionPost = method === 'POST';
  if (rest[0] === 'namespaces') {
    if (rest.length === 1) return !collectionPost; // the collection of namespaces
    if (rest.length === 3 && !(rest[2] === 'status' || rest[2] === 'finalize') && collectionPost) return false; // a namespaced collection
    return !fuzzOwnedNamespace(rest[1]!);
  }
  // A cluster-level collection (all nodes, all configmaps...) or a cluster-scoped object.
  if (rest.length === 1) return !collectionPost;
  return !rest[1]!.startsWith('fz-');
}

/**
 * Why Kubernetes would answer 405 and write nothing: the verb is not among the resource's
 * (discovery's verbs; e.g. namespaces have no deletecollection). Undefined when it is, or unknown.
 */
export function refusedVerb(method: string, target: string): string | undefined {
  const t = parse(target);
  if (!t?.resource || t.ambiguous) return undefined;
  const r = t.resource;
  const { rest } = t;
  // Only the plain collection and object paths; subresources have verbs of their own.
  let collection: boolean;
  if (rest[0] === 'namespaces' && r.kind !== 'Namespace') {
    if (rest.length === 3) collection = true;
    else if (rest.length === 4) collection = false;
    else return undefined;
  } else if (rest.length === 1) collection = true;
  else if (rest.length === 2) collection = false;
  else return undefined;
  const verb = collection ? { POST: 'create', DELETE: 'deletecollection' }[method] : { PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method];
  if (!verb || verbsOf(r).includes(verb)) return undefined;
  return `${r.plural} do not serve "${verb}" (Kubernetes answers 405)`;
}
