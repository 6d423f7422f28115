import type { KubeObject } from '../../api/types.js';
import { resourceByKey } from '../../api/resources.js';
import { silentLogger, type Logger } from '../../api/log.js';
import { ApiError } from '../status.js';
import type { Registry, WriteContext } from './registry.js';

// kube-apiserver's endpoint reconciler (pkg/controlplane/reconcilers, with endpointsadapter.go)
// and the port half of its kubernetes-service controller: the Endpoints and EndpointSlice of
// `default/kubernetes` name the address and port pods reach the API server at, and the Service's
// targetPort is that port. The API server writes them itself (no selector: no controller owns
// them) and puts them back when someone changes them.
//
// In Flotilla pods reach the API server where nodes do: the cluster network's gateway and the
// relay's port (cluster/apiRelay.ts). Without nodes there is no such address: the Endpoints have
// no subsets and the slice no endpoints, which is what is true (no pod can reach the server).

export interface ApiEndpoint {
  ip: string;
  port: number;
}

const NAME = 'kubernetes';
const NS = 'default';
const PORT_NAME = 'https';
/** kube's reconciler keeps the Endpoints out of the EndpointSlice mirroring controller. */
const SKIP_MIRROR = 'endpointslice.kubernetes.io/skip-mirror';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** kube's --endpoint-reconciler interval. */
const RECONCILE_INTERVAL_MS = 10_000;

export function desiredEndpoints(ep: ApiEndpoint | null): KubeObject {
  const obj: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: NAME, namespace: NS, labels: { [SKIP_MIRROR]: 'true' } } };
  if (ep) (obj as { subsets?: unknown }).subsets = [{ addresses: [{ ip: ep.ip }], ports: [{ name: PORT_NAME, port: ep.port, protocol: 'TCP' }] }];
  return obj;
}

export function desiredEndpointSlice(ep: ApiEndpoint | null): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: NAME, namespace: NS, labels: { [SERVICE_NAME_LABEL]: NAME } },
    addressType: ep?.ip.includes(':') ? 'IPv6' : 'IPv4',
    endpoints: ep ? [{ addresses: [ep.ip], conditions: { ready: true } }] : [],
    ...(ep ? { ports: [{ name: PORT_NAME, port: ep.port, protocol: 'TCP' }] } : {}),
  } as KubeObject;
}

/** Whether `live` already says what `want` says (the fields the reconciler owns). */
function sameAs(live: KubeObject | undefined, want: KubeObject, fields: string[]): boolean {
  if (!live) return false;
  const pick = (o: KubeObject) => JSON.stringify(fields.map((f) => (o as Record<string, unknown>)[f] ?? null));
  const labels = want.metadata.labels ?? {};
  return pick(live) === pick(want) && Object.entries(labels).every(([k, v]) => live.metadata.labels?.[k] === v);
}

export class KubernetesEndpointsReconciler {
  private endpoint: ApiEndpoint | null = null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly ctx: WriteContext = { fieldManager: 'kube-apiserver', dryRun: false };
  private readonly log: Logger;

  constructor(
    private readonly registry: Registry,
    log: Logger = silentLogger,
  ) {
    this.log = log.with('endpoint-reconciler');
  }

  /** Publishes `ep` (null: no address) now, and keeps it published. */
  publish(ep: ApiEndpoint | null): Promise<void> {
    this.endpoint = ep;
    this.timer ??= setInterval(() => void this.reconcile(), RECONCILE_INTERVAL_MS).unref();
    return this.reconcile();
  }

  /** One pass; passes never overlap. */
  reconcile(): Promise<void> {
    this.running = this.running.then(() =>
      this.sync().catch((e) => {
        // A conflict with a concurrent writer is settled by the next pass.
        if (!(e instanceof ApiError && e.code === 409)) this.log.warn('reconciling the kubernetes endpoints failed', { err: e });
      }),
    );
    return this.running;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sync(): Promise<void> {
    const ep = this.endpoint;
    const store = this.registry.store;
    const epDef = resourceByKey('endpoints')!;
    const wantEp = desiredEndpoints(ep);
    const liveEp = store.get('endpoints', `${NS}/${NAME}`);
    if (!sameAs(liveEp, wantEp, ['subsets'])) {
      const body = liveEp ? { ...wantEp, metadata: { ...liveEp.metadata, labels: { ...(liveEp.metadata.labels ?? {}), ...wantEp.metadata.labels } } } : wantEp;
      if (!ep) delete (body as { subsets?: unknown }).subsets;
      await this.registry.update(epDef, NS, NAME, body, this.ctx);
    }
    const sliceDef = resourceByKey('endpointslices.discovery.k8s.io')!;
    const wantSlice = desiredEndpointSlice(ep);
    const liveSlice = store.get(sliceDef.key, `${NS}/${NAME}`);
    if (!liveSlice) await this.registry.create(sliceDef, NS, wantSlice, this.ctx);
    else if (!sameAs(liveSlice, wantSlice, ['addressType', 'endpoints', 'ports'])) {
      await this.registry.update(sliceDef, NS, NAME, { ...wantSlice, metadata: { ...liveSlice.metadata, labels: { ...(liveSlice.metadata.labels ?? {}), ...wantSlice.metadata.labels } } }, this.ctx);
    }
    if (ep) await this.syncServicePort(ep.port);
  }

  /** The Service's https port targets the published port (kube's kubernetesservice controller). */
  private async syncServicePort(port: number): Promise<void> {
    const svc = this.registry.store.get('services', `${NS}/${NAME}`);
    const ports = (svc?.spec?.ports ?? []) as { name?: string; targetPort?: number | string }[];
    const https = ports.find((p) => p.name === PORT_NAME);
    if (!svc || !https || https.targetPort === port) return;
    const updated = structuredClone(svc);
    for (const p of updated.spec.ports as { name?: string; targetPort?: number | string }[]) if (p.name === PORT_NAME) p.targetPort = port;
    await this.registry.update(resourceByKey('services')!, NS, NAME, updated, this.ctx);
  }
}
