import { describe, it, expect, afterEach } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../src-main/store/store.js';
import { StoreError, type StoreEvent } from '../../src-main/store/events.js';
import type { KubeObject } from '../../src-main/api/types.js';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data });

describe('store', () => {
  it('assigns one increasing resourceVersion across resources', async () => {
    const s = await Store.open({ dataDir: null });
    const a = await s.create('configmaps', 'default/a', cm('a'));
    const b = await s.create('secrets', 'default/b', cm('b'));
    const a2 = await s.update('configmaps', 'default/a', { ...a, data: { x: '1' } });
    expect(Number(a.metadata.resourceVersion)).toBeLessThan(Number(b.metadata.resourceVersion));
    expect(Number(b.metadata.resourceVersion)).toBeLessThan(Number(a2.metadata.resourceVersion));
    expect(s.currentRV()).toBe(Number(a2.metadata.resourceVersion));
  });

  it('rejects duplicates, stale compare-and-swap and missing keys', async () => {
    const s = await Store.open({ dataDir: null });
    const a = await s.create('configmaps', 'default/a', cm('a'));
    await expect(s.create('configmaps', 'default/a', cm('a'))).rejects.toMatchObject({ reason: 'AlreadyExists' });
    await s.update('configmaps', 'default/a', { ...a, data: { v: '2' } }, a.metadata.resourceVersion);
    await expect(s.update('configmaps', 'default/a', { ...a, data: { v: '3' } }, a.metadata.resourceVersion)).rejects.toMatchObject({ reason: 'Conflict' });
    await expect(s.update('configmaps', 'default/zz', cm('zz'))).rejects.toBeInstanceOf(StoreError);
    expect(s.get('configmaps', 'default/a')!.data).toEqual({ v: '2' });
  });

  it('lists in key order with prefix and continue position', async () => {
    const s = await Store.open({ dataDir: null });
    for (const n of ['c', 'a', 'b']) await s.create('configmaps', `default/${n}`, cm(n));
    await s.create('configmaps', 'other/a', { ...cm('a'), metadata: { name: 'a', namespace: 'other' } });
    expect([...s.scan('configmaps', 'default/')].map((e) => e.key)).toEqual(['default/a', 'default/b', 'default/c']);
    expect([...s.scan('configmaps', 'default/', 'default/a')].map((e) => e.key)).toEqual(['default/b', 'default/c']);
    expect([...s.scan('configmaps')].length).toBe(4);
  });

  it('replays every change after a resourceVersion, then streams live ones', async () => {
    const s = await Store.open({ dataDir: null });
    const a = await s.create('configmaps', 'default/a', cm('a'));
    const from = Number(a.metadata.resourceVersion);
    await s.update('configmaps', 'default/a', { ...a, data: { v: '1' } });
    await s.delete('configmaps', 'default/a');
    const seen: StoreEvent[] = [];
    const stop = s.watch('configmaps', from, (e) => seen.push(e));
    await s.create('configmaps', 'default/b', cm('b'));
    stop();
    await s.create('configmaps', 'default/c', cm('c'));
    expect(seen.map((e) => `${e.type} ${e.key}`)).toEqual(['MODIFIED default/a', 'DELETED default/a', 'ADDED default/b']);
    // The DELETED event carries the deletion's revision, like etcd.
    expect(Number(seen[1]!.object.metadata.resourceVersion)).toBe(seen[1]!.rv);
  });

  it('answers Expired for a resourceVersion older than the bounded history', async () => {
    const s = await Store.open({ dataDir: null, historySize: 3 });
    const first = await s.create('configmaps', 'default/a', cm('a'));
    for (let i = 0; i < 5; i++) await s.update('configmaps', 'default/a', { ...first, data: { i: String(i) } });
    expect(() => s.watch('configmaps', Number(first.metadata.resourceVersion), () => {})).toThrowError(/too old resource version/);
    // A watch from the current revision is always served.
    expect(() => s.watch('configmaps', s.currentRV(), () => {})()).not.toThrow();
  });

  it('persists writes, including deletions, and never reuses resourceVersions after restart', async () => {
    const dir = tmp();
    let s = await Store.open({ dataDir: dir });
    const a = await s.create('configmaps', 'default/a', cm('a', { k: 'v.with.dots' }));
    await s.create('configmaps', 'default/b', { ...cm('b'), metadata: { name: 'b', namespace: 'default', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } } });
    await s.update('configmaps', 'default/a', { ...a, data: { k: 'v2' } });
    await s.delete('configmaps', 'default/b');
    const rvBefore = s.currentRV();
    await s.close();
    s = await Store.open({ dataDir: dir });
    expect(s.currentRV()).toBe(rvBefore);
    expect(s.get('configmaps', 'default/a')!.data).toEqual({ k: 'v2' });
    expect(s.get('configmaps', 'default/b')).toBeUndefined();
    const c = await s.create('configmaps', 'default/c', cm('c'));
    expect(Number(c.metadata.resourceVersion)).toBeGreaterThan(rvBefore);
  });

  it('compacts superseded versions and keeps the resourceVersion floor', async () => {
    const dir = tmp();
    let s = await Store.open({ dataDir: dir });
    let obj = await s.create('configmaps', 'default/a', cm('a'));
    for (let i = 0; i < 50; i++) obj = await s.update('configmaps', 'default/a', { ...obj, data: { i: String(i) } });
    const gone = await s.create('configmaps', 'default/gone', cm('gone'));
    await s.delete('configmaps', 'default/gone', gone.metadata.resourceVersion);
    const rv = s.currentRV();
    // Reach into the log for a deterministic compaction instead of writing 20,000 versions.
    await (s as unknown as { log: { compact(rv: number): Promise<void> } }).log.compact(rv);
    await s.close();
    const lines = fs.readFileSync(path.join(dir, 'store.db'), 'utf8').trim().split('\n');
    expect(lines.length).toBe(2); // the floor and the one live object
    s = await Store.open({ dataDir: dir });
    expect(s.currentRV()).toBe(rv);
    expect(s.get('configmaps', 'default/a')!.data).toEqual({ i: '49' });
  });

  it('holds objects as JSON: reads parse them (shared while hot), getMutable gives private copies', async () => {
    const s = await Store.open({ dataDir: null, hotObjects: 2 });
    const a = await s.create('configmaps', 'default/a', { ...cm('a', { k: 'v' }), metadata: { name: 'a', namespace: 'default', labels: { app: 'x' } } });
    expect(s.getJSON('configmaps', 'default/a')).toBe(JSON.stringify(a));
    const got = s.get('configmaps', 'default/a')!;
    expect(got).toEqual(a);
    expect(s.get('configmaps', 'default/a')).toBe(got); // hot: the same shared object
    const m1 = s.getMutable('configmaps', 'default/a')!;
    const m2 = s.getMutable('configmaps', 'default/a')!;
    expect(m1).toEqual(a);
    expect(m1).not.toBe(m2);
    m1.data = { changed: 'yes' };
    expect(s.get('configmaps', 'default/a')!.data).toEqual({ k: 'v' });
    // Past the hot limit the least recently read object is parsed again when asked for.
    await s.create('configmaps', 'default/b', cm('b'));
    await s.create('configmaps', 'default/c', cm('c'));
    s.get('configmaps', 'default/b');
    s.get('configmaps', 'default/c');
    const again = s.get('configmaps', 'default/a')!;
    expect(again).not.toBe(got);
    expect(again).toEqual(a);
    expect(s.has('configmaps', 'default/a')).toBe(true);
    expect(s.has('configmaps', 'default/zz')).toBe(false);
    expect(s.getJSONAt('configmaps', 'default/a', a.metadata.resourceVersion)).toBe(JSON.stringify(a));
    expect(s.getJSONAt('configmaps', 'default/a', '2')).toBeUndefined();
    const [item] = [...s.scan('configmaps', 'default/a')];
    expect(item!.sel).toEqual({ metadata: { name: 'a', namespace: 'default', labels: { app: 'x' } } });
    expect(item!.obj).toEqual(a);
  });

  it('watch events carry the JSON, what selectors see of the object, and of its previous state', async () => {
    const s = await Store.open({ dataDir: null });
    const from = s.currentRV();
    const p = await s.create('pods', 'ns/p', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const p2 = await s.update('pods', 'ns/p', { ...p, metadata: { ...p.metadata, labels: { app: 'b' } }, spec: { ...p.spec, nodeName: 'n1' } });
    await s.delete('pods', 'ns/p');
    const seen: StoreEvent[] = [];
    s.watch('pods', from, (e) => seen.push(e))();
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(seen[1]!.json).toBe(JSON.stringify(p2));
    expect(seen[1]!.object).toEqual(p2);
    expect(seen[1]!.sel).toEqual({ metadata: { name: 'p', namespace: 'ns', labels: { app: 'b' } }, spec: { nodeName: 'n1' } });
    expect(seen[1]!.prev).toBe(seen[0]!.sel); // the previous state's view, not a copy
    expect(seen[0]!.prev).toBeUndefined();
    expect(seen[2]!.prev).toBeUndefined();
    expect(seen[2]!.object.spec).toEqual(p2.spec);
  });

  it('keeps only the newest version of each object in memory; older ones stay on disk until compaction', async () => {
    const dir = tmp();
    let s = await Store.open({ dataDir: dir });
    let obj = await s.create('configmaps', 'default/a', cm('a'));
    for (let i = 0; i < 20; i++) obj = await s.update('configmaps', 'default/a', { ...obj, data: { i: String(i) } });
    const gone = await s.create('configmaps', 'default/gone', cm('gone'));
    await s.delete('configmaps', 'default/gone', gone.metadata.resourceVersion);
    await s.close();
    const live = (s as unknown as { log: { db: { find(q: object): unknown[] } } }).log.db;
    expect(live.find({})).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, 'store.db'), 'utf8').trim().split('\n').length).toBe(23); // 22 writes and 1 tombstone
    s = await Store.open({ dataDir: dir });
    expect(s.get('configmaps', 'default/a')!.data).toEqual({ i: '19' });
    expect(s.get('configmaps', 'default/gone')).toBeUndefined();
    await s.close();
  });

  it('batches concurrent writes and acknowledges each only once durable', async () => {
    const dir = tmp();
    const file = path.join(dir, 'store.db');
    const s = await Store.open({ dataDir: dir });
    // At the moment each write is acknowledged (synchronously, in its promise's reaction), the
    // datafile is read: the acknowledged version must already be in it. An acknowledgement that
    // came before its append would find the file without it (the append is asynchronous I/O, which
    // cannot complete before a reaction that is already queued).
    const onDiskAtAck: boolean[] = [];
    const fileSizesAtAck = new Set<number>();
    const writes = Array.from({ length: 500 }, (_, i) =>
      s.create('configmaps', `default/n${i}`, cm(`n${i}`)).then((obj) => {
        const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
        onDiskAtAck.push(text.includes(`"_id":"${obj.metadata.resourceVersion}"`));
        fileSizesAtAck.add(text.length);
        return obj;
      }),
    );
    const done = await Promise.all(writes);
    expect(new Set(done.map((d) => d.metadata.resourceVersion)).size).toBe(500);
    expect(onDiskAtAck.filter((x) => !x)).toEqual([]);
    // Batched: writes made in the same turn are acknowledged together, after one append (every
    // acknowledgement saw the same file), not one append each.
    expect(fileSizesAtAck.size).toBe(1);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBe(500);
    await s.close();
  });
});
