import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, PatchStrategy, Watch, makeInformer, setHeaderOptions, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { informerRV, kubeConfigFor, recordWatch } from '../helpers/clientNode.js';
import { until } from '../helpers/wait.js';

// client-node's Watch and Informer (ListWatch) against the real server's watch streams.

let cluster: TestCluster;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  cluster = await startTestCluster();
  kc = kubeConfigFor(cluster);
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await cluster?.stop();
});

async function freshNamespace(name: string): Promise<string> {
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;
const summary = (e: { type: string; object: V1ConfigMap }) => `${e.type} ${e.object.metadata?.name}${e.object.data?.v !== undefined ? `=${e.object.data.v}` : ''}`;

describe('Watch', () => {
  it('from a list resourceVersion sees ADDED, MODIFIED and DELETED, in order, and nothing from before', async () => {
    const ns = await freshNamespace('watch-basic');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'before' }, data: { v: '0' } } });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const rv = list.metadata!.resourceVersion!;

    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), { resourceVersion: rv, allowWatchBookmarks: true });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap(
        { name: 'a', namespace: ns, body: { data: { v: '2' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await core.deleteNamespacedConfigMap({ name: 'a', namespace: ns });
      await core.deleteNamespacedConfigMap({ name: 'before', namespace: ns });

      await w.waitForEvent((e) => e.type === 'DELETED' && e.object.metadata?.name === 'before', 'DELETED before');
      const seen = w.events.filter((e) => e.type !== 'BOOKMARK');
      expect(seen.map(summary)).toEqual(['ADDED a=1', 'MODIFIED a=2', 'DELETED a=2', 'DELETED before=0']);
      // Every event carries an increasing resourceVersion newer than the list.
      const rvs = seen.map((e) => Number(e.object.metadata?.resourceVersion));
      expect(rvs[0]).toBeGreaterThan(Number(rv));
      expect([...rvs].sort((x, y) => x - y)).toEqual(rvs);
      // Objects arrive as plain JSON with kind and apiVersion.
      expect(seen[0]!.object.kind).toBe('ConfigMap');
      expect(seen[0]!.object.apiVersion).toBe('v1');
      expect(w.ended).toBe(false);
    } finally {
      w.abort();
    }
  });

  it('replays changes made between the list and the watch', async () => {
    const ns = await freshNamespace('watch-replay');
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'early' }, data: { v: '1' } } });
    await core.deleteNamespacedConfigMap({ name: 'early', namespace: ns });

    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), { resourceVersion: list.metadata!.resourceVersion });
    try {
      await w.waitForEvent((e) => e.type === 'DELETED', 'DELETED early');
      expect(w.events.map(summary)).toEqual(['ADDED early=1', 'DELETED early=1']);
    } finally {
      w.abort();
    }
  });

  it('without a resourceVersion sends the current state as ADDED first', async () => {
    const ns = await freshNamespace('watch-initial');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' }, data: { v: '1' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'y' }, data: { v: '1' } } });

    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), {});
    try {
      await w.waitForEvent((e) => e.object.metadata?.name === 'y', 'ADDED y');
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'z' }, data: { v: '1' } } });
      await w.waitForEvent((e) => e.object.metadata?.name === 'z', 'ADDED z');
      expect(w.events.map(summary).sort()).toEqual(['ADDED x=1', 'ADDED y=1', 'ADDED z=1']);
    } finally {
      w.abort();
    }
  });

  it('labelSelector turns label changes into ADDED/DELETED for the filtered watcher', async () => {
    const ns = await freshNamespace('watch-labels');
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), { resourceVersion: list.metadata!.resourceVersion, labelSelector: 'app=web' });
    try {
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'c', labels: { app: 'other' } }, data: { v: '1' } } });
      await core.patchNamespacedConfigMap({ name: 'c', namespace: ns, body: { metadata: { labels: { app: 'web' } } } }, merge);
      await core.patchNamespacedConfigMap({ name: 'c', namespace: ns, body: { data: { v: '2' } } }, merge);
      await core.patchNamespacedConfigMap({ name: 'c', namespace: ns, body: { metadata: { labels: { app: 'gone' } } } }, merge);
      await core.patchNamespacedConfigMap({ name: 'c', namespace: ns, body: { data: { v: '3' } } }, merge);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'end', labels: { app: 'web' } } } });
      await w.waitForEvent((e) => e.object.metadata?.name === 'end', 'ADDED end');
      expect(w.events.map(summary)).toEqual(['ADDED c=1', 'MODIFIED c=2', 'DELETED c=2', 'ADDED end']);
    } finally {
      w.abort();
    }
  });

  it('fieldSelector on metadata.name (what kubectl wait / rollout status use)', async () => {
    const ns = await freshNamespace('watch-fields');
    const list = await core.listNamespacedConfigMap({ namespace: ns, fieldSelector: 'metadata.name=target' });
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), {
      resourceVersion: list.metadata!.resourceVersion,
      fieldSelector: 'metadata.name=target',
      allowWatchBookmarks: true,
    });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'noise' }, data: { v: '1' } } });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'target' }, data: { v: '1' } } });
      await core.deleteNamespacedConfigMap({ name: 'target', namespace: ns });
      await w.waitForEvent((e) => e.type === 'DELETED', 'DELETED target');
      expect(w.events.filter((e) => e.type !== 'BOOKMARK').map(summary)).toEqual(['ADDED target=1', 'DELETED target=1']);
    } finally {
      w.abort();
    }
  });

  it('a watch across all namespaces sees every namespace', async () => {
    const nsA = await freshNamespace('watch-all-a');
    const nsB = await freshNamespace('watch-all-b');
    const list = await core.listConfigMapForAllNamespaces({});
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), '/api/v1/configmaps', { resourceVersion: list.metadata!.resourceVersion, labelSelector: 'watch-all' });
    try {
      await core.createNamespacedConfigMap({ namespace: nsA, body: { metadata: { name: 'one', labels: { 'watch-all': 'y' } } } });
      await core.createNamespacedConfigMap({ namespace: nsB, body: { metadata: { name: 'two', labels: { 'watch-all': 'y' } } } });
      await w.waitForEvent((e) => e.object.metadata?.name === 'two', 'ADDED two');
      expect(w.events.map((e) => `${e.type} ${e.object.metadata?.namespace}/${e.object.metadata?.name}`)).toEqual([`ADDED ${nsA}/one`, `ADDED ${nsB}/two`]);
    } finally {
      w.abort();
    }
  });

  it('timeoutSeconds ends the stream cleanly (done is called with null)', async () => {
    const ns = await freshNamespace('watch-timeout');
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const rv = list.metadata!.resourceVersion;
    const w = await recordWatch(new Watch(kc), cmPath(ns), { resourceVersion: rv, timeoutSeconds: 1 });
    // The same watch without timeoutSeconds, opened alongside: what ended the first was its timeout.
    const control = await recordWatch(new Watch(kc), cmPath(ns), { resourceVersion: rv });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'during' } } });
      await w.waitForEvent((e) => e.object.metadata?.name === 'during', 'ADDED during');
      const err = await w.done;
      expect(err).toBeNull();
      expect(control.ended).toBe(false);
      expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED during']);
    } finally {
      control.abort();
    }
  });

  it('a non-numeric resourceVersion ends with an HTTP 400', async () => {
    const w = await recordWatch(new Watch(kc), cmPath('default'), { resourceVersion: 'abc' });
    const err = await w.done;
    expect(err?.statusCode).toBe(400);
  });

  it('watching a single object by name through the list endpoint sees its MODIFIED events', async () => {
    const ns = await freshNamespace('watch-one');
    const cm = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'solo' }, data: { v: '1' } } });
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), {
      resourceVersion: cm.metadata!.resourceVersion,
      fieldSelector: 'metadata.name=solo',
    });
    try {
      await core.replaceNamespacedConfigMap({ name: 'solo', namespace: ns, body: { ...cm, data: { v: '2' } } });
      await w.waitForEvent((e) => e.type === 'MODIFIED', 'MODIFIED solo');
      expect(w.events.map(summary)).toEqual(['MODIFIED solo=2']);
    } finally {
      w.abort();
    }
  });
});

describe('Informer', () => {
  it('sees add, update and delete events after it started, and its cache converges', async () => {
    const ns = await freshNamespace('informer-basic');
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'pre' }, data: { v: '0' } } });

    const informer = makeInformer<V1ConfigMap>(kc, cmPath(ns), () => core.listNamespacedConfigMap({ namespace: ns }));
    const log: string[] = [];
    const errors: unknown[] = [];
    let connects = 0;
    informer.on('add', (o) => log.push(`add ${o.metadata?.name}=${o.data?.v}`));
    informer.on('update', (o) => log.push(`update ${o.metadata?.name}=${o.data?.v}`));
    informer.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
    informer.on('error', (e) => errors.push(e));
    informer.on('connect', () => connects++);
    await informer.start();
    try {
      // The initial list populates the cache (and fires add for existing objects).
      expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(['pre']);
      expect(log).toEqual(['add pre=0']);
      expect(informerRV(informer)).toMatch(/^\d+$/);

      const a = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'a' }, data: { v: '1' } } });
      await until('informer add a', () => log.includes('add a=1'));
      await core.replaceNamespacedConfigMap({ name: 'a', namespace: ns, body: { ...a, data: { v: '2' } } });
      await until('informer update a', () => log.includes('update a=2'));
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'b' }, data: { v: '1' } } });
      await core.deleteNamespacedConfigMap({ name: 'pre', namespace: ns });
      await until('informer delete pre', () => log.includes('delete pre'));

      expect(log).toEqual(['add pre=0', 'add a=1', 'update a=2', 'add b=1', 'delete pre']);

      // The cache converges with what the server lists.
      const server = await core.listNamespacedConfigMap({ namespace: ns });
      await until('cache size', () => informerRV(informer) && informer.list(ns).length === server.items.length);
      const cached = informer
        .list(ns)
        .map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`)
        .sort();
      expect(cached).toEqual(server.items.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).sort());
      expect(informer.get('a', ns)?.data).toEqual({ v: '2' });
      expect(informer.get('pre', ns)).toBeUndefined();
      expect(errors).toEqual([]);
      expect(connects).toBe(1);
    } finally {
      await informer.stop();
    }
  });

  it('many rapid writes: the cache ends up identical to the server state', async () => {
    const ns = await freshNamespace('informer-burst');
    const informer = makeInformer<V1ConfigMap>(kc, cmPath(ns), () => core.listNamespacedConfigMap({ namespace: ns }));
    const errors: unknown[] = [];
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    try {
      const writes: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) writes.push(core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `c${i}` }, data: { v: '1' } } }));
      await Promise.all(writes);
      const updates: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i += 2) {
        updates.push(core.patchNamespacedConfigMap({ name: `c${i}`, namespace: ns, body: [{ op: 'replace', path: '/data/v', value: '2' }] }));
      }
      for (let i = 1; i < 30; i += 3) updates.push(core.deleteNamespacedConfigMap({ name: `c${i}`, namespace: ns }));
      await Promise.all(updates);

      const server = await core.listNamespacedConfigMap({ namespace: ns });
      const want = server.items.map((o) => `${o.metadata?.name}=${o.data?.v}@${o.metadata?.resourceVersion}`).sort();
      await until('informer cache to match the server', () =>
          JSON.stringify(
            informer
              .list(ns)
              .map((o) => `${o.metadata?.name}=${o.data?.v}@${o.metadata?.resourceVersion}`)
              .sort(),
          ) === JSON.stringify(want),
      );
      expect(want.length).toBe(20);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('a label-selected informer treats objects leaving the selector as deletes', async () => {
    const ns = await freshNamespace('informer-labels');
    const informer = makeInformer<V1ConfigMap>(kc, cmPath(ns), () => core.listNamespacedConfigMap({ namespace: ns, labelSelector: 'app=web' }), 'app=web');
    const log: string[] = [];
    informer.on('add', (o) => log.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => log.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'in', labels: { app: 'web' } } } });
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'out', labels: { app: 'db' } } } });
      await core.patchNamespacedConfigMap({ name: 'in', namespace: ns, body: { metadata: { labels: { app: 'db' } } } }, merge);
      await core.patchNamespacedConfigMap({ name: 'out', namespace: ns, body: { metadata: { labels: { app: 'web' } } } }, merge);
      await until('three informer events', () => log.length >= 3);
      expect(log).toEqual(['add in', 'delete in', 'add out']);
      expect(informer.list(ns).map((o) => o.metadata?.name)).toEqual(['out']);
    } finally {
      await informer.stop();
    }
  });
});
