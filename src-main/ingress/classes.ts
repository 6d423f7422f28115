import type { Ingress, IngressClass } from '../api/types.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, FLOTILLA_INGRESS_CONTROLLER, LEGACY_INGRESS_CLASS_ANNOTATION } from '../api/ingressClasses.js';

// Which Ingresses this controller serves (networking/v1): those whose spec.ingressClassName (or
// the older kubernetes.io/ingress.class annotation) names an IngressClass whose spec.controller is
// ours, and those naming no class at all while one of our classes is the cluster's default (the
// API server's DefaultIngressClass admission fills the name in on create; Ingresses created
// before the class existed keep none, and ingress-nginx serves them in that case too).


export interface OurClasses {
  names: Set<string>;
  hasDefault: boolean;
}

export function ourClasses(classes: IngressClass[], controller = FLOTILLA_INGRESS_CONTROLLER): OurClasses {
  const mine = classes.filter((c) => c.spec?.controller === controller);
  return {
    names: new Set(mine.map((c) => c.metadata.name!)),
    hasDefault: mine.some((c) => c.metadata.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] === 'true'),
  };
}

export function serves(ing: Ingress, ours: OurClasses): boolean {
  const name = ing.spec?.ingressClassName ?? ing.metadata.annotations?.[LEGACY_INGRESS_CLASS_ANNOTATION];
  if (name) return ours.names.has(name);
  return ours.hasDefault;
}
