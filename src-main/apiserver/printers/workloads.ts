// Printers for apps/v1 workloads: Deployments and ReplicaSets (printDeployment / printReplicaSet).
import type { Container, Deployment, KubeObject, ReplicaSet } from '../../api/types.js';
import { ageColumn, column, CONTAINERS_DESC, DOC, IMAGES_DESC, nameColumn } from './columns.js';
import { translateTimestampSince } from './duration.js';
import { formatLabelSelector, labelSelectorString } from './selectors.js';
import type { Printer } from './types.js';

/** layoutContainerCells: container names and images, each comma-joined in template order. */
export function layoutContainerCells(containers: Container[] | undefined): [string, string] {
  const list = containers ?? [];
  return [list.map((c) => c.name ?? '').join(','), list.map((c) => c.image ?? '').join(',')];
}

/**
 * spec.replicas as the internal type holds it. The API server defaults an omitted value to 1 before storing,
 * so an unset field can only come from an object that skipped defaulting; print what defaulting would give.
 */
function desiredReplicas(replicas: unknown): number {
  return typeof replicas === 'number' ? replicas : 1;
}

function count(value: unknown): number {
  return typeof value === 'number' ? value : 0;
}

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    // Kubernetes declares these two as "string" although the cells are integers; kept for wire parity.
    column('Up-to-date', 'string', DOC['DeploymentStatus.updatedReplicas']),
    column('Available', 'string', DOC['DeploymentStatus.availableReplicas']),
    ageColumn(),
    column('Containers', 'string', CONTAINERS_DESC, { priority: 1 }),
    column('Images', 'string', IMAGES_DESC, { priority: 1 }),
    column('Selector', 'string', DOC['DeploymentSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const d = obj as Deployment;
    const [names, images] = layoutContainerCells(d.spec?.template?.spec?.containers);
    // printDeployment uses LabelSelectorAsSelector(...).String() directly, not FormatLabelSelector: an empty
    // selector prints as "" and an invalid one as "<invalid>" (validation makes both unreachable in practice).
    const selector = labelSelectorString(d.spec?.selector);
    return [
      d.metadata.name ?? '',
      `${count(d.status?.readyReplicas)}/${desiredReplicas(d.spec?.replicas)}`,
      count(d.status?.updatedReplicas),
      count(d.status?.availableReplicas),
      translateTimestampSince(d.metadata.creationTimestamp, now),
      names,
      images,
      selector === null ? '<invalid>' : selector,
    ];
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', DOC['ReplicaSetSpec.replicas']),
    column('Current', 'integer', DOC['ReplicaSetStatus.replicas']),
    column('Ready', 'integer', DOC['ReplicaSetStatus.readyReplicas']),
    ageColumn(),
    column('Containers', 'string', CONTAINERS_DESC, { priority: 1 }),
    column('Images', 'string', IMAGES_DESC, { priority: 1 }),
    column('Selector', 'string', DOC['ReplicaSetSpec.selector'], { priority: 1 }),
  ],
  cells(obj: KubeObject, now: Date): unknown[] {
    const rs = obj as ReplicaSet;
    const [names, images] = layoutContainerCells(rs.spec?.template?.spec?.containers);
    return [
      rs.metadata.name ?? '',
      desiredReplicas(rs.spec?.replicas),
      count(rs.status?.replicas),
      count(rs.status?.readyReplicas),
      translateTimestampSince(rs.metadata.creationTimestamp, now),
      names,
      images,
      formatLabelSelector(rs.spec?.selector),
    ];
  },
};
