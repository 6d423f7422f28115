import type { KubeObject } from '../../api/types.js';
import { fieldErr } from '../../api/validation/fieldErrors.js';
import { formatRequirements, requirementsFromSelector } from '../../api/selectors/labels.js';
import { ApiError } from '../status.js';

// The autoscaling/v1 Scale view of Deployments and ReplicaSets (`kubectl scale`).

export interface Scale {
  kind: 'Scale';
  apiVersion: 'autoscaling/v1';
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string };
  spec: { replicas?: number };
  status: { replicas: number; selector?: string };
}

export function scaleOf(obj: KubeObject): Scale {
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: obj.spec?.replicas ?? 0 },
    status: { replicas: obj.status?.replicas ?? 0, selector: formatRequirements(requirementsFromSelector(obj.spec?.selector)) },
  };
}

/** The object with the Scale's replicas applied; the Scale's resourceVersion becomes a precondition. */
export function applyScale(obj: KubeObject, scale: Scale): KubeObject {
  // ScaleSpec.replicas is a plain int32 with omitempty: absent means 0, as in Go.
  const replicas = scale?.spec?.replicas ?? 0;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
    const e = fieldErr.invalid('spec.replicas', replicas ?? null, 'must be greater than or equal to 0');
    throw new ApiError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: `Scale.autoscaling "${obj.metadata.name}" is invalid: ${e.field}: ${e.message}`,
      details: { name: obj.metadata.name, group: 'autoscaling', kind: 'Scale', causes: [{ reason: e.type, message: e.message, field: e.field }] },
    });
  }
  return {
    ...obj,
    metadata: { ...obj.metadata, resourceVersion: scale.metadata?.resourceVersion || obj.metadata.resourceVersion },
    spec: { ...obj.spec, replicas },
  };
}
