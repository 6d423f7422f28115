import fs from 'node:fs';
import path from 'node:path';

// Where the app's own files are when this code runs from the source tree (tests, tsx), from
// dist/cli.cjs (`flotilla`) or from out/main (Electron): the folder whose package.json is ours.

const PACKAGE_NAME = 'flotilla';

export function findAppRoot(): string | undefined {
  const starts = [...(typeof __dirname === 'string' ? [__dirname] : []), process.cwd()];
  for (const start of starts) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
        if (pkg.name === PACKAGE_NAME) return dir;
      } catch {
        // no package.json here, or not JSON: keep climbing
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return undefined;
}

/** The built renderer (`npm run build:app` writes it), whether or not it has been built yet. */
export function defaultRendererDir(): string {
  return path.join(findAppRoot() ?? process.cwd(), 'out', 'renderer');
}

/** The app's version from its package.json, as Electron's app.getVersion() reads it. */
export function appVersion(): string {
  const root = findAppRoot();
  if (!root) return '0.0.0';
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}
