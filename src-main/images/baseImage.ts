import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { resolveContext } from './context';
import { DEBIAN_SUITE, debianArch, ensureRootfsTarball } from './debootstrap';
import { EngineStreamError, buildImage, importTarball, inspectImage, runOnce, tryPull } from './dockerOps';
import { ensureTagged } from './ensureTagged';
import { inputsHash, sha256, sha256File } from './hashing';
import { hostNodeBinary } from './nodeBinary';
import { RECIPE_VERSION } from './paths';
import { BuildReporter } from './progress';
import { tarContext } from './tarContext';
import type { BaseImage, ImageOptions, RecipeContext } from './types';

export const BASE_REPO = 'flotilla/base';
export const ROOTFS_REPO = 'flotilla/rootfs';
/** What a pull asks for when no node:*-slim image is local. */
export const PULL_CANDIDATE = 'node:22-slim';
const MIN_NODE_MAJOR = 20;

/** The Debian package list of the base (resources/images/base/packages.txt). */
export async function readPackages(resourcesDir: string): Promise<string[]> {
  const text = await readFile(path.join(resourcesDir, 'base', 'packages.txt'), 'utf8');
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .sort();
}

/** The newest official node:<major>[-<distro>]-slim image the engine already has, if any. */
export async function findLocalSlim(docker: Docker): Promise<{ ref: string; id: string } | undefined> {
  const images = await docker.listImages({ filters: { reference: ['node'] } });
  let best: { ref: string; id: string; major: number } | undefined;
  for (const image of images) {
    for (const ref of image.RepoTags ?? []) {
      const m = /^node:(\d+)(?:\.\d+)*-(?:[a-z]+-)?slim$/.exec(ref);
      if (!m) continue;
      const major = Number(m[1]);
      if (major >= MIN_NODE_MAJOR && (!best || major > best.major)) best = { ref, id: image.Id, major };
    }
  }
  return best && { ref: best.ref, id: best.id };
}

async function fromSlim(ctx: RecipeContext, packages: string[], slim: { ref: string; id: string }): Promise<BaseImage | undefined> {
  const dockerfile = await readFile(path.join(ctx.resourcesDir, 'base', 'Dockerfile.slim'), 'utf8');
  const hash = inputsHash({ recipe: RECIPE_VERSION, kind: 'base', source: 'slim', image: slim.id, packages, dockerfile: sha256(dockerfile) });
  const tag = `${BASE_REPO}:${hash}`;
  try {
    const image = await ensureTagged(ctx, {
      kind: 'base',
      tag,
      hash,
      build: (labels, reporter) => {
        reporter.note(`building on ${slim.ref}: apt-get install ${packages.join(' ')}`);
        return buildImage(ctx.docker, {
          context: tarContext([{ name: 'Dockerfile', content: dockerfile }]),
          tag,
          buildargs: { NODE_IMAGE: slim.ref, PACKAGES: packages.join(' ') },
          labels: { ...labels, 'flotilla.dev/base-source': slim.ref },
          reporter,
        });
      },
    });
    return { ...image, source: { kind: 'slim', image: slim.ref } };
  } catch (err) {
    if (!(err instanceof EngineStreamError)) throw err;
    ctx.onProgress({ image: tag, kind: 'base', phase: 'building', message: `apt does not work inside a build here (${err.message.split('\n')[0]}); using the offline path` });
    return undefined;
  }
}

interface OfflinePlan {
  tag: string;
  hash: string;
  rootfsHash: string;
  arch: string;
  nodeBinary: string;
  dockerfile: string;
}

async function planOffline(ctx: RecipeContext, packages: string[]): Promise<OfflinePlan> {
  const arch = debianArch();
  const nodeBinary = await hostNodeBinary(ctx.nodeBinary);
  const dockerfile = await readFile(path.join(ctx.resourcesDir, 'base', 'Dockerfile.offline'), 'utf8');
  const rootfsHash = inputsHash({ recipe: RECIPE_VERSION, kind: 'rootfs', suite: DEBIAN_SUITE, arch, packages });
  const hash = inputsHash({ recipe: RECIPE_VERSION, kind: 'base', source: 'offline', rootfsHash, node: await sha256File(nodeBinary), dockerfile: sha256(dockerfile) });
  return { tag: `${BASE_REPO}:${hash}`, hash, rootfsHash, arch, nodeBinary, dockerfile };
}

async function ensureRootfsImage(ctx: RecipeContext, plan: OfflinePlan, packages: string[]): Promise<string> {
  const tag = `${ROOTFS_REPO}:${plan.rootfsHash}`;
  if (await inspectImage(ctx.docker, tag)) return tag;
  const reporter = new BuildReporter(ctx.onProgress, tag, 'rootfs');
  reporter.note(`assembling a Debian ${DEBIAN_SUITE} root filesystem (debootstrap; cached in ${ctx.cacheDir})`);
  const tarball = await ensureRootfsTarball({
    cacheDir: ctx.cacheDir,
    hash: plan.rootfsHash,
    suite: DEBIAN_SUITE,
    arch: plan.arch,
    packages,
    mirror: ctx.debianMirror,
    reporter,
  });
  reporter.log(`importing ${tarball}`);
  await importTarball(ctx.docker, tarball, ROOTFS_REPO, plan.rootfsHash, reporter);
  ctx.onProgress({ image: tag, kind: 'rootfs', phase: 'done', message: `imported ${tag}` });
  return tag;
}

async function offline(ctx: RecipeContext, packages: string[], plan: OfflinePlan): Promise<BaseImage> {
  const image = await ensureTagged(ctx, {
    kind: 'base',
    tag: plan.tag,
    hash: plan.hash,
    build: async (labels, reporter) => {
      const rootfs = await ensureRootfsImage(ctx, plan, packages);
      reporter.log(`adding ${plan.nodeBinary} (Node.js ${process.version}) to ${rootfs}`);
      const id = await buildImage(ctx.docker, {
        context: tarContext([
          { name: 'Dockerfile', content: plan.dockerfile },
          { name: 'node', file: plan.nodeBinary, mode: 0o755 },
        ]),
        tag: plan.tag,
        buildargs: { ROOTFS_IMAGE: rootfs },
        labels: { ...labels, 'flotilla.dev/base-source': `debootstrap ${DEBIAN_SUITE} + host node` },
        reporter,
      });
      // A host binary linked against a newer glibc than Debian's would fail only at run time.
      const check = await reporter.stage('checking that node runs in it', () => runOnce(ctx.docker, plan.tag, ['node', '--version']));
      if (check.exitCode !== 0) {
        await ctx.docker.getImage(id).remove({ force: true }).catch(() => undefined);
        throw new Error(`${plan.nodeBinary} does not run on Debian ${DEBIAN_SUITE}: ${check.stderr.trim() || check.stdout.trim()}`);
      }
      return id;
    },
  });
  return { ...image, source: { kind: 'offline', suite: DEBIAN_SUITE, nodeBinary: plan.nodeBinary } };
}

/**
 * flotilla/base:<hash>: Debian + Node.js + iptables, iproute2, ca-certificates, nsenter.
 * In order: a node:*-slim the engine already has; an offline base built before; a pulled
 * node:*-slim (when pulls are allowed); an offline base built now (debootstrap + host node).
 */
export async function ensureBase(ctx: RecipeContext): Promise<BaseImage> {
  const packages = await readPackages(ctx.resourcesDir);
  const local = await findLocalSlim(ctx.docker);
  if (local) {
    const built = await fromSlim(ctx, packages, local);
    if (built) return built;
  }
  let plan: OfflinePlan | undefined;
  let offlineProblem: Error | undefined;
  try {
    plan = await planOffline(ctx, packages);
    const existing = await inspectImage(ctx.docker, plan.tag);
    if (existing) return offline(ctx, packages, plan);
  } catch (err) {
    offlineProblem = err as Error;
  }
  let pullProblem = 'pulling is turned off';
  if (ctx.pull && !local) {
    const reporter = new BuildReporter(ctx.onProgress, PULL_CANDIDATE, 'base');
    reporter.note(`trying to pull ${PULL_CANDIDATE}`);
    const pulled = await tryPull(ctx.docker, PULL_CANDIDATE, ctx.pullTimeoutMs, reporter);
    if (pulled.ok) {
      const slim = await findLocalSlim(ctx.docker);
      const built = slim && (await fromSlim(ctx, packages, slim));
      if (built) return built;
      pullProblem = `apt failed on ${PULL_CANDIDATE}`;
    } else {
      pullProblem = `cannot pull ${PULL_CANDIDATE}: ${pulled.error}`;
      reporter.note(`${pullProblem}; using the offline path`);
    }
  }
  if (!plan) {
    throw new Error(`cannot make the node base image: ${pullProblem}, and offline: ${offlineProblem?.message ?? 'unknown error'}`);
  }
  return offline(ctx, packages, plan);
}

/** Public entry: ensures the base image with the given options. */
export function ensureBaseImage(docker: Docker, opts: ImageOptions = {}): Promise<BaseImage> {
  return ensureBase(resolveContext(docker, opts));
}
