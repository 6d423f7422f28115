// The image recipes' logic without a Docker engine: hashing, tar contexts, the engine's progress
// streams, the lock, and which base path is taken, against a small in-memory fake of dockerode.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findLocalSlim, readPackages } from '../../src-main/images/baseImage';
import { resolveContext } from '../../src-main/images/context';
import { debianArch } from '../../src-main/images/debootstrap';
import { EngineStreamError, demuxLogs, followEngineStream } from '../../src-main/images/dockerOps';
import { withFileLock } from '../../src-main/images/fileLock';
import { canonicalJson, inputsHash } from '../../src-main/images/hashing';
import {
  type ImageProgress,
  LABEL_INPUTS_HASH,
  ensureBaseImage,
  ensureHelloImage,
  ensureNodeImage,
} from '../../src-main/images/index';
import { RECIPE_VERSION, defaultCacheDir } from '../../src-main/images/paths';
import { resolvePause } from '../../src-main/images/pauseImage';
import { ImageBuildProgress } from '../../src-main/cli/progress';
import { buildLogPath } from '../../src-main/cli/progressLog';
import { skipWithout } from '../helpers/requirements';
import { until } from '../helpers/wait';

const RESOURCES = path.resolve(__dirname, '../../resources/images');

interface TarEntry {
  name: string;
  mode: number;
  content: Buffer;
}

async function readTar(stream: NodeJS.ReadableStream): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  const extract = tar.extract();
  extract.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => {
      chunks.push(c as Buffer);
    });
    body.on('end', () => {
      entries.push({ name: header.name, mode: header.mode ?? 0, content: Buffer.concat(chunks) });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    extract.on('finish', resolve);
    extract.on('error', reject);
    stream.pipe(extract as unknown as NodeJS.WritableStream);
  });
  return entries;
}

function jsonLines(...messages: object[]): Readable {
  return Readable.from(messages.map((m) => `${JSON.stringify(m)}\r\n`));
}

function frame(kind: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

interface FakeImage {
  Id: string;
  Labels: Record<string, string>;
}

interface BuildCall {
  opts: { t: string; buildargs?: Record<string, string>; labels?: Record<string, string> };
  files: TarEntry[];
}

/** Just enough of dockerode for the recipes: images by tag, builds, imports, pulls, one-shot runs. */
class FakeDocker {
  images = new Map<string, FakeImage>();
  /** Every image by id, tagged or not: a re-tag leaves the old image behind, as in Docker. */
  byId = new Map<string, FakeImage>();
  builds: BuildCall[] = [];
  pulls: string[] = [];
  removed: string[] = [];
  pullWorks = false;
  failBuild: (call: BuildCall) => string | undefined = () => undefined;
  run: { exit: number; stdout: string; stderr: string } = { exit: 0, stdout: 'v20.0.0\n', stderr: '' };
  private next = 1;

  private newId(): string {
    return `sha256:${String(this.next++).padStart(64, '0')}`;
  }

  add(tag: string, labels: Record<string, string> = {}): FakeImage {
    const image = { Id: this.newId(), Labels: labels };
    this.images.set(tag, image);
    this.byId.set(image.Id, image);
    return image;
  }

  find(ref: string): FakeImage | undefined {
    return this.images.get(ref) ?? this.byId.get(ref);
  }

  getImage(ref: string) {
    return {
      inspect: async () => {
        const image = this.find(ref);
        if (!image) throw Object.assign(new Error(`no such image: ${ref}`), { statusCode: 404 });
        return { Id: image.Id, Size: 1000, Config: { Labels: image.Labels } };
      },
      remove: async () => {
        const image = this.find(ref);
        if (!image) throw Object.assign(new Error('no such image'), { statusCode: 404 });
        this.removed.push(image.Id);
        this.byId.delete(image.Id);
        for (const [tag, i] of this.images) if (i === image) this.images.delete(tag);
      },
    };
  }

  async listImages() {
    const byId = new Map<string, string[]>();
    for (const [tag, image] of this.images) byId.set(image.Id, [...(byId.get(image.Id) ?? []), tag]);
    return [...byId].map(([Id, RepoTags]) => ({ Id, RepoTags }));
  }

  async buildImage(context: NodeJS.ReadableStream, opts: BuildCall['opts']) {
    const call = { opts, files: await readTar(context) };
    this.builds.push(call);
    const failure = this.failBuild(call);
    if (failure) return jsonLines({ stream: 'Step 1/3 : FROM x\n' }, { errorDetail: { message: failure }, error: failure });
    const image = this.add(opts.t, opts.labels ?? {});
    return jsonLines({ stream: 'Step 1/1 : FROM x\n' }, { aux: { ID: image.Id } }, { stream: `Successfully tagged ${opts.t}\n` });
  }

  async importImage(file: NodeJS.ReadableStream, opts: { repo: string; tag: string }) {
    file.resume();
    this.add(`${opts.repo}:${opts.tag}`);
    return jsonLines({ status: 'sha256:abc' });
  }

  async pull(ref: string) {
    this.pulls.push(ref);
    if (!this.pullWorks) throw new Error('Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io: no such host');
    this.add(ref);
    return jsonLines({ status: 'Pulling from library/node' }, { status: 'Status: Downloaded newer image' });
  }

  async createContainer() {
    const run = this.run;
    return {
      start: async () => undefined,
      wait: async () => ({ StatusCode: run.exit }),
      logs: async () => Buffer.concat([frame(1, run.stdout), frame(2, run.stderr)]),
      remove: async () => undefined,
    };
  }
}

let tmp: string;
let fakeNode: string;
let bundle: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'flotilla-images-unit-'));
  fakeNode = path.join(tmp, 'node');
  await writeFile(fakeNode, '#!/bin/sh\necho v20.0.0\n', { mode: 0o755 });
  bundle = path.join(tmp, 'kubelet.cjs');
  await writeFile(bundle, 'console.log("kubelet")\n//# sourceMappingURL=kubelet.cjs.map\n');
  await writeFile(`${bundle}.map`, '{"version":3}');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('hashing', () => {
  it('is independent of key order and changes with any value', () => {
    expect(canonicalJson({ b: 1, a: [{ y: 2, x: 1 }] })).toBe('{"a":[{"x":1,"y":2}],"b":1}');
    expect(inputsHash({ a: 1, b: 2 })).toBe(inputsHash({ b: 2, a: 1 }));
    expect(inputsHash({ a: 1, b: 2 })).not.toBe(inputsHash({ a: 1, b: 3 }));
    expect(inputsHash({ a: 1 })).toMatch(/^[0-9a-f]{16}$/);
    expect(inputsHash({ a: 1, gone: undefined })).toBe(inputsHash({ a: 1 }));
  });
});

describe('defaults', () => {
  it('finds the cache folder from FLOTILLA_CACHE_DIR, XDG_CACHE_HOME or the home folder', () => {
    expect(defaultCacheDir({ FLOTILLA_CACHE_DIR: '/x/y' })).toBe('/x/y');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/c' })).toBe('/c/flotilla');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' })).toBe(path.join(os.homedir(), '.cache', 'flotilla'));
    expect(defaultCacheDir({})).toBe(path.join(os.homedir(), '.cache', 'flotilla'));
  });

  it('allows pulls unless FLOTILLA_OFFLINE or FLOTILLA_NO_PULL is set', () => {
    const docker = new FakeDocker() as unknown as Docker;
    expect(resolveContext(docker, { resourcesDir: RESOURCES }, {}).pull).toBe(true);
    expect(resolveContext(docker, { resourcesDir: RESOURCES }, { FLOTILLA_OFFLINE: '1' }).pull).toBe(false);
    expect(resolveContext(docker, { resourcesDir: RESOURCES }, { FLOTILLA_NO_PULL: 'true' }).pull).toBe(false);
    expect(resolveContext(docker, { resourcesDir: RESOURCES }, { FLOTILLA_OFFLINE: '0' }).pull).toBe(true);
    expect(resolveContext(docker, { resourcesDir: RESOURCES, pull: true }, { FLOTILLA_OFFLINE: '1' }).pull).toBe(true);
    const ctx = resolveContext(docker, {}, { FLOTILLA_RESOURCES_DIR: RESOURCES, CC: 'clang', FLOTILLA_DEBIAN_MIRROR: 'http://127.0.0.1/debian' });
    expect(ctx).toMatchObject({ resourcesDir: RESOURCES, cc: 'clang', debianMirror: 'http://127.0.0.1/debian' });
  });

  it('reads the package list without comments, sorted', async () => {
    const packages = await readPackages(RESOURCES);
    expect(packages).toEqual([...packages].sort());
    expect(packages).toEqual(expect.arrayContaining(['iptables', 'iproute2', 'ca-certificates', 'util-linux']));
    expect(packages.some((p) => p.includes('#') || p.includes(' '))).toBe(false);
  });

  it("maps Node's architecture names to Debian's", () => {
    expect(debianArch('x64')).toBe('amd64');
    expect(debianArch('arm64')).toBe('arm64');
    expect(() => debianArch('ia32')).toThrow(/no Debian architecture/);
  });
});

describe("the engine's progress streams", () => {
  it('reassembles JSON lines split across chunks and returns every message', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    const done = followEngineStream(stream, (m) => m.stream && lines.push(m.stream.trim()));
    stream.write('{"stream":"Step 1/2 : FR');
    stream.write('OM x\\n"}\r\n{"aux":{"ID":"sha256:1"}}\n');
    stream.end('{"stream":"Successfully built 1\\n"}');
    const messages = await done;
    expect(lines).toEqual(['Step 1/2 : FROM x', 'Successfully built 1']);
    expect(messages[1].aux?.ID).toBe('sha256:1');
  });

  it('turns an in-band error into a rejection with its message', async () => {
    const stream = jsonLines({ stream: 'Step 2/3 : RUN apt-get update\n' }, { errorDetail: { message: 'The command returned a non-zero code: 100' }, error: 'x' });
    await expect(followEngineStream(stream)).rejects.toThrow(new EngineStreamError('The command returned a non-zero code: 100'));
  });

  it('splits multiplexed container logs into stdout and stderr', () => {
    expect(demuxLogs(Buffer.concat([frame(1, 'a\n'), frame(2, 'oops\n'), frame(1, 'b\n')]))).toEqual({ stdout: 'a\nb\n', stderr: 'oops\n' });
    expect(demuxLogs(Buffer.alloc(0))).toEqual({ stdout: '', stderr: '' });
  });
});

describe('withFileLock', () => {
  it('lets one holder in at a time', async () => {
    const file = path.join(tmp, 'locks', 'one.lock');
    const order: string[] = [];
    // a holds the lock until the test lets it go; b comes while a holds it, finds it taken (and
    // says so), and gets in only after a has left.
    let letGo!: () => void;
    const gate = new Promise<void>((r) => (letGo = r));
    let aEntered!: () => void;
    const aIn = new Promise<void>((r) => (aEntered = r));
    const a = withFileLock(file, async () => {
      order.push('a+');
      aEntered();
      await gate;
      order.push('a-');
      return 'a';
    });
    await aIn;
    let bWaited!: (owner: string) => void;
    const bFoundItTaken = new Promise<string>((r) => (bWaited = r));
    const b = withFileLock(
      file,
      async () => {
        order.push('b+', 'b-');
        return 'b';
      },
      (owner) => bWaited(owner),
    );
    expect(await bFoundItTaken).toBe(String(process.pid));
    expect(order).toEqual(['a+']);
    letGo();
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(order.join(' ')).toBe('a+ a- b+ b-');
    await expect(stat(file)).rejects.toThrow();
  });

  it('takes over a lock whose process is gone, and releases on errors', async () => {
    const file = path.join(tmp, 'locks', 'stale.lock');
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, String(dead));
    await expect(withFileLock(file, async () => 'mine')).resolves.toBe('mine');
    await expect(withFileLock(file, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(withFileLock(file, async () => 'again')).resolves.toBe('again');
  });

  it('waits for a live holder, says so, and gives up after the timeout', async () => {
    const file = path.join(tmp, 'locks', 'live.lock');
    await writeFile(file, String(process.pid));
    const waits: string[] = [];
    await expect(withFileLock(file, async () => 'never', (owner) => waits.push(owner), 300)).rejects.toThrow(/timed out/);
    expect(waits).toEqual([String(process.pid)]);
    await rm(file);
  });
});

describe('choosing the base image', () => {
  let docker: FakeDocker;
  let events: ImageProgress[];
  let cacheDir: string;
  const options = (extra: object = {}) => ({
    resourcesDir: RESOURCES,
    cacheDir,
    nodeBinary: fakeNode,
    onProgress: (e: ImageProgress) => events.push(e),
    ...extra,
  });

  beforeEach(async () => {
    docker = new FakeDocker();
    events = [];
    cacheDir = await mkdtemp(path.join(tmp, 'cache-'));
  });

  it('picks the newest local node:*-slim of a supported major', async () => {
    docker.add('node:18-slim');
    docker.add('node:22');
    docker.add('node:20.11-bookworm-slim');
    const node22 = docker.add('node:22-slim');
    expect(await findLocalSlim(docker as unknown as Docker)).toEqual({ ref: 'node:22-slim', id: node22.Id });
    docker.images.delete('node:22-slim');
    expect((await findLocalSlim(docker as unknown as Docker))?.ref).toBe('node:20.11-bookworm-slim');
    docker.images.delete('node:20.11-bookworm-slim');
    expect(await findLocalSlim(docker as unknown as Docker)).toBeUndefined();
  });

  it('builds on a local node:*-slim with apt, without pulling', async () => {
    docker.add('node:22-slim');
    const base = await ensureBaseImage(docker as unknown as Docker, options());
    expect(base.source).toEqual({ kind: 'slim', image: 'node:22-slim' });
    expect(docker.pulls).toEqual([]);
    expect(docker.builds).toHaveLength(1);
    const build = docker.builds[0];
    expect(build.opts.buildargs).toMatchObject({ NODE_IMAGE: 'node:22-slim', PACKAGES: 'ca-certificates conntrack iproute2 iptables nginx util-linux' });
    expect(build.opts.labels?.[LABEL_INPUTS_HASH]).toBe(base.inputsHash);
    expect(build.files.map((f) => f.name)).toEqual(['Dockerfile']);
    expect(build.files[0].content.toString()).toContain('apt-get install');
    expect(base.tag).toBe(`flotilla/base:${base.inputsHash}`);
  });

  it('falls back to the offline path when apt fails inside the build', async () => {
    docker.add('node:22-slim');
    docker.failBuild = (call) => (call.opts.buildargs?.NODE_IMAGE ? 'The command returned a non-zero code: 100' : undefined);
    // Seed the debootstrap'd rootfs so no real debootstrap runs.
    const rootfsTag = await seedRootfs();
    const base = await ensureBaseImage(docker as unknown as Docker, options());
    expect(base.source).toMatchObject({ kind: 'offline', suite: 'bookworm', nodeBinary: fakeNode });
    expect(events.some((e) => /apt does not work inside a build/.test(e.message))).toBe(true);
    const offline = docker.builds[1];
    expect(offline.opts.buildargs).toEqual({ ROOTFS_IMAGE: rootfsTag });
    expect(offline.files.map((f) => [f.name, f.mode])).toEqual([
      ['Dockerfile', 0o644],
      ['node', 0o755],
    ]);
    expect(offline.files[1].content.toString()).toContain('echo v20.0.0');
  });

  /** Makes the fake engine already hold the offline rootfs image for this package list. */
  async function seedRootfs(): Promise<string> {
    const packages = await readPackages(RESOURCES);
    const hash = inputsHash({ recipe: RECIPE_VERSION, kind: 'rootfs', suite: 'bookworm', arch: debianArch(), packages });
    const tag = `flotilla/rootfs:${hash}`;
    docker.add(tag);
    return tag;
  }

  it('tries one pull when allowed and nothing is local, then goes offline', async () => {
    await seedRootfs();
    const base = await ensureBaseImage(docker as unknown as Docker, options({ pull: true }));
    expect(docker.pulls).toEqual(['node:22-slim']);
    expect(base.source.kind).toBe('offline');
    expect(events.some((e) => /cannot pull node:22-slim.*using the offline path/.test(e.message))).toBe(true);
    // Once the offline base exists it is used as is: no second pull, no build.
    events = [];
    const again = await ensureBaseImage(docker as unknown as Docker, options({ pull: true }));
    expect(again).toMatchObject({ tag: base.tag, cached: true });
    expect(docker.pulls).toEqual(['node:22-slim']);
    expect(events.map((e) => e.phase)).toEqual(['cached']);
  });

  it('does not pull when pulls are off', async () => {
    await seedRootfs();
    const base = await ensureBaseImage(docker as unknown as Docker, options({ pull: false }));
    expect(docker.pulls).toEqual([]);
    expect(base.source.kind).toBe('offline');
  });

  it('uses a pulled node:22-slim when the pull works', async () => {
    docker.pullWorks = true;
    const base = await ensureBaseImage(docker as unknown as Docker, options({ pull: true }));
    expect(base.source).toEqual({ kind: 'slim', image: 'node:22-slim' });
  });

  it('refuses a host node binary that does not run in the base, and removes the image', async () => {
    await seedRootfs();
    docker.run = { exit: 1, stdout: '', stderr: "node: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found" };
    await expect(ensureBaseImage(docker as unknown as Docker, options({ pull: false }))).rejects.toThrow(/does not run on Debian bookworm: .*GLIBC_2.38/);
    expect(docker.removed).toHaveLength(1);
    expect([...docker.images.keys()].some((t) => t.startsWith('flotilla/base:'))).toBe(false);
  });

  it('explains what is missing when neither path can work', async () => {
    await expect(ensureBaseImage(docker as unknown as Docker, options({ pull: false, nodeBinary: path.join(tmp, 'no-such-node') }))).rejects.toThrow(
      /cannot make the node base image: pulling is turned off, and offline: .*no-such-node/,
    );
  });
});

describe('node and hello images', () => {
  let docker: FakeDocker;
  let cacheDir: string;
  let resourcesDir: string;

  beforeEach(async () => {
    docker = new FakeDocker();
    docker.add('node:22-slim');
    cacheDir = await mkdtemp(path.join(tmp, 'cache-'));
    resourcesDir = path.join(await mkdtemp(path.join(tmp, 'res-')), 'images');
    await cp(RESOURCES, resourcesDir, { recursive: true });
  });

  it('puts the bundle, its source map and /pause into the node image and runs the bundle', async () => {
    const node = await ensureNodeImage(docker as unknown as Docker, { bundleFile: bundle, resourcesDir, cacheDir, cc: '/nonexistent/cc' });
    expect(node.agentPath).toBe('/opt/flotilla/kubelet.cjs');
    const build = docker.builds.find((b) => b.opts.t === node.tag);
    expect(build?.opts.labels).toMatchObject({ 'flotilla.dev/agent': '/opt/flotilla/kubelet.cjs', 'flotilla.dev/pause-variant': 'shell' });
    const files = Object.fromEntries(build!.files.map((f) => [f.name, f]));
    expect(Object.keys(files).sort()).toEqual(['Dockerfile', 'agent/kubelet.cjs', 'agent/kubelet.cjs.map', 'pause']);
    expect(files.pause.mode).toBe(0o755);
    expect(files.Dockerfile.content.toString()).toContain('ENTRYPOINT ["/usr/local/bin/node", "--enable-source-maps", "/opt/flotilla/kubelet.cjs"]');
    expect(files.Dockerfile.content.toString()).not.toContain('@AGENT@');
  });

  it('rebuilds the node image only when the bundle changes', async () => {
    const opts = { bundleFile: bundle, resourcesDir, cacheDir, cc: '/nonexistent/cc' };
    const first = await ensureNodeImage(docker as unknown as Docker, opts);
    const builds = docker.builds.length;
    const second = await ensureNodeImage(docker as unknown as Docker, opts);
    expect(second).toMatchObject({ tag: first.tag, cached: true });
    expect(docker.builds.length).toBe(builds);
    const other = path.join(tmp, 'other', 'kubelet.cjs');
    await mkdir(path.dirname(other), { recursive: true });
    await writeFile(other, 'console.log("kubelet 2")\n');
    const third = await ensureNodeImage(docker as unknown as Docker, { ...opts, bundleFile: other });
    expect(third.tag).not.toBe(first.tag);
    expect(docker.builds.length).toBe(builds + 1);
  });

  it('says clearly when the bundle is missing', async () => {
    await expect(
      ensureNodeImage(docker as unknown as Docker, { bundleFile: path.join(tmp, 'missing.cjs'), resourcesDir, cacheDir, cc: '/nonexistent/cc' }),
    ).rejects.toThrow(/missing\.cjs does not exist: build it first/);
  });

  it('tags hello by version, and rebuilds a version when server.js changes', async () => {
    const v1 = await ensureHelloImage(docker as unknown as Docker, '1.0', { resourcesDir, cacheDir });
    expect(v1).toMatchObject({ tag: 'flotilla/hello:1.0', cached: false });
    const build = docker.builds.find((b) => b.opts.t === 'flotilla/hello:1.0');
    expect(build?.opts.buildargs).toMatchObject({ HELLO_VERSION: '1.0' });
    expect(build?.opts.labels).toMatchObject({ 'flotilla.dev/hello-version': '1.0', 'flotilla.dev/image': 'hello' });
    expect((await ensureHelloImage(docker as unknown as Docker, '1.0', { resourcesDir, cacheDir })).cached).toBe(true);
    const v2 = await ensureHelloImage(docker as unknown as Docker, '2.0', { resourcesDir, cacheDir });
    expect(v2.inputsHash).not.toBe(v1.inputsHash);

    const server = path.join(resourcesDir, 'hello', 'server.js');
    await writeFile(server, `${await readFile(server, 'utf8')}\n// changed\n`);
    const events: ImageProgress[] = [];
    const rebuilt = await ensureHelloImage(docker as unknown as Docker, '1.0', { resourcesDir, cacheDir, onProgress: (e) => events.push(e) });
    expect(rebuilt.cached).toBe(false);
    expect(rebuilt.id).not.toBe(v1.id);
    expect(docker.removed).toContain(v1.id);
    expect(events.find((e) => e.kind === 'hello' && e.phase === 'building')?.message).toMatch(/rebuilding flotilla\/hello:1.0: its inputs changed/);
    await expect(ensureHelloImage(docker as unknown as Docker, 'bad tag', { resourcesDir, cacheDir })).rejects.toThrow(/not a valid image tag/);
  });
});

describe('a failing build, as flotilla up shows it', () => {
  it('marks the stage failed and prints where the full build log is, which holds the output and the error', async () => {
    const docker = new FakeDocker();
    docker.add('node:22-slim');
    docker.failBuild = (call) => (call.opts.t === 'flotilla/hello:1.0' ? 'The command returned a non-zero code: 1' : undefined);
    const cacheDir = await mkdtemp(path.join(tmp, 'cache-'));
    const logFile = buildLogPath(path.join(tmp, 'data-failing'));
    let screen = '';
    const view = new ImageBuildProgress({ out: { write: (t: string) => (screen += t), isTTY: false }, logFile, env: {}, autoTick: false });
    const err = (await ensureHelloImage(docker as unknown as Docker, '1.0', { resourcesDir: RESOURCES, cacheDir, onProgress: view.onImageProgress }).catch((e: Error) => e)) as Error;
    expect(err.message).toBe('The command returned a non-zero code: 1');
    expect(view.failed(err)).toBe(true);
    view.close();
    expect(screen).toMatch(/^✓ base +built flotilla\/base:[0-9a-f]{16} in /m);
    expect(screen).toMatch(/^✗ hello:1\.0 docker build 1\/3 \(33%\) {2}0:00$/m);
    expect(screen).toContain(`The image build failed. Full build log: ${logFile}\n`);
    expect(screen).not.toContain('Step 1/3'); // raw output stays in the log
    const log = await readFile(logFile, 'utf8');
    expect(log).toContain('hello:1.0 | Step 1/3 : FROM x');
    expect(log).toContain('hello:1.0 | ERROR: The command returned a non-zero code: 1');
    expect(log).toMatch(/failed: The command returned a non-zero code: 1\n$/);
  });
});

const hasCc = spawnSync('gcc', ['--version']).status === 0;

/** Whether process `pid` has installed a handler for signal `signo` (Linux: SigCgt in /proc/<pid>/status). */
function catches(pid: number, signo: number): boolean {
  const m = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return !!m && (BigInt(`0x${m[1]}`) & (1n << BigInt(signo - 1))) !== 0n;
}

/** Starts a pause and waits until it handles SIGTERM (before that, SIGTERM would just kill it). */
async function startPause(command: string, args: string[]) {
  const child = spawn(command, args, { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  await until('the pause to handle SIGTERM', () => catches(child.pid!, os.constants.signals.SIGTERM));
  return { child, exited };
}

describe('the pause program', () => {
  // Under CI a missing compiler fails here: it would otherwise silently leave only the fallback tested.
  it.skipIf(skipWithout('a C compiler (gcc)', hasCc))('compiles a static pause once, then uses the cached binary', async () => {
    const cacheDir = await mkdtemp(path.join(tmp, 'pause-'));
    const ctx = resolveContext(new FakeDocker() as unknown as Docker, { resourcesDir: RESOURCES, cacheDir, cc: 'gcc' });
    const pause = await resolvePause(ctx);
    expect(pause.kind).toBe('static');
    if (pause.kind !== 'static') return;
    expect(spawnSync(pause.binary, ['-v']).stdout.toString()).toBe('flotilla-pause 1.1\n');
    // SIGTERM ends it with status 0 (otherwise it waits forever).
    const { child, exited } = await startPause(pause.binary, []);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // A new context (another process, say) finds the binary in the cache and does not compile.
    const again = await resolvePause({ ...ctx, cc: '/nonexistent/cc' });
    expect(again).toMatchObject({ kind: 'static', binary: pause.binary });
  });

  it('falls back to the shell pause without a compiler, and that pause also stops on SIGTERM', async () => {
    const cacheDir = await mkdtemp(path.join(tmp, 'pause-'));
    const pause = await resolvePause(resolveContext(new FakeDocker() as unknown as Docker, { resourcesDir: RESOURCES, cacheDir, cc: '/nonexistent/cc' }));
    expect(pause.kind).toBe('shell');
    if (pause.kind !== 'shell') return;
    expect(pause.reason).toMatch(/^\/nonexistent\/cc -static failed/);
    // It waits in a sleep of 68 years: exiting at all means the trap ran at once, not after it.
    const { child, exited } = await startPause('/bin/sh', [pause.script]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
