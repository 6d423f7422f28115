import { resourceByKey, type ResourceDef } from '../../api/resources.js';
import type { KubeObject } from '../../api/types.js';
import { goQuote } from '../../api/validation/goRender.js';
import type { Store } from '../../store/store.js';
import { errors, type ApiError } from '../status.js';
import { nodeIdentity } from './nodeIdentity.js';
import type { RequestAttributes } from './requestAttributes.js';
import type { UserInfo } from './tokens.js';

// kube's NodeRestriction admission plugin (plugin/pkg/admission/noderestriction): what a node may
// write once the Node authorizer let the verb through. A node modifies only its own Node — never
// its taints, never labels outside the kubelet's set (so it cannot steer privileged workloads to
// itself, e.g. by claiming node-role.kubernetes.io/control-plane) — and its own Lease; it updates
// the status of, deletes and evicts only pods bound to it, and cannot relabel them through status.
// It may create mirror pods in kube; Flotilla's kubelet runs no static pods, so a node creates no
// pods at all.
//
// Every refusal is kube's admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`.
// The checks that need only the stored object run as soon as the request is routed
// (admitStoredObject); those that need the new object run on create and update.

const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** Labels a kubelet may set on its Node (k8s.io/kubelet/pkg/apis well_known_labels.go). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'topology.kubernetes.io/zone',
  'topology.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'failure-domain.beta.kubernetes.io/region',
  'beta.kubernetes.io/instance-type',
  'node.kubernetes.io/instance-type',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
/** Label namespaces (and their subdomains) a kubelet may use freely. */
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const NODE_RESTRICTION_NAMESPACE = 'node-restriction.kubernetes.io';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

const labelNamespace = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inDomain = (ns: string, domain: string): boolean => ns === domain || ns.endsWith(`.${domain}`);

function isKubeletLabel(key: string): boolean {
  return KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => inDomain(labelNamespace(key), d));
}

/** Label keys whose presence or value differs between the two objects' labels. */
function modifiedLabels(a: unknown, b: unknown): string[] {
  const x = obj(a) ?? {};
  const y = obj(b) ?? {};
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].filter((k) => !(k in x) || !(k in y) || x[k] !== y[k]);
}

/** The modified labels a node may not add, remove or change (kube's getForbiddenLabels), sorted. */
function forbiddenLabels(modified: string[]): string[] {
  return modified
    .filter((k) => {
      const ns = labelNamespace(k);
      if (inDomain(ns, NODE_RESTRICTION_NAMESPACE)) return true;
      return (inDomain(ns, 'kubernetes.io') || inDomain(ns, 'k8s.io')) && !isKubeletLabel(k);
    })
    .sort();
}

/** apiequality.Semantic.DeepEqual on JSON values: nil and empty lists/maps are equal, key order is not significant. */
function semanticEqual(a: unknown, b: unknown): boolean {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.length ? v.map(norm) : undefined;
    const o = obj(v);
    if (o) {
      const keys = Object.keys(o).sort();
      return keys.length ? Object.fromEntries(keys.map((k) => [k, norm(o[k])])) : undefined;
    }
    return v ?? undefined;
  };
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

function refuse(r: ResourceDef, name: string | undefined, why: string): ApiError {
  return errors.forbidden(r, name ?? '', why);
}

/**
 * The checks that need only what is stored: a node modifies only its own Node (its create is
 * checked on the body), and deletes, evicts or updates the status of only pods bound to it. A
 * missing object passes: the request then fails as kube's does, with NotFound.
 */
export function admitStoredObject(node: string, a: RequestAttributes, store: Store): ApiError | null {
  const q = goQuote(node);
  if (a.resource.key === 'nodes' && a.verb !== 'create' && a.verb !== 'get' && a.verb !== 'list' && a.verb !== 'watch') {
    return a.name === node ? null : refuse(a.resource, a.name, `node ${q} is not allowed to modify node ${goQuote(a.name ?? '')}`);
  }
  if (a.resource.key !== 'pods' || !a.name) return null;
  const bound = () => {
    const pod = store.get('pods', `${a.namespace ?? ''}/${a.name}`);
    return !pod || pod.spec?.nodeName === node;
  };
  if (!a.subresource && a.verb === 'delete' && !bound()) return refuse(a.resource, a.name, `node ${q} can only delete pods with spec.nodeName set to itself`);
  if (a.subresource === 'status' && (a.verb === 'update' || a.verb === 'patch') && !bound()) {
    return refuse(a.resource, a.name, `node ${q} can only update pod status for pods with spec.nodeName set to itself`);
  }
  if (a.subresource === 'eviction' && a.verb === 'create' && !bound()) return refuse(a.resource, a.name, `node ${node} can only evict pods with spec.nodeName set to itself`);
  return null;
}

/** NodeRestriction for a create by a node, once the body is decoded. Returns the Forbidden error, or null. */
export function nodeCreateAdmission(user: UserInfo, r: ResourceDef, body: KubeObject | undefined): ApiError | null {
  const node = nodeIdentity(user);
  if (node === undefined) return null;
  const name = typeof body?.metadata?.name === 'string' ? body.metadata.name : '';
  const q = goQuote(node);
  switch (r.key) {
    case 'nodes': {
      if (name !== node) return refuse(r, name, `node ${q} is not allowed to modify node ${goQuote(name)}`);
      const spec = obj(body?.spec);
      // kube's message says "pods" here too.
      if (spec?.configSource !== undefined && spec.configSource !== null) return refuse(r, name, `node ${q} is not allowed to create pods with a non-nil configSource`);
      const bad = forbiddenLabels(modifiedLabels(body?.metadata?.labels, undefined));
      return bad.length ? refuse(r, name, `node ${q} is not allowed to set the following labels: ${bad.join(', ')}`) : null;
    }
    case 'pods': {
      if (body?.metadata?.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
        return refuse(r, name, `pod does not have ${goQuote(MIRROR_POD_ANNOTATION)} annotation, node ${q} can only create mirror pods`);
      }
      // kube admits a mirror pod bound to the node and owned by it; Flotilla has no static pods to mirror.
      return refuse(r, name, `node ${q} can only create mirror pods, and Flotilla nodes run no static pods`);
    }
    case 'leases.coordination.k8s.io':
      return name === node ? null : refuse(r, name, 'can only access node lease with the same name as the requesting node');
    default:
      return null;
  }
}

/**
 * NodeRestriction for an update or patch by a node (any subresource), given the stored object and
 * the object the request would store before the strategy resets anything (kube runs this
 * admission before the update strategy). Returns the Forbidden error, or null.
 */
export function nodeUpdateAdmission(user: UserInfo, r: ResourceDef, oldObj: KubeObject, newObj: KubeObject, subresource?: string): ApiError | null {
  const node = nodeIdentity(user);
  if (node === undefined) return null;
  const name = oldObj.metadata.name ?? '';
  const q = goQuote(node);
  if (r.key === 'nodes') {
    if (name !== node) return refuse(r, name, `node ${q} is not allowed to modify node ${goQuote(name)}`);
    const configSource = obj(newObj.spec)?.configSource;
    if (configSource !== undefined && configSource !== null && !semanticEqual(configSource, obj(oldObj.spec)?.configSource)) {
      return refuse(r, name, `node ${q} is not allowed to update configSource to a new non-nil configSource`);
    }
    if (!semanticEqual(obj(newObj.spec)?.taints, obj(oldObj.spec)?.taints)) return refuse(r, name, `node ${q} is not allowed to modify taints`);
    const bad = forbiddenLabels(modifiedLabels(obj(newObj.metadata)?.labels, oldObj.metadata.labels));
    // kube's message has no subject here.
    return bad.length ? refuse(r, name, `is not allowed to modify labels: ${bad.join(', ')}`) : null;
  }
  if (r.key === 'pods' && subresource === 'status') {
    if (oldObj.spec?.nodeName !== node) return refuse(r, name, `node ${q} can only update pod status for pods with spec.nodeName set to itself`);
    if (modifiedLabels(obj(newObj.metadata)?.labels, oldObj.metadata.labels).length) return refuse(r, name, `node ${q} cannot update labels through pod status`);
  }
  return null;
}

/** A TokenRequest's spec as NodeRestriction reads it. */
interface BoundTokenRequest {
  spec?: { boundObjectRef?: { kind?: string; apiVersion?: string; name?: string; uid?: string } | null };
}

/**
 * NodeRestriction for serviceaccounts/token (kube's admitServiceAccount): a node asks only for
 * tokens bound to a pod scheduled on it, named with its uid. (The Node authorizer already limited
 * the service account to one a pod on the node runs as.) Returns the error, or null.
 */
export function nodeTokenRequestAdmission(user: UserInfo, namespace: string, serviceAccount: string, tr: BoundTokenRequest, store: Store): ApiError | null {
  const node = nodeIdentity(user);
  if (node === undefined) return null;
  const sa = resourceByKey('serviceaccounts')!;
  const ref = tr.spec?.boundObjectRef;
  if (!ref || ref.apiVersion !== 'v1' || ref.kind !== 'Pod' || !ref.name) return refuse(sa, serviceAccount, 'node requested token not bound to a pod');
  if (!ref.uid) return refuse(sa, serviceAccount, 'node requested token with a pod binding without a uid');
  const pod = store.get('pods', `${namespace}/${ref.name}`);
  if (!pod) return errors.notFound(resourceByKey('pods')!, ref.name);
  if (pod.metadata.uid !== ref.uid) {
    return refuse(sa, serviceAccount, `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
  }
  if (pod.spec?.nodeName !== node) return refuse(sa, serviceAccount, 'node requested token bound to a pod scheduled on a different node');
  return null;
}
