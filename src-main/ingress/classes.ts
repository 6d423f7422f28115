import type { Ingress, IngressClass } from '../api/types.js';

// Which Ingresses this controller serves (networking/v1): those whose spec.ingressClassName (or
// the older kubernetes.io/ingress.class annotation) names an IngressClass whose spec.controller is
// ours, and those naming no class at all while one of our classes is the cluster's default (the
// API server's DefaultIngressClass admission fills the name in on create; Ingresses created
// before the class existed keep none, and ingress-nginx serves them in that case too).

export const INGRESS_CONTROLLER_NAME = 'flotilla.dev/ingress-nginx';
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const LEGACY_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

export interface OurClasses {
  names: Set<string>;
  hasDefault: boolean;
}

export function ourClasses(classes: IngressClass[], controller = INGRESS_CONTROLLER_NAME): OurClasses {
  const mine = classes.filter((c) => c.spec?.controller === controller);
  return {
    names: new Set(mine.map((c) => c.metadata.name!)),
    hasDefault: mine.some((c) => c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true'),
  };
}

export function serves(ing: Ingress, ours: OurClasses): boolean {
  const name = ing.spec?.ingressClassName ?? ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (name) return ours.names.has(name);
  return ours.hasDefault;
}
