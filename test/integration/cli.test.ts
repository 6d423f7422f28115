import { describe, it, expect, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { flotilla, startUp, credsFrom, call } from '../helpers/cliProcess.js';
import { until } from '../helpers/wait.js';

// The `flotilla` CLI as a user runs it, and the store's durability promise: after kill -9 of the
// control plane, every write that was acknowledged is there, and resourceVersions never go back.

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('flotilla CLI', () => {
  it('up serves the API, writes a kubeconfig, refuses a second up on the same data, stops on SIGTERM; down removes it', async () => {
    const data = path.join(root, 'c1');
    const up = await startUp(data);
    expect(up.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const creds = credsFrom(data);
    const ns = await call(up.url, creds, 'GET', '/api/v1/namespaces');
    expect(ns.status).toBe(200);
    expect(ns.json.items.map((n: { metadata: { name: string } }) => n.metadata.name).sort()).toEqual(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    expect((await call(up.url, { ...creds, token: 'wrong' }, 'GET', '/api/v1/namespaces')).status).toBe(401);

    const kc = await flotilla(['kubeconfig', '--data', data]);
    expect(kc.code).toBe(0);
    expect(kc.stdout).toContain(`server: ${up.url}`);

    const second = await flotilla(['up', '--data', data, '--port', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/in use by process \d+/);

    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
    expect(up.output()).toContain('stopped.');
    expect(fs.existsSync(path.join(data, 'lock'))).toBe(false);

    const down = await flotilla(['down', '--data', data]);
    expect(down.code).toBe(0);
    expect(fs.existsSync(data)).toBe(false);
  });

  it('down stops a running up before removing its data', async () => {
    const data = path.join(root, 'c2');
    const up = await startUp(data);
    const down = await flotilla(['down', '--data', data]);
    expect(down.code).toBe(0);
    expect(await up.exited).toBe(0);
    expect(fs.existsSync(data)).toBe(false);
  });

  it('rejects bad flags with a clear message', async () => {
    const r = await flotilla(['up', '--data', path.join(root, 'c3'), '--port', 'abc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--port: not a port number: abc');
    const u = await flotilla(['frobnicate']);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain('unknown command "frobnicate"');
  });
});

describe('durability', () => {
  it('keeps every acknowledged write across kill -9, and resourceVersions never go backwards', async () => {
    const data = path.join(root, 'durable');
    let up = await startUp(data);
    const creds = credsFrom(data);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 32 });
    const acked = new Map<string, { rv: number; value: string }>();
    let maxAckedRV = 0;
    let ackedUpdates = 0;
    let stop = false;
    // 32 concurrent writers create and update ConfigMaps until the process dies under them.
    const writer = async (w: number) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        const name = `w${w}-${i % 20}`;
        const value = `${w}-${i}`;
        try {
          const body = { metadata: { name }, data: { v: value } };
          let r = await call(up.url, creds, 'POST', '/api/v1/namespaces/default/configmaps', body, agent);
          if (r.status === 409) r = await call(up.url, creds, 'PUT', `/api/v1/namespaces/default/configmaps/${name}`, body, agent);
          if (r.status === 200 || r.status === 201) {
            if (r.status === 200) ackedUpdates++;
            const rv = Number(r.json.metadata.resourceVersion);
            const prev = acked.get(name);
            if (!prev || prev.rv < rv) acked.set(name, { rv, value });
            maxAckedRV = Math.max(maxAckedRV, rv);
          }
        } catch {
          return; // the connection died with the process
        }
      }
    };
    const writers = Array.from({ length: 32 }, (_, w) => writer(w));
    // Kill it in the middle of the load: once creates and updates have both been acknowledged.
    await until('acknowledged creates and updates', () => acked.size > 100 && ackedUpdates > 100);
    up.child.kill('SIGKILL');
    await up.exited;
    stop = true;
    await Promise.all(writers);
    agent.destroy();
    expect(acked.size).toBeGreaterThan(100);

    up = await startUp(data);
    const list = await call(up.url, creds, 'GET', '/api/v1/namespaces/default/configmaps');
    expect(list.status).toBe(200);
    const stored = new Map<string, { rv: number; value: string }>();
    for (const cm of list.json.items) stored.set(cm.metadata.name, { rv: Number(cm.metadata.resourceVersion), value: cm.data.v });
    for (const [name, a] of acked) {
      const s = stored.get(name);
      expect(s, `acknowledged ${name}@${a.rv} is missing`).toBeDefined();
      // The stored version is the acknowledged one or a later write that reached disk unacknowledged.
      expect(s!.rv).toBeGreaterThanOrEqual(a.rv);
      if (s!.rv === a.rv) expect(s!.value).toBe(a.value);
    }
    expect(Number(list.json.metadata.resourceVersion)).toBeGreaterThanOrEqual(maxAckedRV);
    const created = await call(up.url, creds, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after-restart' } });
    expect(Number(created.json.metadata.resourceVersion)).toBeGreaterThan(maxAckedRV);
    up.child.kill('SIGTERM');
    expect(await up.exited).toBe(0);
  });
});
