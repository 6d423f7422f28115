// Issue 7 item 14: the data folder holds Secrets (store.db), the CA key, tokens and the admin
// kubeconfig; only its owner may read any of it. Every file the control plane writes there is
// 0600 and every folder 0700, whatever the umask (here 000, the most permissive), through writes
// and a compaction of the store; and a folder left 0644/0755 by an older version is narrowed at start.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { VersionLog } from '../../src-main/store/persistence.js';
import { call, credsFrom, spawnUp, type UpGroup } from '../helpers/cliProcess.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-modes-'));
const data = path.join(root, 'data');
const running: UpGroup[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every file and folder under `dir` (and itself) whose permission bits are not 0600 / 0700. */
function notPrivate(dir: string): string[] {
  const wrong: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== 0o700) wrong.push(`${path.relative(data, p) || '.'}/ ${mode.toString(8)}`);
      for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    } else if (mode !== 0o600) wrong.push(`${path.relative(data, p)} ${mode.toString(8)}`);
  };
  walk(dir);
  return wrong;
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

async function upWithUmask000(): Promise<string> {
  const u = spawnUp(['--data', data, '--nodes', '0'], { umask: '000' });
  running.push(u);
  return u.serving;
}

describe('data folder permissions', () => {
  it('up, writes and a compaction leave every file 0600 and every folder 0700, under umask 000', async () => {
    const url = await upWithUmask000();
    const creds = credsFrom(data);
    const secret = await call(url, creds, 'POST', '/api/v1/namespaces/default/secrets', { metadata: { name: 'db' }, stringData: { password: 'hunter2' } });
    expect(secret.status).toBe(201);
    for (let i = 0; i < 5; i++) {
      const r = await call(url, creds, i ? 'PUT' : 'POST', `/api/v1/namespaces/default/configmaps${i ? '/settings' : ''}`, { metadata: { name: 'settings' }, data: { round: String(i) } });
      expect(r.status).toBe(i ? 200 : 201);
    }
    expect(filesUnder(data)).toEqual(expect.arrayContaining(['kubeconfig', 'lock', 'pki/ca.crt', 'pki/ca.key', 'pki/apiserver.key', 'store.db', 'tokens.json']));
    expect(notPrivate(data)).toEqual([]);
    expect(await running.pop()!.stop()).toBe(0);
    expect(notPrivate(data)).toEqual([]);

    // The store's compaction rewrites store.db through a temporary file, under umask 000 too.
    const umask = process.umask(0);
    try {
      const log = new VersionLog(path.join(data, 'store.db'));
      const { maxRV } = await log.load();
      await log.append([{ rv: maxRV + 1, resource: 'configmaps', key: 'default/settings', json: JSON.stringify({ metadata: { name: 'settings' } }) }], maxRV + 1);
      await log.compact(maxRV + 1);
      await log.close();
    } finally {
      process.umask(umask);
    }
    // Compacted, and everything still there.
    const reloaded = await new VersionLog(path.join(data, 'store.db')).load();
    expect(reloaded.entries.map((e) => `${e.resource} ${e.key}`)).toEqual(expect.arrayContaining(['secrets default/db', 'configmaps default/settings']));
    expect(fs.existsSync(path.join(data, 'store.db~'))).toBe(false);
    expect(notPrivate(data)).toEqual([]);
  });

  it('narrows the modes an older version left, at start', async () => {
    // As an older version left it: everything world-readable, and a temporary file of a crash.
    fs.writeFileSync(path.join(data, 'tokens.json.tmp'), '{}');
    const widen = (p: string) => {
      const st = fs.statSync(p);
      fs.chmodSync(p, st.isDirectory() ? 0o755 : 0o644);
      if (st.isDirectory()) for (const e of fs.readdirSync(p)) widen(path.join(p, e));
    };
    widen(data);
    expect(notPrivate(data).length).toBeGreaterThan(5);
    await upWithUmask000();
    expect(notPrivate(data)).toEqual([]);
    expect(await running.pop()!.stop()).toBe(0);
    expect(notPrivate(data)).toEqual([]);
  });
});
