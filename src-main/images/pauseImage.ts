import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { ensureBase } from './baseImage';
import { resolveContext } from './context';
import { run } from './debootstrap';
import { buildImage } from './dockerOps';
import { ensureTagged } from './ensureTagged';
import { inputsHash, sha256 } from './hashing';
import { BuildReporter } from './progress';
import { RECIPE_VERSION } from './paths';
import { tarContext } from './tarContext';
import type { BaseImage, ImageOptions, PauseImage, PauseVariant, RecipeContext } from './types';

export const PAUSE_REPO = 'flotilla/pause';
export const PAUSE_CFLAGS = ['-static', '-Os', '-s', '-Wall'];

type ResolvedPause = PauseVariant & { sourceHash: string };

const resolved = new Map<string, Promise<ResolvedPause>>();

async function compilePause(ctx: RecipeContext): Promise<ResolvedPause> {
  const dir = path.join(ctx.resourcesDir, 'pause');
  const source = await readFile(path.join(dir, 'pause.c'));
  const sourceHash = inputsHash({ source: sha256(source), cflags: PAUSE_CFLAGS, arch: process.arch });
  const binary = path.join(ctx.cacheDir, `pause-${process.arch}-${sourceHash}`);
  if (existsSync(binary)) return { kind: 'static', binary, sourceHash };
  const partial = `${binary}.${process.pid}.partial`;
  // Told as a stage of the pause image, which is what the binary is for.
  const reporter = new BuildReporter(ctx.onProgress, PAUSE_REPO, 'pause');
  try {
    await mkdir(ctx.cacheDir, { recursive: true });
    await reporter.stage(`compiling pause.c (${ctx.cc} -static)`, async () => {
      await run(ctx.cc, [...PAUSE_CFLAGS, '-o', partial, path.join(dir, 'pause.c')], (line) => reporter.log(line));
      await run(partial, ['-v']); // a static binary that cannot even start is no pause
    });
    await rename(partial, binary);
    return { kind: 'static', binary, sourceHash };
  } catch (err) {
    await rm(partial, { force: true });
    const script = path.join(dir, 'pause.sh');
    const scriptHash = inputsHash({ script: sha256(await readFile(script)) });
    return { kind: 'shell', script, reason: `${ctx.cc} -static failed: ${(err as Error).message.split('\n')[0]}`, sourceHash: scriptHash };
  }
}

/**
 * The pause program: a static binary compiled once from resources/images/pause/pause.c with the
 * host's C compiler (kept in the cache folder), or, without a working `cc -static`, the shell
 * script beside it.
 */
export function resolvePause(ctx: RecipeContext): Promise<ResolvedPause> {
  const key = `${ctx.resourcesDir}\0${ctx.cacheDir}\0${ctx.cc}`;
  let job = resolved.get(key);
  if (!job) {
    job = compilePause(ctx);
    resolved.set(key, job);
    job.catch(() => resolved.delete(key));
  }
  return job;
}

/**
 * flotilla/pause:<hash>: the pod sandbox image. FROM scratch with the static binary; with the
 * shell fallback it has to be FROM the base image (it needs /bin/sh), so base is then required.
 */
export async function ensurePause(ctx: RecipeContext, base?: () => Promise<BaseImage>): Promise<PauseImage> {
  const pause = await resolvePause(ctx);
  const dir = path.join(ctx.resourcesDir, 'pause');
  if (pause.kind === 'static') {
    const dockerfile = await readFile(path.join(dir, 'Dockerfile'), 'utf8');
    const hash = inputsHash({ recipe: RECIPE_VERSION, kind: 'pause', variant: 'static', pause: pause.sourceHash, dockerfile: sha256(dockerfile) });
    const tag = `${PAUSE_REPO}:${hash}`;
    const image = await ensureTagged(ctx, {
      kind: 'pause',
      tag,
      hash,
      build: (labels, reporter) =>
        buildImage(ctx.docker, {
          context: tarContext([
            { name: 'Dockerfile', content: dockerfile },
            { name: 'pause', file: pause.binary, mode: 0o755 },
          ]),
          tag,
          labels: { ...labels, 'flotilla.dev/pause-variant': 'static' },
          reporter,
        }),
    });
    return { ...image, variant: 'static' };
  }
  const baseImage = await (base ?? (() => ensureBase(ctx)))();
  const dockerfile = await readFile(path.join(dir, 'Dockerfile.fallback'), 'utf8');
  const hash = inputsHash({ recipe: RECIPE_VERSION, kind: 'pause', variant: 'shell', pause: pause.sourceHash, base: baseImage.tag, dockerfile: sha256(dockerfile) });
  const tag = `${PAUSE_REPO}:${hash}`;
  const image = await ensureTagged(ctx, {
    kind: 'pause',
    tag,
    hash,
    build: (labels, reporter) => {
      reporter.note(`using the shell pause: ${pause.reason}`);
      return buildImage(ctx.docker, {
        context: tarContext([
          { name: 'Dockerfile', content: dockerfile },
          { name: 'pause', file: pause.script, mode: 0o755 },
        ]),
        tag,
        buildargs: { BASE_IMAGE: baseImage.tag },
        labels: { ...labels, 'flotilla.dev/pause-variant': 'shell' },
        reporter,
      });
    },
  });
  return { ...image, variant: 'shell', fallbackReason: pause.reason };
}

/** Public entry: ensures the pause image with the given options. */
export function ensurePauseImage(docker: Docker, opts: ImageOptions = {}): Promise<PauseImage> {
  return ensurePause(resolveContext(docker, opts));
}
