import type { Ingress, KubeObject } from '../../api/types.js';
import type { Store } from '../../store/store.js';
import { DEFAULT_INGRESS_CLASS_ANNOTATION, LEGACY_INGRESS_CLASS_ANNOTATION } from '../../api/ingressClasses.js';

// kube's DefaultIngressClass admission plugin (plugin/pkg/admission/network/defaultingressclass):
// on create, an Ingress that names no class (neither spec.ingressClassName nor the
// kubernetes.io/ingress.class annotation) gets the default IngressClass's name: the class
// annotated ingressclass.kubernetes.io/is-default-class=true, the newest when several are (ties
// by name). With no default class the Ingress is left as it is. Updates are never defaulted.


export function defaultIngressClass(store: Store): string | undefined {
  let best: KubeObject | undefined;
  for (const item of store.scan('ingressclasses.networking.k8s.io')) {
    const c = item.obj;
    if (c.metadata?.annotations?.[DEFAULT_INGRESS_CLASS_ANNOTATION] !== 'true') continue;
    if (!best) {
      best = c;
      continue;
    }
    const t = Date.parse(c.metadata.creationTimestamp ?? '') || 0;
    const bt = Date.parse(best.metadata.creationTimestamp ?? '') || 0;
    if (t > bt || (t === bt && c.metadata.name! < best.metadata.name!)) best = c;
  }
  return best?.metadata.name;
}

/** Fills spec.ingressClassName of a new Ingress in place, as the plugin does. */
export function admitIngressClass(store: Store, ing: Ingress): void {
  if (!ing.spec || typeof ing.spec !== 'object' || Array.isArray(ing.spec)) return;
  if (ing.spec.ingressClassName !== undefined && ing.spec.ingressClassName !== null) return;
  const annotations = ing.metadata?.annotations;
  if (annotations && typeof annotations === 'object' && Object.prototype.hasOwnProperty.call(annotations, LEGACY_INGRESS_CLASS_ANNOTATION)) return;
  const name = defaultIngressClass(store);
  if (name) ing.spec.ingressClassName = name;
}
