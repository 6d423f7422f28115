import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Datastore from 'nedb-promises';
import { appendAll, openDatafile, closeDatafile, readDatafile } from '../../src-main/store/datafile.js';
import { Store } from '../../src-main/store/store.js';
import type { KubeObject } from '../../src-main/api/types.js';

// The store's datafile (src-main/store/datafile.ts) keeps @seald-io/nedb's line format, so data
// folders written through nedb-promises load unchanged and the other way round; a write cut short
// by a crash never corrupts what follows; a compaction never loses a write made while it runs.

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-datafile-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const byId = (docs: Iterable<{ _id: string }>) => [...docs].sort((a, b) => a._id.localeCompare(b._id));
const cm = (name: string, v: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { v } });

describe('the store datafile', () => {
  it('reads a file nedb wrote (inserts, updates, removals) exactly as nedb reads it', async () => {
    const file = path.join(tmp(), 'store.db');
    const db = Datastore.create({ filename: file, autoload: true });
    await db.insert([{ _id: 'a', j: '{"x":1}' }, { _id: 'b', j: '{"x":2}' }, { _id: 'c', j: 'dotted.key' }]);
    await db.update({ _id: 'a' }, { _id: 'a', j: '{"x":3}' });
    await db.remove({ _id: 'b' }, {});
    const nedbView = byId(await db.find({}));
    expect(byId((await readDatafile(file)).values())).toEqual(nedbView);
  });

  it('writes a file nedb reads back with the same documents', async () => {
    const dir = tmp();
    const s = await Store.open({ dataDir: dir });
    const a = await s.create('configmaps', 'default/a', cm('a', '1'));
    await s.update('configmaps', 'default/a', { ...a, data: { v: '2' } });
    const gone = await s.create('configmaps', 'default/gone', cm('gone', 'x'));
    await s.delete('configmaps', 'default/gone', gone.metadata.resourceVersion);
    await s.close();
    const file = path.join(dir, 'store.db');
    const db = Datastore.create({ filename: file, autoload: true });
    expect(byId(await db.find({}))).toEqual(byId((await readDatafile(file)).values()));
  });

  it('drops a final line a crash cut short, so the next append starts on its own line', async () => {
    const file = path.join(tmp(), 'store.db');
    let fd = await openDatafile(file);
    appendAll(fd, '{"_id":"1","j":"one"}\n{"_id":"2","j":"tw');
    await closeDatafile(fd);
    expect([...(await readDatafile(file)).keys()]).toEqual(['1']);
    fd = await openDatafile(file);
    appendAll(fd, '{"_id":"3","j":"three"}\n');
    await closeDatafile(fd);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"_id":"1","j":"one"}\n{"_id":"3","j":"three"}\n');
  });

  it('keeps a whole final document that only lacks its newline, and gives it one', async () => {
    const file = path.join(tmp(), 'store.db');
    fs.writeFileSync(file, '{"_id":"1","j":"one"}');
    expect([...(await readDatafile(file)).keys()]).toEqual(['1']);
    expect(fs.readFileSync(file, 'utf8')).toBe('{"_id":"1","j":"one"}\n');
  });

  it('loses no write made while a compaction rewrites the file', async () => {
    const dir = tmp();
    let s = await Store.open({ dataDir: dir });
    for (let i = 0; i < 200; i++) await s.create('configmaps', `default/pre-${i}`, cm(`pre-${i}`, String(i)));
    const log = (s as unknown as { log: { compact(rv: number): Promise<void> } }).log;
    const compaction = log.compact(s.currentRV());
    expect((log as unknown as { sinceSnapshot?: string[] }).sinceSnapshot, 'the compaction is under way').toBeDefined();
    // Writes while the snapshot is being written (the compaction is suspended at its first await).
    const during = Promise.all(Array.from({ length: 50 }, (_, i) => s.create('configmaps', `default/during-${i}`, cm(`during-${i}`, String(i)))));
    await Promise.all([compaction, during]);
    for (let i = 0; i < 20; i++) await s.create('configmaps', `default/after-${i}`, cm(`after-${i}`, String(i)));
    const rv = s.currentRV();
    await s.close();
    s = await Store.open({ dataDir: dir });
    expect(s.currentRV()).toBe(rv);
    const names = [...s.scan('configmaps')].map((e) => e.key);
    expect(names).toHaveLength(270);
    for (const prefix of ['pre-0', 'pre-199', 'during-0', 'during-49', 'after-19']) expect(names).toContain(`default/${prefix}`);
    await s.close();
  });
});
