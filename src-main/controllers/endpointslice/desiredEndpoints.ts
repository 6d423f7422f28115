import type { EndpointSlice, EndpointSliceEndpoint, Pod, Service } from '../../api/types.js';
import { isPodReady } from '../util/pods.js';
import { findPort, isHeadless, LABEL_HEADLESS, LABEL_SERVICE_NAME, podIPv4, shouldPodBeInEndpoints, shouldSetHostname } from '../util/serviceEndpoints.js';

// The desired state of one Service's EndpointSlices, computed from its pods alone: every pod
// with an IP becomes one endpoint, grouped by the exact port list it offers (a named targetPort
// can resolve to different numbers on different pods, and a slice has one port list).

export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SlicePort {
  name: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface DesiredGroup {
  ports: SlicePort[];
  /** Endpoints by endpointKey. */
  endpoints: Map<string, EndpointSliceEndpoint>;
}

/** The ports of the Service this pod serves, in Service order; ports it lacks are left out. */
export function endpointPortsForPod(svc: Service, pod: Pod): SlicePort[] {
  const out: SlicePort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: SlicePort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

/** Identity of a port list regardless of order (kube's PortMapKey). */
export function portSetKey(ports: readonly { name?: string; port?: number; protocol?: string; appProtocol?: string }[] | null | undefined): string {
  return JSON.stringify(
    (ports ?? [])
      .map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? ''])
      .sort((a, b) => (a.join('\0') < b.join('\0') ? -1 : a.join('\0') > b.join('\0') ? 1 : 0)),
  );
}

/** Identity of an endpoint across updates: the pod it stands for and its addresses (kube's endpoint hash). */
export function endpointKey(ep: EndpointSliceEndpoint): string {
  const ref = ep.targetRef ? `${ep.targetRef.namespace ?? ''}/${ep.targetRef.name ?? ''}` : '';
  return `${ref}|${[...(ep.addresses ?? [])].sort().join(',')}|${ep.hostname ?? ''}`;
}

/**
 * One pod as an endpoint. ready = serving and not terminating (so old clients drop a pod that is
 * shutting down) unless the Service publishes not-ready addresses; serving = the pod's Ready
 * condition even while terminating; terminating = deletionTimestamp set.
 */
export function podToEndpoint(pod: Pod, svc: Service): EndpointSliceEndpoint | undefined {
  const ip = podIPv4(pod);
  if (!ip) return undefined;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = svc.spec?.publishNotReadyAddresses === true || (serving && !terminating);
  const ep: EndpointSliceEndpoint = { addresses: [ip], conditions: { ready, serving, terminating } };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname;
  ep.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  if (pod.spec?.nodeName) ep.nodeName = pod.spec.nodeName;
  return ep;
}

/** The desired endpoints of a Service, grouped by port set (key: portSetKey). */
export function desiredGroups(svc: Service, pods: readonly Pod[]): Map<string, DesiredGroup> {
  const groups = new Map<string, DesiredGroup>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ep = podToEndpoint(pod, svc);
    if (!ep) continue;
    const ports = endpointPortsForPod(svc, pod);
    const key = portSetKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    g.endpoints.set(endpointKey(ep), ep);
  }
  return groups;
}

/**
 * Labels of a slice: the Service's own labels (minus the keys this controller owns) plus the
 * service-name and managed-by labels, and the headless marker for clusterIP None.
 */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) {
    if (k === LABEL_SERVICE_NAME || k === LABEL_MANAGED_BY || k === LABEL_HEADLESS) continue;
    labels[k] = v;
  }
  labels[LABEL_SERVICE_NAME] = svc.metadata.name!;
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;
  if (isHeadless(svc)) labels[LABEL_HEADLESS] = '';
  return labels;
}

/** A new (unnamed) slice for a Service; the API server names it from generateName. */
export function newSlice(svc: Service, ports: SlicePort[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      generateName: `${svc.metadata.name}-`,
      namespace: svc.metadata.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: svc.metadata.name!, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    addressType: 'IPv4',
    endpoints: [],
    ports: ports.map((p) => ({ ...p })),
  };
}

/** Whether the slice is controlled by this incarnation of the Service (same uid). */
export function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return !!slice.metadata.ownerReferences?.some((r) => r.controller && r.kind === 'Service' && r.uid === svc.metadata.uid);
}
