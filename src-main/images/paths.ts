import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Bump when a recipe changes in a way its input files do not show (e.g. this code's logic). */
export const RECIPE_VERSION = '1';

export const LABEL_INPUTS_HASH = 'flotilla.dev/inputs-hash';
export const LABEL_KIND = 'flotilla.dev/image';
export const LABEL_RECIPE = 'flotilla.dev/recipe-version';

/**
 * The user's cache folder for image inputs that are slow to make (rootfs tarballs) or need a
 * toolchain (the pause binary): $FLOTILLA_CACHE_DIR, else $XDG_CACHE_HOME/flotilla, else
 * ~/.cache/flotilla.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLOTILLA_CACHE_DIR) return path.resolve(env.FLOTILLA_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(xdg, 'flotilla');
}

/**
 * Finds resources/images: $FLOTILLA_RESOURCES_DIR, then up from this module (the source tree,
 * or out/main and dist/ when bundled), then up from the working directory, then Electron's
 * resources folder.
 */
export function defaultResourcesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLOTILLA_RESOURCES_DIR) return path.resolve(env.FLOTILLA_RESOURCES_DIR);
  const starts: string[] = [];
  if (typeof __dirname === 'string') starts.push(__dirname);
  starts.push(process.cwd());
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'resources', 'images');
      if (existsSync(path.join(candidate, 'hello', 'server.js'))) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  if (electronResources) {
    const candidate = path.join(electronResources, 'images');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(
    'cannot find the image recipes (resources/images): set FLOTILLA_RESOURCES_DIR or pass resourcesDir',
  );
}
