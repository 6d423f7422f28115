// Issue 7 item 11: the data folder lock names its holder by PID *and* process start time, so a
// PID that a crash or a reboot left in the lock and that now belongs to another program neither
// blocks `up` nor receives `down`'s SIGTERM; taking the lock (also a stale one) is atomic, so of
// two `up`s started together on one folder exactly one serves.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import readline from 'node:readline';
import { flotilla, spawnUp, type UpGroup } from '../helpers/cliProcess.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-lock-'));
const running: UpGroup[] = [];
const bystanders: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((u) => u.stop()));
  for (const b of bystanders.splice(0)) b.kill('SIGKILL');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function up(data: string): UpGroup {
  const u = spawnUp(['--data', data, '--nodes', '0']);
  running.push(u);
  return u;
}

/** A PID that belonged to a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

/** An unrelated long-running program (what a reused PID belongs to after a crash or reboot). */
async function bystander(): Promise<ChildProcess> {
  const c = spawn('sleep', ['1000'], { stdio: 'ignore' });
  bystanders.push(c);
  await new Promise((r) => c.once('spawn', r));
  return c;
}

/** The data folder as a control plane that crashed left it: a Flotilla data folder with its lock. */
async function crashedFolder(name: string): Promise<string> {
  const data = path.join(root, name);
  const u = up(data);
  await u.serving;
  // kill -9: the lock stays behind, naming the dead process.
  process.kill(-u.pid, 'SIGKILL');
  await u.exited;
  expect(fs.existsSync(path.join(data, 'lock'))).toBe(true);
  return data;
}

/** Rewrites the lock so that it names `pid`, as if the crashed process had had that PID. */
function pointLockAt(data: string, pid: number): void {
  const file = path.join(data, 'lock');
  const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid: number; start: string };
  expect(rec.start).toBeTruthy(); // the crashed process's start time, which no other process has
  fs.writeFileSync(file, JSON.stringify({ ...rec, pid }));
}

/** The lock format of older versions: the PID alone, written `agoMs` ago. */
function legacyLock(data: string, pid: number, agoMs: number): void {
  const file = path.join(data, 'lock');
  fs.writeFileSync(file, String(pid));
  const t = new Date(Date.now() - agoMs);
  fs.utimesSync(file, t, t);
}

const alive = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;

describe('flotilla up/down and the data folder lock', () => {
  it('up takes over a lock whose process is gone', async () => {
    const data = await crashedFolder('dead');
    pointLockAt(data, deadPid());
    const u = up(data);
    expect(await u.serving).toMatch(/^https:/);
    expect(JSON.parse(fs.readFileSync(path.join(data, 'lock'), 'utf8')).pid).toBe(u.pid);
    expect(await u.stop()).toBe(0);
    expect(fs.existsSync(path.join(data, 'lock'))).toBe(false);

    legacyLock(data, deadPid(), 0);
    const again = up(data);
    await again.serving;
    expect(await again.stop()).toBe(0);
  });

  it('up takes over a lock whose PID now belongs to another program, and leaves that program alone', async () => {
    const data = await crashedFolder('reused');
    const other = await bystander();
    pointLockAt(data, other.pid!);
    const u = up(data);
    await u.serving;
    expect(u.output()).not.toContain('in use');
    expect(await u.stop()).toBe(0);
    expect(alive(other)).toBe(true);

    // The same with an older version's PID-only lock, written before the program started.
    legacyLock(data, other.pid!, 60 * 60 * 1000);
    const again = up(data);
    await again.serving;
    expect(await again.stop()).toBe(0);
    expect(alive(other)).toBe(true);
  });

  it('down never signals a process that is not the folder\'s control plane', async () => {
    const data = await crashedFolder('down-reused');
    const other = await bystander();
    pointLockAt(data, other.pid!);
    const r = await flotilla(['down', '--data', data]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`removed the cluster at ${data}`);
    expect(fs.existsSync(data)).toBe(false);
    expect(alive(other)).toBe(true);

    // An older version's lock naming it: not signalled either.
    const data2 = await crashedFolder('down-legacy');
    legacyLock(data2, other.pid!, 60 * 60 * 1000);
    const r2 = await flotilla(['down', '--data', data2]);
    expect(r2.code).toBe(0);
    expect(fs.existsSync(data2)).toBe(false);
    expect(alive(other)).toBe(true);

    // An older version's lock written AFTER that program started cannot be told from a live old
    // `up`: up refuses and down does not signal; both say how to clear a lock known to be stale.
    const data3 = await crashedFolder('legacy-unknown');
    legacyLock(data3, other.pid!, 0);
    const u = await flotilla(['up', '--data', data3, '--port', '0', '--nodes', '0']);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain(`is in use by process ${other.pid}, as far as this system can tell; if no Flotilla is running there, remove ${path.join(data3, 'lock')}`);
    const r3 = await flotilla(['down', '--data', data3]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain(`cannot verify as its control plane, so it is not signalled`);
    expect(fs.existsSync(data3)).toBe(true);
    expect(alive(other)).toBe(true);
  });

  it('down stops the verified control plane and waits for it', async () => {
    const data = path.join(root, 'down-live');
    const u = up(data);
    await u.serving;
    const r = await flotilla(['down', '--data', data]);
    expect(r.code).toBe(0);
    expect(await u.exited).toBe(0);
    expect(u.output()).toContain('SIGTERM: stopping');
    expect(fs.existsSync(data)).toBe(false);
  });

  it('a live holder is named; a second up on the folder is refused', async () => {
    const data = path.join(root, 'busy');
    const u = up(data);
    await u.serving;
    const second = await flotilla(['up', '--data', data, '--port', '0', '--nodes', '0']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`is in use by process ${u.pid} (cli.cjs up --port 0 --no-ui --no-ingress --data ${data} --nodes 0)`);
    expect(await u.stop()).toBe(0);
  });

  it('of two ups started together on one folder exactly one serves, with or without a stale lock', async () => {
    for (const [round, stale] of [false, true, true].entries()) {
      const data = stale ? await crashedFolder(`race-${round}`) : path.join(root, `race-${round}`);
      if (stale) pointLockAt(data, deadPid());
      const pair = [up(data), up(data)];
      const outcome = await Promise.all(pair.map((u) => u.serving.then(() => 'serving' as const, () => 'refused' as const)));
      expect([...outcome].sort()).toEqual(['refused', 'serving']);
      const winner = pair[outcome.indexOf('serving')]!;
      const loser = pair[outcome.indexOf('refused')]!;
      expect(await loser.exited).toBe(1);
      expect(loser.output()).toContain(`is in use by process ${winner.pid}`);
      // The winner's lock is intact (the loser neither removed nor replaced it).
      expect(JSON.parse(fs.readFileSync(path.join(data, 'lock'), 'utf8')).pid).toBe(winner.pid);
      expect(await winner.stop()).toBe(0);
      expect(fs.readdirSync(data).filter((f) => f.startsWith('lock'))).toEqual([]);
    }
  });
});

describe('the lock helper under contention (images/fileLock.ts, which both locks use)', () => {
  const RACER = path.resolve(__dirname, '../helpers/lockRacer.ts');

  /** Starts `n` contender processes, lets them go at once, and returns their outcomes. */
  async function race(dir: string, n: number): Promise<{ won: boolean; pid: number; holder?: number }[]> {
    const lock = path.join(dir, 'lock');
    const start = path.join(dir, 'start');
    const done = path.join(dir, 'done');
    const kids = Array.from({ length: n }, () => spawn(process.execPath, ['--import', 'tsx', RACER, lock, start, done], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const lines = kids.map((k) => readline.createInterface({ input: k.stdout! })[Symbol.asyncIterator]());
    const exited = kids.map((k) => new Promise((r) => k.on('exit', r)));
    try {
      for (const l of lines) expect((await l.next()).value).toBe('ready');
      fs.writeFileSync(start, '');
      const outcomes = await Promise.all(lines.map(async (l) => JSON.parse((await l.next()).value as string) as { won: boolean; pid: number; holder?: number }));
      // While the winner holds it, the lock names the winner.
      const winner = outcomes.find((o) => o.won);
      if (winner) expect(JSON.parse(fs.readFileSync(lock, 'utf8')).pid).toBe(winner.pid);
      fs.writeFileSync(done, '');
      await Promise.all(exited);
      return outcomes;
    } finally {
      for (const k of kids) k.kill('SIGKILL');
    }
  }

  it('of many processes racing for a free, stale or old-format stale lock, exactly one wins', async () => {
    const kinds = ['free', 'stale', 'legacy-stale', 'stale', 'legacy-stale'] as const;
    for (const [round, kind] of kinds.entries()) {
      const dir = path.join(root, `lock-race-${round}`);
      fs.mkdirSync(dir);
      const dead = deadPid();
      if (kind === 'stale') {
        fs.writeFileSync(path.join(dir, 'lock'), JSON.stringify({ pid: dead, start: 'linux:gone:1', instance: 'deadbeef', purpose: 'race', command: 'x', since: '' }));
      }
      if (kind === 'legacy-stale') fs.writeFileSync(path.join(dir, 'lock'), String(dead));
      const outcomes = await race(dir, 4);
      expect(outcomes.filter((o) => o.won), `${kind}: ${JSON.stringify(outcomes)}`).toHaveLength(1);
      const pids = outcomes.map((o) => o.pid);
      // Losers were told about a contender, never about the dead holder.
      for (const o of outcomes.filter((x) => !x.won)) expect(pids).toContain(o.holder);
      // Released by the winner; no claim or temporary file left behind.
      expect(fs.readdirSync(dir).sort()).toEqual(['done', 'start']);
    }
  }, 120_000);
});
