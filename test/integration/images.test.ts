// The node, pause and sample app images, built for real on the local Docker engine. The first
// run on a fresh machine assembles the offline base with debootstrap (one to two minutes); later
// runs find everything cached. Containers run with no network, or on an internal network this
// test creates, so nothing leaves the machine.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demuxLogs, runOnce } from '../../src-main/images/dockerOps';
import { type FlotillaImages, type ImageProgress, LABEL_INPUTS_HASH, LABEL_KIND, ensureImages, ensurePauseImage } from '../../src-main/images/index';
import { skipWithout } from '../helpers/requirements';
import { docker, dockerUp } from '../helpers/dockerEngine';
import { until } from '../helpers/wait';

const TEST_LABEL = { 'flotilla.dev/test': 'images' };
// gcc and libc6-dev (static libc) are on every machine of this project's kind (CI checks it).
const hasStaticCc = spawnSync('gcc', ['--version']).status === 0 && existsSync('/usr/lib/x86_64-linux-gnu/libc.a');

let work: string;
let bundleFile: string;
let images: FlotillaImages;
const firstEvents: ImageProgress[] = [];
const removeAfter = new Set<string>();

async function removeTestObjects(): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: ['flotilla.dev/test=images'] } });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  const networks = await docker.listNetworks({ filters: { label: ['flotilla.dev/test=images'] } });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(() => undefined)));
}

/** Starts a container, leaves it running, and returns it (removed in afterAll by its label). */
async function start(opts: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  const container = await docker.createContainer({ ...opts, Labels: { ...TEST_LABEL, ...opts.Labels } });
  await container.start();
  return container;
}

describe.skipIf(skipWithout('a Docker engine', dockerUp))('flotilla images on the real engine', () => {
  beforeAll(async () => {
    await removeTestObjects();
    work = await mkdtemp(path.join(os.tmpdir(), 'flotilla-images-'));
    bundleFile = path.join(work, 'agent.cjs');
    await writeFile(bundleFile, "console.log('agent ok', process.argv.slice(2).join(' '));\n");
    images = await ensureImages(docker, { bundleFile, pull: false, onProgress: (e) => firstEvents.push(e) });
    const built = firstEvents.filter((e) => e.phase === 'done').map((e) => e.image);
    console.log(`ensureImages built: ${built.join(', ') || 'nothing (all cached)'}`);
    // The node image here carries a test bundle, so it is not the cluster's: drop it afterwards.
    removeAfter.add(images.node);
  }, 15 * 60_000);

  afterAll(async () => {
    await removeTestObjects();
    for (const tag of removeAfter) await docker.getImage(tag).remove().catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('builds node, pause and both hello versions, labelled with their inputs hash', async () => {
    expect(images.node).toMatch(/^flotilla\/node:[0-9a-f]{16}$/);
    expect(images.pause).toMatch(/^flotilla\/pause:[0-9a-f]{16}$/);
    expect(images.base).toMatch(/^flotilla\/base:[0-9a-f]{16}$/);
    expect(images.hello).toEqual({ v1: 'flotilla/hello:1.0', v2: 'flotilla/hello:2.0' });
    const kinds: Record<string, string> = { [images.node]: 'node', [images.pause]: 'pause', [images.base]: 'base', [images.hello.v1]: 'hello', [images.hello.v2]: 'hello' };
    const sizes: string[] = [];
    for (const [tag, kind] of Object.entries(kinds)) {
      const info = await docker.getImage(tag).inspect();
      expect(info.Config.Labels?.[LABEL_KIND]).toBe(kind);
      expect(info.Config.Labels?.[LABEL_INPUTS_HASH]).toMatch(/^[0-9a-f]{16}$/);
      sizes.push(`${tag} ${(info.Size / 1e6).toFixed(1)} MB`);
    }
    expect(images.details.node.inputsHash).toBe((await docker.getImage(images.node).inspect()).Config.Labels?.[LABEL_INPUTS_HASH]);
    console.log(`image sizes: ${sizes.join('; ')}; base from ${JSON.stringify(images.details.base.source)}; pause ${images.details.pause.variant}`);
    // Every event names an image and a phase; a built image ends with 'done'.
    for (const e of firstEvents) expect(['cached', 'building', 'done']).toContain(e.phase);
    expect(firstEvents.some((e) => e.image === images.node && e.phase === 'done')).toBe(true);
  });

  it('finds everything cached the second time and builds nothing', async () => {
    // (How fast a cached start is belongs in bench/.)
    const events: ImageProgress[] = [];
    const again = await ensureImages(docker, { bundleFile, pull: false, onProgress: (e) => events.push(e) });
    expect(again.node).toBe(images.node);
    expect(again.pause).toBe(images.pause);
    expect(again.details.hello.v2.id).toBe(images.details.hello.v2.id);
    expect(events.filter((e) => e.phase !== 'cached')).toEqual([]);
    expect(events.map((e) => e.image).sort()).toEqual([images.base, images.hello.v1, images.hello.v2, images.node, images.pause].sort());
  });

  it('rebuilds only the node image when only the bundle changes', async () => {
    const changed = path.join(work, 'changed', 'agent.cjs');
    await rm(path.dirname(changed), { recursive: true, force: true });
    await mkdir(path.dirname(changed), { recursive: true });
    await writeFile(changed, "console.log('agent v2');\n");
    const events: ImageProgress[] = [];
    const next = await ensureImages(docker, { bundleFile: changed, pull: false, onProgress: (e) => events.push(e) });
    removeAfter.add(next.node);
    expect(next.node).not.toBe(images.node);
    const rebuilt = new Set(events.filter((e) => e.phase === 'done').map((e) => e.image));
    expect([...rebuilt]).toEqual([next.node]);
    const run = await runOnce(docker, next.node, [], { labels: TEST_LABEL });
    expect(run.stdout).toContain('agent v2');
  }, 120_000);

  it('has node, iptables, ip, nsenter, /pause and the agent bundle in the node image', async () => {
    const tools = await runOnce(docker, images.node, ['-c', 'node --version && iptables --version && ip -V && nsenter --version && /pause -v'], {
      entrypoint: ['/bin/sh'],
      labels: TEST_LABEL,
    });
    expect(tools.stderr).toBe('');
    expect(tools.exitCode).toBe(0);
    expect(tools.stdout).toMatch(/^v\d+\.\d+\.\d+$/m);
    expect(tools.stdout).toMatch(/iptables v1\.\d+/);
    expect(tools.stdout).toMatch(/ip utility, iproute2/);
    expect(tools.stdout).toMatch(/nsenter from util-linux/);
    if (images.details.pause.variant === 'static') expect(tools.stdout).toContain('flotilla-pause');
    // The default entry point runs the bundle, passing the container's arguments on.
    const agent = await runOnce(docker, images.node, ['--node-name', 'n1'], { labels: TEST_LABEL });
    expect(agent).toMatchObject({ exitCode: 0, stdout: 'agent ok --node-name n1\n' });
    const info = await docker.getImage(images.node).inspect();
    expect(info.Config.Env).toContain(`FLOTILLA_AGENT=${images.details.node.agentPath}`);
  }, 60_000);

  /** Whether host process `pid` has installed a handler for SIGTERM (Linux: SigCgt in /proc/<pid>/status). */
  function catchesTerm(pid: number): boolean {
    const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return !!m && (BigInt(`0x${m[1]}`) & (1n << BigInt(os.constants.signals.SIGTERM - 1))) !== 0n;
  }

  async function expectPauseBehaves(image: string): Promise<void> {
    const container = await start({ Image: image, HostConfig: { NetworkMode: 'none' } });
    // Its handler installed, it waits: still running, not exited on its own.
    await until('pause to handle SIGTERM', async () => catchesTerm((await container.inspect()).State.Pid));
    expect((await container.inspect()).State.Running).toBe(true);
    // SIGTERM, then SIGKILL after 10 s: status 0 (not 137) means SIGTERM ended it, so at once.
    await container.stop({ t: 10 });
    expect((await container.inspect()).State.ExitCode).toBe(0);
  }

  it.skipIf(skipWithout('gcc with a static libc (libc6-dev)', hasStaticCc))('builds a static pause that runs until stopped, then exits 0 on SIGTERM', async () => {
    expect(images.details.pause.variant).toBe('static');
    const info = await docker.getImage(images.pause).inspect();
    expect(info.Size).toBeLessThan(2_000_000);
    expect(info.Config.Entrypoint).toEqual(['/pause']);
    await expectPauseBehaves(images.pause);
  }, 30_000);

  it('reaps orphans re-parented to it, as a sandbox init must', async () => {
    // The node image has /pause and a shell; run /pause as PID 1 there and orphan a child.
    const container = await start({ Image: images.node, Entrypoint: ['/pause'], Cmd: [], HostConfig: { NetworkMode: 'none' } });
    const exec = async (cmd: string): Promise<string> => {
      const e = await container.exec({ Cmd: ['/bin/sh', '-c', cmd], AttachStdout: true, AttachStderr: true });
      const stream = await e.start({ hijack: true, stdin: false });
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      await new Promise((resolve) => stream.on('end', resolve));
      return demuxLogs(Buffer.concat(chunks)).stdout;
    };
    await exec('sleep 0.3 & exit 0');
    // The orphan ends; unreaped it would stay a zombie for good. Reaped, it is gone.
    const states = await until('the orphaned sleep reaped', async () => {
      const all = await exec('cat /proc/[0-9]*/stat 2>/dev/null');
      return /\(sleep\)/.test(all) ? undefined : all;
    });
    expect(states).toMatch(/^1 \(pause\) S /m);
    expect(states).not.toMatch(/\) Z /);
  }, 30_000);

  it('falls back to a shell pause on the base image without a C compiler', async () => {
    const cacheDir = path.join(work, 'cache-without-cc');
    const events: ImageProgress[] = [];
    const pause = await ensurePauseImage(docker, { cc: '/nonexistent/cc', cacheDir, pull: false, onProgress: (e) => events.push(e) });
    removeAfter.add(pause.tag);
    expect(pause.variant).toBe('shell');
    expect(pause.fallbackReason).toMatch(/\/nonexistent\/cc/);
    expect(pause.tag).not.toBe(images.pause);
    // The base came from the engine's cache, not from a second debootstrap.
    expect(events.filter((e) => e.kind === 'base' || e.kind === 'rootfs').every((e) => e.phase === 'cached')).toBe(true);
    await expectPauseBehaves(pause.tag);
  }, 120_000);

  it('serves hello on a project network: pod, node, version, readiness, fail and crash', async () => {
    const name = `flotilla-images-test-${process.pid}`;
    // internal: the network has no route off the machine; only its own containers talk.
    const network = await docker.createNetwork({ Name: name, Driver: 'bridge', Internal: true, Labels: TEST_LABEL, CheckDuplicate: true });
    const env = (pod: string): string[] => [`POD_NAME=${pod}`, 'NODE_NAME=node-a'];
    const v1 = await start({ Image: images.hello.v1, Env: env('hello-v1'), HostConfig: { NetworkMode: name } });
    const v2 = await start({ Image: images.hello.v2, Env: env('hello-v2'), HostConfig: { NetworkMode: name } });
    const ip = async (c: Docker.Container): Promise<string> => (await c.inspect()).NetworkSettings.Networks[name].IPAddress;
    const [ip1, ip2] = [await ip(v1), await ip(v2)];
    expect(ip1).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // A client container on the same network asks the questions.
    const script = `
      const get = async (url) => { for (let i = 0; ; i++) { try { const r = await fetch(url); return r.status + ' ' + (await r.text()).trim(); } catch (e) { if (i > 50) throw e; await new Promise((r) => setTimeout(r, 100)); } } };
      (async () => {
        const [a, b] = process.argv.slice(1);
        const out = {
          v1: await get('http://' + a + ':8080/'),
          v2: await get('http://' + b + ':8080/'),
          ready: await get('http://' + a + ':8080/readyz'),
          healthz: await get('http://' + a + ':8080/healthz'),
          fail: await get('http://' + a + ':8080/fail'),
          readyAfterFail: await get('http://' + a + ':8080/readyz'),
          healthAfterFail: await get('http://' + a + ':8080/healthz'),
          env: JSON.parse((await get('http://' + a + ':8080/env')).slice(4)),
          crash: await get('http://' + b + ':8080/crash'),
        };
        console.log(JSON.stringify(out));
      })().catch((e) => { console.error(e); process.exit(1); });`;
    const client = await docker.createContainer({
      Image: images.base,
      Cmd: ['node', '-e', script, ip1, ip2],
      Labels: TEST_LABEL,
      HostConfig: { NetworkMode: name },
    });
    await client.start();
    const { StatusCode } = (await client.wait()) as { StatusCode: number };
    const logs = demuxLogs((await client.logs({ stdout: true, stderr: true })) as unknown as Buffer);
    expect(logs.stderr).toBe('');
    expect(StatusCode).toBe(0);
    const out = JSON.parse(logs.stdout) as Record<string, string> & { env: Record<string, string> };
    expect(out.v1).toBe('200 Hello from hello-v1 on node-a (version 1.0)');
    expect(out.v2).toBe('200 Hello from hello-v2 on node-a (version 2.0)');
    expect(out.ready).toBe('200 ready');
    expect(out.healthz).toBe('200 ok');
    expect(out.fail).toBe('200 readiness now fails');
    expect(out.readyAfterFail).toMatch(/^503 /);
    expect(out.healthAfterFail).toBe('200 ok');
    expect(out.env).toMatchObject({ POD_NAME: 'hello-v1', NODE_NAME: 'node-a', HELLO_VERSION: '1.0', PORT: '8080' });
    expect(out.crash).toBe('200 crashing with exit status 1');

    // /crash really ends the process with status 1; SIGTERM ends hello with 0 (a SIGKILL at the
    // end of the 10 s grace period would show as 137).
    const crashed = (await v2.wait()) as { StatusCode: number };
    expect(crashed.StatusCode).toBe(1);
    await v1.stop({ t: 10 });
    expect((await v1.inspect()).State.ExitCode).toBe(0);
    await network.remove().catch(() => undefined);
  }, 60_000);
});
