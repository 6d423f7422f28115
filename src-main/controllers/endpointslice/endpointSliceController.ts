import type { EndpointSlice, Pod, Service } from '../../api/types.js';
import { errorMessage } from '../../api/errors.js';
import { isConflict, isNotFound } from '../../client/apiClient.js';
import type { EventRecorder } from '../../client/eventRecorder.js';
import { keyOf, type Informer } from '../../client/informer.js';
import { BaseController, StaleCacheError, type ControllerContext } from '../../client/controller.js';
import { ServicePods, splitKey } from '../util/servicePods.js';
import { isNamespaceTerminating } from '../util/apiErrors.js';
import { isApiServerService, LABEL_SERVICE_NAME, serviceHasSelector } from '../util/serviceEndpoints.js';
import { CONTROLLER_NAME, desiredGroups, LABEL_MANAGED_BY, MAX_ENDPOINTS_PER_SLICE } from './desiredEndpoints.js';
import { planSlices } from './planSlices.js';
import { SliceTracker } from './sliceTracker.js';

// The EndpointSlice controller (kube's pkg/controller/endpointslice): one queue of Service keys,
// fed by Service events, by pod events (through the per-namespace Service index) and by changes
// to our slices made by anyone else. A sync computes the desired endpoints from the cached pods
// and writes only the slices that differ.

const SLICES_BY_SERVICE = 'endpointslice-controller/service';

function managedServiceKey(slice: EndpointSlice): string | undefined {
  const labels = slice.metadata.labels;
  if (labels?.[LABEL_MANAGED_BY] !== CONTROLLER_NAME) return undefined;
  const svc = labels[LABEL_SERVICE_NAME];
  return svc ? `${slice.metadata.namespace ?? ''}/${svc}` : undefined;
}

export class EndpointSliceController extends BaseController {
  readonly name = 'endpointslice-controller';
  /** Endpoints per slice (kube's --max-endpoints-per-slice). */
  maxEndpointsPerSlice = MAX_ENDPOINTS_PER_SLICE;
  private readonly queue = this.newQueue((key) => this.sync(key), { baseDelayMs: 5, maxDelayMs: 10_000 });
  private services!: Informer<Service>;
  private slices!: Informer<EndpointSlice>;
  private servicePods!: ServicePods;
  private readonly tracker = new SliceTracker();
  private readonly recorder: EventRecorder;

  constructor(ctx: ControllerContext) {
    super(ctx);
    // kube's event source for this controller is "endpoint-slice-controller".
    this.recorder = ctx.recorder('endpoint-slice-controller');
  }

  init(): void {
    this.services = this.ctx.informers.informer<Service>('services');
    this.slices = this.ctx.informers.informer<EndpointSlice>('endpointslices.discovery.k8s.io');
    this.servicePods = new ServicePods(this.services, this.ctx.informers.informer<Pod>('pods'));
    this.servicePods.init();
    this.slices.addIndex(SLICES_BY_SERVICE, (s) => {
      const k = managedServiceKey(s);
      return k ? [k] : [];
    });
    const enqueue = (k: string) => this.queue.add(k);
    this.services.addHandlers({
      onAdd: (svc) => enqueue(keyOf(svc)),
      onUpdate: (_old, svc) => enqueue(keyOf(svc)),
      onDelete: (svc) => enqueue(keyOf(svc)),
    });
    this.servicePods.onPodEvents(enqueue);
    this.slices.addHandlers({
      onAdd: (s) => {
        const k = managedServiceKey(s);
        if (k && this.tracker.shouldSyncOnChange(k, s)) enqueue(k);
      },
      onUpdate: (old, s) => {
        const k = managedServiceKey(s);
        if (k && this.tracker.shouldSyncOnChange(k, s)) enqueue(k);
        // Relabelled away from us (or to another Service): the old owner needs a look too.
        const ok = managedServiceKey(old);
        if (ok && ok !== k) enqueue(ok);
      },
      onDelete: (s) => {
        const k = managedServiceKey(s);
        if (k && this.tracker.shouldSyncOnDelete(k, s)) enqueue(k);
      },
    });
  }

  override run(): void {
    // Slices whose Service went away while we were not running (the garbage collector would get
    // them too, through their ownerReference; this is quicker).
    for (const s of this.slices.list()) {
      const k = managedServiceKey(s);
      if (k) this.queue.add(k);
    }
    super.run();
  }

  /** Reconciles the slices of one Service (key "namespace/name"). */
  async sync(key: string): Promise<void> {
    const [namespace, name] = splitKey(key);
    if (isApiServerService(namespace, name)) return;
    const existing = this.slices.byIndex(SLICES_BY_SERVICE, key);
    const svc = this.services.get(namespace, name);

    if (!svc || !serviceHasSelector(svc)) {
      // Deleted, or no longer selecting pods (its endpoints are now someone else's to publish):
      // our slices go.
      if (!svc) this.tracker.forgetService(key);
      await this.deleteAll(key, existing);
      return;
    }
    if (this.tracker.isStale(key, existing)) throw new StaleCacheError(`slice cache of ${key} is behind our writes`);

    const groups = desiredGroups(svc, this.servicePods.podsFor(svc));
    const plan = planSlices(svc, existing, groups, this.maxEndpointsPerSlice);

    const errors: string[] = [];
    // Creating before deleting keeps every endpoint published throughout. No creates once the
    // Service is being deleted: the garbage collector is removing its slices.
    if (!svc.metadata.deletionTimestamp) {
      for (const s of plan.create) {
        try {
          const created = await this.ctx.client.create<EndpointSlice>('endpointslices.discovery.k8s.io', namespace, s);
          this.tracker.wrote(key, created);
        } catch (e) {
          if (isNamespaceTerminating(e)) return; // the namespace controller is deleting everything in it
          errors.push(`create: ${errorMessage(e)}`);
        }
      }
    }
    for (const s of plan.update) {
      try {
        const updated = await this.ctx.client.update<EndpointSlice>('endpointslices.discovery.k8s.io', s);
        this.tracker.wrote(key, updated);
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) throw e;
        errors.push(`update ${s.metadata.name}: ${errorMessage(e)}`);
      }
    }
    await this.deleteAll(key, plan.delete);
    if (errors.length) {
      this.recorder.event(svc, 'Warning', 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${key}: ${errors.join('; ')}`);
      throw new Error(errors.join('; '));
    }
  }

  private async deleteAll(key: string, slices: readonly EndpointSlice[]): Promise<void> {
    for (const s of slices) {
      try {
        await this.ctx.client.delete('endpointslices.discovery.k8s.io', s.metadata.namespace, s.metadata.name!, { preconditions: { uid: s.metadata.uid } });
        this.tracker.deleted(key, s);
      } catch (e) {
        if (isNotFound(e)) continue;
        if (isConflict(e)) continue; // a different slice of that name now: not ours to delete
        throw e;
      }
    }
  }
}
