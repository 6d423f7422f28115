import { compile, type TypeNode } from './compile.js';
import type { PackageDef } from './dsl.js';
import { metaPackage, resourcePackage, intstrPackage, typesPackage, runtimePackage } from './meta.js';
import { corePackage } from './core.js';
import { appsPackage } from './apps.js';
import { networkingPackage } from './networking.js';
import { discoveryPackage } from './discovery.js';
import { coordinationPackage } from './coordination.js';
import { autoscalingPackage } from './autoscaling.js';
import { policyPackage } from './policy.js';
import { authenticationPackage } from './authentication.js';

// The schema of every kind Flotilla serves, compiled once when this module loads. Kinds are
// looked up by group/version/kind as kube-apiserver's scheme registers them.

export { K, type TypeNode, type StructType, type Field, type Kind } from './compile.js';

export const PACKAGES: PackageDef[] = [
  metaPackage,
  resourcePackage,
  intstrPackage,
  typesPackage,
  runtimePackage,
  corePackage,
  appsPackage,
  networkingPackage,
  discoveryPackage,
  coordinationPackage,
  autoscalingPackage,
  policyPackage,
  authenticationPackage,
];

export const SCHEMA = compile(PACKAGES);

/** API group -> package of its v1 types. */
const GROUP_PACKAGES: Record<string, string> = {
  '': 'core',
  apps: 'apps',
  'networking.k8s.io': 'networking',
  'discovery.k8s.io': 'discovery',
  'coordination.k8s.io': 'coordination',
  autoscaling: 'autoscaling',
  policy: 'policy',
  'authentication.k8s.io': 'authentication',
  'meta.k8s.io': 'meta',
};

/** Group-versions whose types are registered (decodable), beyond <group>/v1. */
const EXTRA_VERSIONS: Record<string, string[]> = {
  // The eviction subresource still accepts the policy/v1beta1 body (same shape).
  policy: ['v1beta1'],
};

function packageFor(group: string, version: string): PackageDef | undefined {
  const name = GROUP_PACKAGES[group];
  if (!name) return undefined;
  if (version !== 'v1' && !EXTRA_VERSIONS[group]?.includes(version)) return undefined;
  return SCHEMA.packages.get(name);
}

/** True when a struct is a kind: it embeds TypeMeta (apiVersion/kind at its top). */
function isKind(n: TypeNode | undefined): boolean {
  return !!n?.struct?.embeds.includes('meta.TypeMeta');
}

/**
 * The type a body of this group/version/kind decodes into, when kube-apiserver's scheme knows it;
 * undefined is kube's `no kind "X" is registered for version "g/v"`. Every group-version also
 * registers the meta/v1 options types (DeleteOptions), as metav1.AddToGroupVersion does, and
 * v1 has Status.
 */
export function registeredKind(group: string, version: string, kind: string): TypeNode | undefined {
  const pkg = packageFor(group, version);
  if (!pkg) return undefined;
  const n = SCHEMA.named.get(`${pkg.name}.${kind}`);
  if (isKind(n)) return n;
  if (kind === 'DeleteOptions') return SCHEMA.lookup('meta.DeleteOptions');
  // Status is registered once, unversioned, as v1 Status.
  if (kind === 'Status' && group === '' && version === 'v1') return SCHEMA.lookup('meta.Status');
  return undefined;
}

/** The Go package of the internal (hub) types of a group, as conversion errors print it (`core.Pod`). */
export function internalPackageOf(group: string): string {
  return GROUP_PACKAGES[group] ?? group.split('.')[0]!;
}

/** OpenAPI definition name of a named type (`io.k8s.api.core.v1.Pod`). */
export function definitionName(n: TypeNode): string {
  return `${n.pkg!.openapi}.${n.name}`;
}
