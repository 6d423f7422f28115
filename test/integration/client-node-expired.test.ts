import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoreV1Api, Watch, makeInformer, type KubeConfig, type V1ConfigMap, type V1ConfigMapList } from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/controlPlane.js';
import { informerRV, kubeConfigFor, recordWatch, uniq } from '../helpers/clientNode.js';
import { until } from '../helpers/wait.js';

// A cluster with a tiny watch history (5 events per resource): a watch from a resourceVersion that
// has fallen out of the history gets 410 Expired, and client-node's informer recovers by relisting.

const HISTORY = 5;
let cluster: TestCluster;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  cluster = await startTestCluster({ historySize: HISTORY });
  kc = kubeConfigFor(cluster);
  core = kc.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await cluster?.stop();
});

const cmPath = (ns: string) => `/api/v1/namespaces/${ns}/configmaps`;

async function churn(ns: string, n: number, prefix = 'churn'): Promise<void> {
  for (let i = 0; i < n; i++) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `${prefix}-${i}` } } });
}

describe('too-old resourceVersion', () => {
  it('a Watch from a resourceVersion older than the history gets HTTP 410 with an Expired Status', async () => {
    const ns = uniq('expired');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const oldRV = list.metadata!.resourceVersion!;
    await churn(ns, HISTORY + 3);

    const w = await recordWatch(new Watch(kc), cmPath(ns), { resourceVersion: oldRV, allowWatchBookmarks: true });
    const err = await w.done;
    expect(err).toBeTruthy();
    expect(err?.statusCode).toBe(410);
    expect(w.events).toEqual([]);

    // The raw response is the Status kube-apiserver sends.
    const raw = await cluster.request('GET', `${cmPath(ns)}?watch=true&resourceVersion=${oldRV}`);
    expect(raw.status).toBe(410);
    expect(raw.headers.get('content-type')).toContain('application/json');
    expect(raw.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
    expect(raw.json.message).toMatch(new RegExp(`^too old resource version: ${oldRV} \\(\\d+\\)$`));
  });

  it('a watch from the resourceVersion a list just returned never gets 410, even after heavy churn', async () => {
    const ns = uniq('fresh');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await churn(ns, HISTORY * 3);
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), { resourceVersion: list.metadata!.resourceVersion });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'after' } } });
      await w.waitForEvent((e) => e.object.metadata?.name === 'after', 'ADDED after');
      expect(w.events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(['ADDED after']);
      expect(w.ended).toBe(false);
    } finally {
      w.abort();
    }
  });

  it('a watch from the oldest resourceVersion still covered replays everything after it', async () => {
    const ns = uniq('edge');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const created: V1ConfigMap[] = [];
    for (let i = 0; i < HISTORY + 1; i++) created.push(await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: `e${i}` } } }));
    // History holds the last HISTORY configmap events: e1..e5. Watching from e0's RV needs
    // exactly those.
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), { resourceVersion: created[0]!.metadata!.resourceVersion });
    try {
      await w.waitForEvent((e) => e.object.metadata?.name === `e${HISTORY}`, 'replayed last event');
      expect(w.events.map((e) => e.object.metadata?.name)).toEqual(created.slice(1).map((c) => c.metadata?.name));
    } finally {
      w.abort();
    }
  });

  it('writes to other resources do not expire a configmap watch', async () => {
    const ns = uniq('other');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    for (let i = 0; i < HISTORY * 2; i++) await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `s${i}` }, stringData: { k: 'v' } } });
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), { resourceVersion: list.metadata!.resourceVersion });
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'still-fine' } } });
      await w.waitForEvent((e) => e.object.metadata?.name === 'still-fine', 'ADDED still-fine');
      expect(w.ended).toBe(false);
    } finally {
      w.abort();
    }
  });
});

describe('bookmarks', () => {
  it('a BOOKMARK carries a resourceVersion that stays watchable while other namespaces churn', async () => {
    const quiet = uniq('quiet');
    const busy = uniq('busy');
    await core.createNamespace({ body: { metadata: { name: quiet } } });
    await core.createNamespace({ body: { metadata: { name: busy } } });
    const list = await core.listNamespacedConfigMap({ namespace: quiet });
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(quiet), { resourceVersion: list.metadata!.resourceVersion, allowWatchBookmarks: true });
    let bookmarkRV: string | undefined;
    try {
      // Enough configmap writes elsewhere to push the list's resourceVersion out of the history.
      await churn(busy, HISTORY * 2);
      const lastBusy = (await core.listNamespacedConfigMap({ namespace: busy })).metadata!.resourceVersion!;
      // The server sends a BOOKMARK every 10 s on an idle stream.
      const bm = await w.waitForEvent((e) => e.type === 'BOOKMARK', 'a BOOKMARK', 15_000);
      expect(bm.object.kind).toBe('ConfigMap');
      expect(bm.object.apiVersion).toBe('v1');
      bookmarkRV = bm.object.metadata!.resourceVersion!;
      expect(Number(bookmarkRV)).toBeGreaterThanOrEqual(Number(lastBusy));
      expect(w.events.filter((e) => e.type !== 'BOOKMARK')).toEqual([]);
    } finally {
      w.abort();
    }

    // The list's resourceVersion has expired, the bookmark's has not.
    expect((await cluster.request('GET', `${cmPath(quiet)}?watch=true&resourceVersion=${list.metadata!.resourceVersion}`)).status).toBe(410);
    const again = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(quiet), { resourceVersion: bookmarkRV });
    try {
      await core.createNamespacedConfigMap({ namespace: quiet, body: { metadata: { name: 'after-bookmark' } } });
      await again.waitForEvent((e) => e.object.metadata?.name === 'after-bookmark', 'ADDED after-bookmark');
      expect(again.ended).toBe(false);
    } finally {
      again.abort();
    }
  }, 30_000);
});

describe('informer recovery by relisting', () => {
  it('an informer whose first list is stale gets 410 on its watch, relists, and keeps seeing changes', async () => {
    const ns = uniq('inf-stale');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'doomed' } } });
    // The list a slow client got before a burst of writes pushed its resourceVersion out of the
    // history.
    const staleList = await core.listNamespacedConfigMap({ namespace: ns });
    await churn(ns, HISTORY + 2);
    await core.deleteNamespacedConfigMap({ name: 'doomed', namespace: ns });

    let lists = 0;
    const listFn = async (): Promise<V1ConfigMapList> => {
      lists++;
      return lists === 1 ? staleList : core.listNamespacedConfigMap({ namespace: ns });
    };
    const informer = makeInformer<V1ConfigMap>(kc, cmPath(ns), listFn);
    const log: string[] = [];
    const errors: unknown[] = [];
    let connects = 0;
    informer.on('add', (o) => log.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => log.push(`update ${o.metadata?.name}`));
    informer.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
    informer.on('error', (e) => errors.push(e));
    informer.on('connect', () => connects++);
    await informer.start();
    try {
      // 410 → resourceVersion reset → second connect with a fresh list.
      await until('relisted cache', () => lists >= 2 && informer.list(ns).length === HISTORY + 2);
      expect(connects).toBeGreaterThanOrEqual(2);
      expect(informer.get('doomed', ns)).toBeUndefined();
      expect(log).toContain('delete doomed'); // the relist noticed it was gone
      expect(errors).toEqual([]);

      // The informer watches again and sees later changes.
      log.length = 0;
      const late = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'late' }, data: { v: '1' } } });
      await until('add late after relist', () => log.includes('add late'));
      await core.replaceNamespacedConfigMap({ name: 'late', namespace: ns, body: { ...late, data: { v: '2' } } });
      await until('update late after relist', () => log.includes('update late'));
      await core.deleteNamespacedConfigMap({ name: 'churn-0', namespace: ns });
      await until('delete churn-0 after relist', () => log.includes('delete churn-0'));
      expect(informer.get('late', ns)?.data).toEqual({ v: '2' });
      expect(lists).toBe(2);
      expect(errors).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it('an informer restarted after its resourceVersion expired relists and converges', async () => {
    const ns = uniq('inf-restart');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'keep' }, data: { v: '1' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'drop' } } });

    let lists = 0;
    const informer = makeInformer<V1ConfigMap>(kc, cmPath(ns), () => {
      lists++;
      return core.listNamespacedConfigMap({ namespace: ns });
    });
    const log: string[] = [];
    informer.on('add', (o) => log.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => log.push(`update ${o.metadata?.name}=${o.data?.v}`));
    informer.on('delete', (o) => log.push(`delete ${o.metadata?.name}`));
    await informer.start();
    try {
      expect(informer.list(ns).length).toBe(2);
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'seen' } } });
      await until('add seen', () => log.includes('add seen'));
      const rvBefore = informerRV(informer);

      // Stop watching; while stopped, push the informer's resourceVersion out of the history.
      // stop() aborts the request at once: nothing written after it reaches this informer.
      await informer.stop();
      await churn(ns, HISTORY + 2);
      await core.deleteNamespacedConfigMap({ name: 'drop', namespace: ns });
      const keep = await core.readNamespacedConfigMap({ name: 'keep', namespace: ns });
      await core.replaceNamespacedConfigMap({ name: 'keep', namespace: ns, body: { ...keep, data: { v: '2' } } });

      // Restarting watches from rvBefore (too old) → 410 → relist.
      const raw = await cluster.request('GET', `${cmPath(ns)}?watch=true&resourceVersion=${rvBefore}`);
      expect(raw.status).toBe(410);
      log.length = 0;
      await informer.start();
      const expected = (await core.listNamespacedConfigMap({ namespace: ns })).items.length;
      expect(expected).toBe(HISTORY + 4); // keep, seen and the churn
      await until('relisted cache after restart', () => lists >= 2 && informer.list(ns).length === expected);
      expect(informer.get('drop', ns)).toBeUndefined();
      expect(informer.get('keep', ns)?.data).toEqual({ v: '2' });
      expect(log).toContain('delete drop');
      expect(log).toContain('update keep=2');
      expect(log.filter((l) => l.startsWith('add churn-')).length).toBe(HISTORY + 2);

      // And it keeps working afterwards.
      await core.deleteNamespacedConfigMap({ name: 'keep', namespace: ns });
      await until('delete keep after restart', () => log.includes('delete keep'));
      const server = await core.listNamespacedConfigMap({ namespace: ns });
      expect(
        informer
          .list(ns)
          .map((o) => o.metadata?.name)
          .sort(),
      ).toEqual(server.items.map((o) => o.metadata?.name).sort());
    } finally {
      await informer.stop();
    }
  });
});

describe('a watch from the future', () => {
  // A watch from a resourceVersion newer than anything the server has issued (e.g. an informer
  // that outlived an in-memory control plane) must not be left on a silent stream: kube-apiserver
  // answers "Too large resource version" (504, cause ResourceVersionTooLarge) so that the client
  // relists; client-node relists only on 410, so ours answers 410 Expired, which every client
  // (client-go and client-node alike) takes as "relist".
  it('ends at once with 410 Expired, delivering nothing', async () => {
    const ns = uniq('future');
    await core.createNamespace({ body: { metadata: { name: ns } } });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    const future = String(Number(list.metadata!.resourceVersion) + 1000);
    const w = await recordWatch<V1ConfigMap>(new Watch(kc), cmPath(ns), { resourceVersion: future });
    try {
      // The answer comes without anything else happening: no write is needed to end it.
      const end = await w.done;
      expect(end).toBeInstanceOf(Error);
      expect(end!.statusCode).toBe(410);
      expect(w.events).toEqual([]);
      // The raw response: kube's Status for an expired resourceVersion, saying why.
      const raw = await cluster.request('GET', `${cmPath(ns)}?watch=true&resourceVersion=${future}`);
      expect(raw.status).toBe(410);
      expect(raw.json).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 });
      expect(raw.json.message).toMatch(/^too large resource version: \d+, current: \d+$/);
    } finally {
      w.abort();
    }
  });
});
