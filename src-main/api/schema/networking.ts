import { definePackage } from './dsl.js';

// networking.k8s.io/v1: Ingress and IngressClass (k8s.io/api, Kubernetes 1.32).
export const networkingPackage = definePackage({ name: 'networking', goPackage: 'v1', openapi: 'io.k8s.api.networking.v1' }, {
  Ingress: {
    $doc: 'Rules that route external HTTP(S) traffic to Services.',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'IngressSpec',
    status: 'IngressStatus',
  },
  IngressSpec: {
    ingressClassName: '*string',
    defaultBackend: '*IngressBackend',
    tls: '[]IngressTLS list=atomic',
    rules: '[]IngressRule list=atomic',
  },
  IngressBackend: {
    service: '*IngressServiceBackend',
    resource: '*core.TypedLocalObjectReference',
  },
  IngressServiceBackend: {
    name: 'string required',
    port: 'ServiceBackendPort',
  },
  ServiceBackendPort: {
    $map: 'atomic',
    name: 'string',
    number: 'int32',
  },
  IngressTLS: {
    hosts: '[]string list=atomic',
    secretName: 'string',
  },
  IngressRule: {
    $inline: 'IngressRuleValue',
    host: 'string',
  },
  IngressRuleValue: {
    http: '*HTTPIngressRuleValue',
  },
  HTTPIngressRuleValue: {
    paths: '[]HTTPIngressPath required list=atomic',
  },
  HTTPIngressPath: {
    path: 'string',
    pathType: '*PathType required',
    backend: 'IngressBackend required',
  },
  PathType: 'string enum()',
  IngressStatus: {
    loadBalancer: 'IngressLoadBalancerStatus',
  },
  IngressLoadBalancerStatus: {
    ingress: '[]IngressLoadBalancerIngress list=atomic',
  },
  IngressLoadBalancerIngress: {
    ip: 'string',
    hostname: 'string',
    ports: '[]IngressPortStatus list=atomic',
  },
  IngressPortStatus: {
    port: 'int32 required',
    protocol: 'core.Protocol required',
    error: '*string',
  },
  IngressList: {
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ListMeta',
    items: '[]Ingress required',
  },
  IngressClass: {
    $doc: 'Names the controller that implements an Ingress.',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'IngressClassSpec',
  },
  IngressClassSpec: {
    controller: 'string',
    parameters: '*IngressClassParametersReference',
  },
  IngressClassParametersReference: {
    apiGroup: '*string',
    kind: 'string required',
    name: 'string required',
    scope: '*string noomit',
    namespace: '*string',
  },
  IngressClassList: {
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ListMeta',
    items: '[]IngressClass required',
  },
});
