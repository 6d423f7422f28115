// The names networking/v1 gives Ingress classes, shared by the API server (validation, the
// DefaultIngressClass admission), the ingress controller and the add-on that installs it.

/** On an IngressClass, "true" marks the cluster's default (networking/v1 AnnotationIsDefaultIngressClass). */
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
/** The class an Ingress names by annotation, from before spec.ingressClassName (networking/v1beta1 AnnotationIngressClass). */
export const LEGACY_INGRESS_CLASS_ANNOTATION = 'kubernetes.io/ingress.class';
/** spec.controller of the IngressClasses Flotilla's ingress controller serves. */
export const FLOTILLA_INGRESS_CONTROLLER = 'flotilla.dev/ingress-nginx';
