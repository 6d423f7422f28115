import type { EndpointSlice, EndpointSliceEndpoint, Service } from '../../api/types.js';
import { jsonEqual, sameStringMap } from '../util/serviceEndpoints.js';
import { endpointKey, MAX_ENDPOINTS_PER_SLICE, newSlice, ownedBy, portSetKey, sliceLabels, type DesiredGroup } from './desiredEndpoints.js';

// Turns (existing slices, desired endpoints) into the fewest writes, the way kube's reconciler
// does: endpoints stay in the slice they are already in; a slice is rewritten only when one of
// its endpoints changed or left; new endpoints first fill slices that are being rewritten anyway,
// then an unchanged slice they all fit in, and only then new slices. A Service with no endpoints
// keeps one empty "placeholder" slice, so `kubectl get endpointslices` shows it exists.

export interface SlicePlan {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

function byName(a: EndpointSlice, b: EndpointSlice): number {
  const x = a.metadata.name ?? '';
  const y = b.metadata.name ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}

function takeInto(slice: EndpointSlice, remaining: Map<string, EndpointSliceEndpoint>, max: number): void {
  const eps = (slice.endpoints ??= []);
  for (const [k, ep] of remaining) {
    if (eps.length >= max) break;
    eps.push(ep);
    remaining.delete(k);
  }
}

function planPortGroup(svc: Service, existing: EndpointSlice[], group: DesiredGroup, labels: Record<string, string>, max: number): SlicePlan {
  // Sorted so that the same inputs always give the same slices.
  const remaining = new Map([...group.endpoints].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const unchanged: EndpointSlice[] = [];
  const update: EndpointSlice[] = [];
  const del: EndpointSlice[] = [];

  for (const s of [...existing].sort(byName)) {
    const kept: EndpointSliceEndpoint[] = [];
    let endpointChanged = false;
    for (const ep of s.endpoints ?? []) {
      const k = endpointKey(ep);
      const want = remaining.get(k);
      if (!want) continue; // gone (or a duplicate of one already placed)
      kept.push(want);
      if (!jsonEqual(want, ep)) endpointChanged = true;
      remaining.delete(k);
    }
    const removed = kept.length !== (s.endpoints?.length ?? 0);
    const metaChanged = !sameStringMap(s.metadata.labels, labels) || !jsonEqual(s.ports ?? [], group.ports);
    if ((endpointChanged || removed) && kept.length === 0) del.push(s);
    else if (endpointChanged || removed || metaChanged) update.push({ ...s, metadata: { ...s.metadata, labels: { ...labels } }, ports: group.ports.map((p) => ({ ...p })), endpoints: kept });
    else unchanged.push(s);
  }

  // Slices being written anyway take new endpoints first, fullest first.
  if (remaining.size) {
    for (const s of [...update].sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0))) {
      if (!remaining.size) break;
      takeInto(s, remaining, max);
    }
  }

  const create: EndpointSlice[] = [];
  while (remaining.size) {
    let target: EndpointSlice | undefined;
    if (remaining.size < max) {
      // The unchanged slice closest to full that still fits them all (one write instead of a new slice).
      let best: EndpointSlice | undefined;
      for (const s of unchanged) {
        const n = s.endpoints?.length ?? 0;
        if (n + remaining.size <= max && (!best || n > (best.endpoints?.length ?? 0))) best = s;
      }
      if (best) {
        unchanged.splice(unchanged.indexOf(best), 1);
        target = { ...best, metadata: { ...best.metadata }, endpoints: [...(best.endpoints ?? [])] };
        update.push(target);
      }
    }
    if (!target) {
      target = newSlice(svc, group.ports);
      create.push(target);
    }
    takeInto(target, remaining, max);
  }
  return { create, update, delete: del };
}

function isPlaceholder(slice: EndpointSlice, svc: Service): boolean {
  return (
    slice.addressType === 'IPv4' &&
    ownedBy(slice, svc) &&
    !(slice.endpoints?.length ?? 0) &&
    !(slice.ports?.length ?? 0) &&
    sameStringMap(slice.metadata.labels, sliceLabels(svc))
  );
}

/**
 * The writes that bring a Service's slices to the desired groups. `existing` are the slices
 * labelled as this controller's for the Service's name (slices of an older Service with the
 * same name are deleted). At most `max` endpoints go in one slice.
 */
export function planSlices(svc: Service, existing: readonly EndpointSlice[], groups: ReadonlyMap<string, DesiredGroup>, max = MAX_ENDPOINTS_PER_SLICE): SlicePlan {
  const plan: SlicePlan = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    if (s.addressType !== 'IPv4' || !ownedBy(s, svc)) {
      plan.delete.push(s);
      continue;
    }
    const k = portSetKey(s.ports);
    const list = byPorts.get(k);
    if (list) list.push(s);
    else byPorts.set(k, [s]);
  }

  const labels = sliceLabels(svc);
  for (const [key, group] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const p = planPortGroup(svc, byPorts.get(key) ?? [], group, labels, max);
    plan.create.push(...p.create);
    plan.update.push(...p.update);
    plan.delete.push(...p.delete);
  }
  for (const [key, slices] of byPorts) if (!groups.has(key)) plan.delete.push(...slices);

  if (plan.delete.length === existing.length && plan.create.length === 0) {
    if (plan.delete.length === 1 && isPlaceholder(plan.delete[0]!, svc)) plan.delete = [];
    else plan.create.push(newSlice(svc, []));
  }

  // A slice about to be deleted is rewritten in place of one about to be created: one write
  // instead of two, and readers never see the Service without slices in between.
  for (let i = 0; i < plan.delete.length && plan.create.length; ) {
    const old = plan.delete[i]!;
    if (old.addressType === 'IPv4' && ownedBy(old, svc)) {
      const fresh = plan.create.pop()!;
      const { generateName: _g, ...freshMeta } = fresh.metadata;
      plan.update.push({ ...fresh, metadata: { ...old.metadata, labels: freshMeta.labels, ownerReferences: freshMeta.ownerReferences } });
      plan.delete.splice(i, 1);
    } else i++;
  }
  return plan;
}
