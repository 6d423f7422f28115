import type Docker from 'dockerode';
import { DEFAULT_DEBIAN_MIRROR } from './debootstrap';
import { defaultCacheDir, defaultResourcesDir } from './paths';
import type { ImageOptions, RecipeContext } from './types';

function envFlag(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/** Fills in every default once, so the recipes see one plain object. */
export function resolveContext(docker: Docker, opts: ImageOptions = {}, env: NodeJS.ProcessEnv = process.env): RecipeContext {
  return {
    docker,
    onProgress: opts.onProgress ?? (() => undefined),
    pull: opts.pull ?? !(envFlag(env.FLOTILLA_OFFLINE) || envFlag(env.FLOTILLA_NO_PULL)),
    pullTimeoutMs: opts.pullTimeoutMs ?? 60_000,
    nodeBinary: opts.nodeBinary ?? env.FLOTILLA_NODE_BINARY,
    cacheDir: opts.cacheDir ?? defaultCacheDir(env),
    resourcesDir: opts.resourcesDir ?? defaultResourcesDir(env),
    debianMirror: opts.debianMirror ?? env.FLOTILLA_DEBIAN_MIRROR ?? DEFAULT_DEBIAN_MIRROR,
    cc: opts.cc ?? env.CC ?? 'gcc',
  };
}
