import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { ApiClient, ApiRequestError } from '../../src-main/client/apiClient.js';
import { Informer } from '../../src-main/client/informer.js';
import type { ConfigMap } from '../../src-main/api/types.js';
import { until } from '../helpers/wait.js';

// The client library every component is built on, against a real API server.

let c: TestCluster;
let client: ApiClient;
beforeAll(async () => {
  c = await startTestCluster({ historySize: 20 });
  client = c.cp.componentClient('client-test');
});
afterAll(async () => c?.stop());

describe('ApiClient', () => {
  it('does CRUD and surfaces Status errors', async () => {
    const cm = await client.create<ConfigMap>('configmaps', 'default', { metadata: { name: 'c1' }, data: { a: '1' } });
    expect(cm.kind).toBe('ConfigMap');
    const patched = await client.patch<ConfigMap>('configmaps', 'default', 'c1', { data: { b: '2' } });
    expect(patched.data).toEqual({ a: '1', b: '2' });
    const err = await client.get('configmaps', 'default', 'nope').catch((e) => e);
    expect(err).toBeInstanceOf(ApiRequestError);
    expect(err.code).toBe(404);
    expect(err.reason).toBe('NotFound');
    await client.delete('configmaps', 'default', 'c1');
  });
});

describe('Informer', () => {
  it('lists, then sees adds, updates and deletes, and keeps indexes', async () => {
    await client.create('namespaces', undefined, { metadata: { name: 'inf' } });
    await client.create('configmaps', 'inf', { metadata: { name: 'pre', labels: { team: 'a' } } });
    const inf = new Informer<ConfigMap>(client, 'configmaps', { namespace: 'inf' });
    inf.addIndex('team', (o) => (o.metadata.labels?.team ? [o.metadata.labels.team] : []));
    const seen: string[] = [];
    inf.addHandlers({
      onAdd: (o) => seen.push(`add ${o.metadata.name}`),
      onUpdate: (_a, b) => seen.push(`update ${b.metadata.name}`),
      onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
    });
    await inf.start();
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['pre']);
    await client.create('configmaps', 'inf', { metadata: { name: 'x', labels: { team: 'b' } } });
    await client.patch('configmaps', 'inf', 'x', { metadata: { labels: { team: 'a' } } });
    await client.delete('configmaps', 'inf', 'pre');
    await until('four informer events', () => seen.length >= 4);
    expect(seen).toEqual(['add pre', 'add x', 'update x', 'delete pre']);
    expect(inf.byIndex('team', 'a').map((o) => o.metadata.name)).toEqual(['x']);
    expect(inf.byIndex('team', 'b')).toEqual([]);
    inf.stop();
  });

  it('relists after 410 Expired and reconciles the cache with synthetic events', async () => {
    await client.create('namespaces', undefined, { metadata: { name: 'relist' } });
    await client.create('configmaps', 'relist', { metadata: { name: 'keep' } });
    await client.create('configmaps', 'relist', { metadata: { name: 'gone' } });
    const inf = new Informer<ConfigMap>(client, 'configmaps', { namespace: 'relist' });
    const seen: string[] = [];
    inf.addHandlers({ onAdd: (o) => seen.push(`add ${o.metadata.name}`), onDelete: (o) => seen.push(`delete ${o.metadata.name}`) });
    await inf.start();
    // Make the informer's position ancient and drop its stream: its next watch gets 410.
    const priv = inf as unknown as { lastRV: string; watchHandle: { stop(): void }; watch(): void };
    priv.watchHandle.stop();
    await client.delete('configmaps', 'relist', 'gone');
    for (let i = 0; i < 30; i++) await client.patch('configmaps', 'default', 'kube-root-filler', {}).catch(() => client.create('configmaps', 'default', { metadata: { name: 'kube-root-filler' }, data: { i: String(i) } }));
    for (let i = 0; i < 30; i++) await client.patch('configmaps', 'relist', 'keep', { data: { i: String(i) } });
    priv.lastRV = '1';
    priv.watch();
    await until('the delete of gone', () => seen.includes('delete gone'));
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['keep']);
    expect(inf.get('relist', 'keep')!.data).toEqual({ i: '29' });
    inf.stop();
  });
});
