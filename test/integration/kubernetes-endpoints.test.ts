import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { until } from '../helpers/wait.js';

// The `default/kubernetes` Service's Endpoints and EndpointSlice, written by the API server itself.
// Without Docker nodes no pod can reach the API server, so they name no address; the API server
// puts them back when they are changed. (docker-serviceaccount.test.ts covers the address pods use.)

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
});
afterAll(async () => c?.stop());

const get = async (p: string) => (await c.request('GET', p)).json;

describe('endpoints of the kubernetes Service without nodes', () => {
  it('name no address, kept out of EndpointSlice mirroring', async () => {
    const ep = await get('/api/v1/namespaces/default/endpoints/kubernetes');
    expect(ep.metadata.labels).toEqual({ 'endpointslice.kubernetes.io/skip-mirror': 'true' });
    expect(ep.subsets).toBeUndefined();
    const slice = await get('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
    expect(slice).toMatchObject({ addressType: 'IPv4', endpoints: [], metadata: { labels: { 'kubernetes.io/service-name': 'kubernetes' } } });
    expect(slice.ports).toBeUndefined();
  });

  it('are put back when someone changes them', async () => {
    await c.kubectlOK(['delete', 'endpointslice', 'kubernetes']);
    await c.kubectlOK(['patch', 'endpoints', 'kubernetes', '--type=merge', '-p', '{"subsets":[{"addresses":[{"ip":"10.9.9.9"}],"ports":[{"name":"https","port":1,"protocol":"TCP"}]}]}']);
    await until('the endpoints put back', async () => {
      const ep = await get('/api/v1/namespaces/default/endpoints/kubernetes');
      const slice = await c.request('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes');
      return ep.subsets === undefined && slice.status === 200;
    });
  });
});
