// Server-side Table printing, like kube-apiserver's pkg/printers/internalversion: `kubectl get` asks for
// `as=Table` and prints the columns and cells it receives verbatim, so each resource needs its real columns.
// Public API: printerFor(resourceKey) and humanDuration(ms). Resource keys are "<plural>" for the core group
// and "<plural>.<group>" otherwise.
import { ageColumn, nameColumn } from './columns.js';
import { translateTimestampSince } from './duration.js';
import { eventPrinter } from './events.js';
import { configMapPrinter, leasePrinter, namespacePrinter, secretPrinter, serviceAccountPrinter } from './misc.js';
import {
  endpointSlicePrinter,
  endpointsPrinter,
  ingressClassPrinter,
  ingressPrinter,
  servicePrinter,
} from './network.js';
import { nodePrinter } from './nodes.js';
import { podPrinter } from './pod.js';
import type { Printer } from './types.js';
import { deploymentPrinter, replicaSetPrinter } from './workloads.js';

export type { Printer, TableRowCondition } from './types.js';
export { humanDuration, translateTimestampSince } from './duration.js';
export { formatLabels, formatLabelSelector } from './selectors.js';

const PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ['pods', podPrinter],
  ['services', servicePrinter],
  ['nodes', nodePrinter],
  ['namespaces', namespacePrinter],
  ['events', eventPrinter],
  ['endpoints', endpointsPrinter],
  ['configmaps', configMapPrinter],
  ['secrets', secretPrinter],
  ['serviceaccounts', serviceAccountPrinter],
  ['deployments.apps', deploymentPrinter],
  ['replicasets.apps', replicaSetPrinter],
  ['ingresses.networking.k8s.io', ingressPrinter],
  ['ingressclasses.networking.k8s.io', ingressClassPrinter],
  ['endpointslices.discovery.k8s.io', endpointSlicePrinter],
  ['leases.coordination.k8s.io', leasePrinter],
]);

/** Name + Age, for resources without a dedicated printer. */
export const defaultPrinter: Printer = {
  columns: [nameColumn(), ageColumn()],
  cells: (obj, now) => [obj.metadata.name ?? '', translateTimestampSince(obj.metadata.creationTimestamp, now)],
};

/** The printer for a resource key such as "pods" or "deployments.apps"; unknown keys get Name + Age. */
export function printerFor(resourceKey: string): Printer {
  return PRINTERS.get(resourceKey) ?? defaultPrinter;
}

/** Resource keys that have a dedicated printer (for tests and discovery-side sanity checks). */
export const PRINTED_RESOURCES: readonly string[] = [...PRINTERS.keys()];
