import { definePackage } from './dsl.js';

// discovery.k8s.io/v1: EndpointSlice (k8s.io/api, Kubernetes 1.32).
export const discoveryPackage = definePackage({ name: 'discovery', goPackage: 'v1', openapi: 'io.k8s.api.discovery.v1' }, {
  EndpointSlice: {
    $doc: 'A subset of the endpoints of a Service.',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    addressType: 'AddressType required',
    endpoints: '[]Endpoint required list=atomic',
    ports: '[]EndpointPort noomit list=atomic',
  },
  AddressType: 'string enum()',
  Endpoint: {
    addresses: '[]string required list=set',
    conditions: 'EndpointConditions',
    hostname: '*string',
    targetRef: '*core.ObjectReference',
    deprecatedTopology: 'map[string]string',
    nodeName: '*string',
    zone: '*string',
    hints: '*EndpointHints',
  },
  EndpointConditions: {
    ready: '*bool',
    serving: '*bool',
    terminating: '*bool',
  },
  EndpointHints: {
    forZones: '[]ForZone list=atomic',
  },
  ForZone: {
    name: 'string required',
  },
  EndpointPort: {
    $map: 'atomic',
    name: '*string',
    protocol: '*core.Protocol',
    port: '*int32',
    appProtocol: '*string',
  },
  EndpointSliceList: {
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ListMeta',
    items: '[]EndpointSlice required',
  },
});
