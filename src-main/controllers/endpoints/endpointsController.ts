import type { Endpoints, Pod, Service } from '../../api/types.js';
import { errorMessage } from '../../api/errors.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../client/apiClient.js';
import type { EventRecorder } from '../../client/eventRecorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { BaseController, StaleCacheError, type ControllerContext } from '../../client/controller.js';
import { ServicePods, splitKey } from '../util/servicePods.js';
import { isNamespaceTerminating } from '../util/apiErrors.js';
import { isApiServerService, rvOlder, serviceHasSelector } from '../util/serviceEndpoints.js';
import { desiredEndpoints } from './desiredSubsets.js';

// The Endpoints controller (kube's pkg/controller/endpoint): keeps the core/v1 Endpoints object
// named like each selector Service equal to what its pods say. Services without a selector are
// left alone (their Endpoints are written by hand); an Endpoints object whose Service is deleted
// is deleted with it.

/** Endpoints kept by leader election, never tied to a Service. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

export class EndpointsController extends BaseController {
  readonly name = 'endpoints-controller';
  private readonly queue = this.newQueue((key) => this.sync(key), { baseDelayMs: 5, maxDelayMs: 10_000 });
  private services!: Informer<Service>;
  private endpoints!: Informer<Endpoints>;
  private servicePods!: ServicePods;
  /** resourceVersion of our last write per Service key, until the informer has shown it. */
  private readonly written = new Map<string, string>();
  private readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    super(ctx);
    // kube's event source for this controller is the singular "endpoint-controller".
    this.recorder = ctx.recorder('endpoint-controller');
  }

  init(): void {
    this.services = this.ctx.informers.informer<Service>('services');
    this.endpoints = this.ctx.informers.informer<Endpoints>('endpoints');
    this.servicePods = new ServicePods(this.services, this.ctx.informers.informer<Pod>('pods'));
    this.servicePods.init();
    const enqueue = (k: string) => this.queue.add(k);
    this.services.addHandlers({
      onAdd: (svc) => enqueue(keyOf(svc)),
      onUpdate: (_old, svc) => enqueue(keyOf(svc)),
      onDelete: (svc) => enqueue(keyOf(svc)),
    });
    this.servicePods.onPodEvents(enqueue);
    // Someone else's change to the Endpoints of an existing Service is put right. Endpoints
    // without a Service are not touched here: they may be written just before their Service.
    const onChange = (ep: Endpoints) => {
      const k = keyOf(ep);
      const mine = this.written.get(k);
      if (mine !== undefined && !rvOlder(mine, ep.metadata.resourceVersion ?? '')) return;
      if (this.services.getByKey(k)) enqueue(k);
    };
    this.endpoints.addHandlers({
      onAdd: onChange,
      onUpdate: (_old, ep) => onChange(ep),
      onDelete: (ep) => {
        const k = keyOf(ep);
        this.written.delete(k);
        if (this.services.getByKey(k)) enqueue(k);
      },
    });
  }

  override run(): void {
    // Endpoints left behind by Services deleted while we were not running (kube's
    // checkLeftoverEndpoints).
    for (const ep of this.endpoints.list()) {
      if (ep.metadata.annotations?.[LEADER_ANNOTATION] !== undefined) continue;
      const k = keyOf(ep);
      if (!this.services.getByKey(k)) this.queue.add(k);
    }
    super.run();
  }

  /** Reconciles the Endpoints of one Service (key "namespace/name"). */
  async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    if (isApiServerService(namespace, name)) return;
    const svc = this.services.get(namespace, name);
    const current = this.endpoints.get(namespace, name);

    if (!svc) {
      if (!current && !this.written.has(key)) return;
      this.written.delete(key);
      try {
        await this.ctx.client.delete('endpoints', namespace, name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    if (!serviceHasSelector(svc)) return;

    const mine = this.written.get(key);
    if (mine !== undefined && (!current || rvOlder(current.metadata.resourceVersion, mine))) throw new StaleCacheError(`endpoints cache of ${key} is behind our write`);

    const want = desiredEndpoints(svc, this.servicePods.podsFor(svc), current);
    if (!want) return;
    try {
      const saved = current ? await this.ctx.client.update<Endpoints>('endpoints', want) : await this.ctx.client.create<Endpoints>('endpoints', namespace, want);
      if (saved.metadata.resourceVersion) this.written.set(key, saved.metadata.resourceVersion);
    } catch (e) {
      if (isConflict(e) || isAlreadyExists(e) || isNotFound(e)) throw e; // our cache is behind: retry
      if (!current && isNamespaceTerminating(e)) return;
      this.recorder.event(want, 'Warning', current ? 'FailedToUpdateEndpoint' : 'FailedToCreateEndpoint', `Failed to ${current ? 'update' : 'create'} endpoint ${key}: ${errorMessage(e)}`);
      throw e;
    }
  }
}
