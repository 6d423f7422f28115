import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type Docker from 'dockerode';
import { ensureBase } from './baseImage';
import { resolveContext } from './context';
import { buildImage } from './dockerOps';
import { ensureTagged } from './ensureTagged';
import { inputsHash, sha256 } from './hashing';
import { RECIPE_VERSION } from './paths';
import { tarContext } from './tarContext';
import type { BaseImage, EnsuredImage, ImageOptions, RecipeContext } from './types';

export const HELLO_REPO = 'flotilla/hello';
/** The versions built by default: two, so a rolling update has somewhere to go. */
export const HELLO_VERSIONS = ['1.0', '2.0'] as const;

/**
 * flotilla/hello:<version>: the sample app (resources/images/hello/server.js) on the base
 * image, reporting `version` on `/`. The tag is the version, so the inputs-hash label is what
 * tells a stale image (new server.js or base) from a current one.
 */
export async function ensureHello(ctx: RecipeContext, version: string, base?: BaseImage): Promise<EnsuredImage> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(version)) throw new Error(`"${version}" is not a valid image tag`);
  const baseImage = base ?? (await ensureBase(ctx));
  const dir = path.join(ctx.resourcesDir, 'hello');
  const [dockerfile, server] = await Promise.all([readFile(path.join(dir, 'Dockerfile'), 'utf8'), readFile(path.join(dir, 'server.js'))]);
  const hash = inputsHash({ recipe: RECIPE_VERSION, kind: 'hello', version, base: baseImage.tag, server: sha256(server), dockerfile: sha256(dockerfile) });
  const tag = `${HELLO_REPO}:${version}`;
  return ensureTagged(ctx, {
    kind: 'hello',
    tag,
    hash,
    build: (labels, reporter) =>
      buildImage(ctx.docker, {
        context: tarContext([
          { name: 'Dockerfile', content: dockerfile },
          { name: 'server.js', content: server },
        ]),
        tag,
        buildargs: { BASE_IMAGE: baseImage.tag, HELLO_VERSION: version },
        labels: { ...labels, 'flotilla.dev/hello-version': version },
        reporter,
      }),
  });
}

/** Public entry: ensures flotilla/hello:<version>. */
export function ensureHelloImage(docker: Docker, version: string, opts: ImageOptions = {}): Promise<EnsuredImage> {
  return ensureHello(resolveContext(docker, opts), version);
}
