import type { ResourceDef } from '../../../api/resources.js';
import type { ServiceAllocation } from '../serviceAllocation.js';
import { defaultStrategy, statusSubresource, type ResourceStrategy } from '../strategy.js';
import { namespaceStrategy } from './namespaces.js';
import { copyLabelsAndAnnotations, podStrategy } from './pods.js';
import { serviceStrategy } from './services.js';

// The strategy of every served kind; kinds not listed have nothing special.

export interface StrategyOptions {
  /** tolerationSeconds of the default not-ready/unreachable tolerations added to new pods. */
  defaultTolerationSeconds: number;
  services: ServiceAllocation;
}

export function buildStrategies(o: StrategyOptions): Map<string, ResourceStrategy> {
  // Workload-like kinds count spec changes in metadata.generation (their strategies' PrepareForCreate/Update).
  const generational = (s: Partial<ResourceStrategy>): ResourceStrategy => ({ ...defaultStrategy, ...s, tracksGeneration: true });
  return new Map<string, ResourceStrategy>([
    ['pods', podStrategy(o.defaultTolerationSeconds)],
    ['services', serviceStrategy(o.services)],
    ['namespaces', namespaceStrategy],
    ['serviceaccounts', { ...defaultStrategy, returnsDeletedObject: true }],
    // A node reports its own status when it registers; nodes/status may change labels and annotations.
    ['nodes', { ...defaultStrategy, prepareForUpdate: statusSubresource().prepareForUpdate, prepareForStatusUpdate: copyLabelsAndAnnotations }],
    ['events', { ...defaultStrategy, allowedInTerminatingNamespace: true }],
    ['deployments.apps', generational(statusSubresource())],
    ['replicasets.apps', generational(statusSubresource(() => ({ replicas: 0 })))],
    ['ingresses.networking.k8s.io', generational(statusSubresource(() => ({ loadBalancer: {} })))],
    ['ingressclasses.networking.k8s.io', generational({})],
  ]);
}

export function strategyOf(strategies: Map<string, ResourceStrategy>, r: ResourceDef): ResourceStrategy {
  return strategies.get(r.key) ?? defaultStrategy;
}
