import { definePackage } from './dsl.js';

// authentication.k8s.io/v1: TokenRequest (the body of the serviceaccounts/token subresource)
// (k8s.io/api, Kubernetes 1.32).
export const authenticationPackage = definePackage({ name: 'authentication', goPackage: 'v1', openapi: 'io.k8s.api.authentication.v1' }, {
  TokenRequest: {
    $doc: 'Requests a token for a service account (the serviceaccounts/token subresource).',
    $inline: 'meta.TypeMeta',
    metadata: 'meta.ObjectMeta',
    spec: 'TokenRequestSpec required',
    status: 'TokenRequestStatus',
  },
  TokenRequestSpec: {
    audiences: '[]string required list=atomic',
    expirationSeconds: '*int64',
    boundObjectRef: '*BoundObjectReference',
  },
  BoundObjectReference: {
    kind: 'string',
    apiVersion: 'string',
    name: 'string',
    uid: 'types.UID',
  },
  TokenRequestStatus: {
    token: 'string required',
    expirationTimestamp: 'meta.Time required',
  },
});
