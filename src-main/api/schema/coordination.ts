import { definePackage } from './dsl.js';

// coordination.k8s.io/v1: Lease (k8s.io/api, Kubernetes 1.32).
export const coordinationPackage = definePackage({ name: 'coordination', goPackage: 'v1', openapi: 'io.k8s.api.coordination.v1' }, {
  Lease: {
    $doc: 'A lock and heartbeat record: node heartbeats and leader election.',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'LeaseSpec',
  },
  LeaseSpec: {
    holderIdentity: '*string',
    leaseDurationSeconds: '*int32',
    acquireTime: '*meta.MicroTime',
    renewTime: '*meta.MicroTime',
    leaseTransitions: '*int32',
    strategy: '*CoordinatedLeaseStrategy',
    preferredHolder: '*string',
  },
  CoordinatedLeaseStrategy: 'string',
  LeaseList: {
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ListMeta',
    items: '[]Lease required',
  },
});
