import type { Pod, Service, ServicePort } from '../../api/types.js';
import { isPodReady, isPodTerminal } from './pods.js';

// What the endpoints and endpointslice controllers agree on about a Service and its pods
// (k8s.io/endpointslice/util and pkg/api/v1/pod FindPort): which services get endpoints, which
// pods count, how a targetPort resolves against a pod, and when an address carries a hostname.

export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';

/**
 * Services the controllers manage: a non-empty selector and not ExternalName. An empty selector
 * counts as none, as it does in Kubernetes once stored (protobuf drops empty maps).
 */
export function serviceHasSelector(svc: Service): boolean {
  if (svc.spec?.type === 'ExternalName') return false;
  const sel = svc.spec?.selector;
  return !!sel && Object.keys(sel).length > 0;
}

/** default/kubernetes belongs to the API server's own endpoint reconciler, never to these loops. */
export function isApiServerService(namespace: string, name: string): boolean {
  return namespace === 'default' && name === 'kubernetes';
}

export function isHeadless(svc: Service): boolean {
  return svc.spec?.clusterIP === 'None';
}

/** Equality-based selector of a Service (a plain map) against a pod's labels. */
export function selectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  for (const k in selector) {
    if (!labels || labels[k] !== selector[k]) return false;
  }
  return true;
}

/**
 * ShouldPodBeInEndpoints: finished pods and pods without an IP never are; terminating pods only
 * when the caller keeps them (slices always do, with terminating=true; legacy Endpoints only
 * with publishNotReadyAddresses).
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** The pod's IPv4 address (podIPs first, as the primary podIP may be IPv6 on dual-stack). */
export function podIPv4(pod: Pod): string | undefined {
  const ips = pod.status?.podIPs?.map((p) => p.ip) ?? [];
  if (pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => !!ip && !ip.includes(':'));
}

/** A pod's hostname is published for the headless Service its spec.subdomain names. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/**
 * FindPort: the pod port a Service port sends to. A number is used as is; a name is looked up
 * among the pod's container ports of the same protocol (sidecar init containers included), so
 * pods may serve one name on different numbers. undefined = this pod does not offer the port.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  const containers = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/**
 * Whether a pod update can change any Service's endpoints (kube's podEndpointsChanged): labels,
 * deletion, IPs, readiness, phase, node and DNS identity. Status heartbeats that touch none of
 * these do not wake the controllers.
 */
export function podEndpointsChanged(a: Pod, b: Pod): { changed: boolean; labelsChanged: boolean } {
  const labelsChanged = !sameStringMap(a.metadata.labels, b.metadata.labels);
  const changed =
    labelsChanged ||
    !!a.metadata.deletionTimestamp !== !!b.metadata.deletionTimestamp ||
    a.metadata.uid !== b.metadata.uid ||
    a.status?.podIP !== b.status?.podIP ||
    (a.status?.podIPs ?? []).map((p) => p.ip).join(',') !== (b.status?.podIPs ?? []).map((p) => p.ip).join(',') ||
    isPodReady(a) !== isPodReady(b) ||
    isPodTerminal(a) !== isPodTerminal(b) ||
    a.spec?.nodeName !== b.spec?.nodeName ||
    a.spec?.hostname !== b.spec?.hostname ||
    a.spec?.subdomain !== b.spec?.subdomain;
  return { changed, labelsChanged };
}

export function sameStringMap(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ak = Object.keys(a ?? {});
  if (ak.length !== Object.keys(b ?? {}).length) return false;
  for (const k of ak) if (a![k] !== b?.[k]) return false;
  return true;
}

/** Structural equality of JSON values (key order ignored; undefined members ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    if (a.length !== bb.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bb[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

/**
 * Orders two resourceVersions. Flotilla's are one cluster-wide increasing integer, so "older
 * than what we wrote" is decidable; anything else compares as merely different.
 */
export function rvOlder(rv: string | undefined, than: string): boolean {
  if (!rv) return true;
  if (/^\d+$/.test(rv) && /^\d+$/.test(than)) return BigInt(rv) < BigInt(than);
  return rv !== than;
}

/** IPv4 addresses in numeric order (kube sorts endpoint addresses by their bytes). */
export function compareIPs(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4 && pa.every((n) => n >= 0) && pb.every((n) => n >= 0)) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
