import fs from 'node:fs';
import path from 'node:path';

// The built renderer (out/renderer, made by `npm run build:app`) as files a browser may fetch.
// A URL path maps to a file inside that folder or to nothing: no dot segments, no encoded
// slashes or backslashes, no NUL, no way out through a symbolic link.

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup = { file: string; size: number } | { refused: string } | { missing: true };

/**
 * Resolves the path part of a request target (still percent-encoded) under `root`. Paths without
 * a file extension are the single-page app's own routes and get index.html.
 */
export function lookupStatic(root: string, rawPath: string): StaticLookup {
  if (!rawPath.startsWith('/')) return { refused: 'the path must start with /' };
  const segments: string[] = [];
  for (const raw of rawPath.slice(1).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      return { refused: 'bad percent-encoding' };
    }
    if (seg === '.' || seg === '..' || seg.includes('/') || seg.includes('\\') || seg.includes('\0')) return { refused: 'path segment not allowed' };
    if (seg !== '') segments.push(seg);
  }
  const last = segments[segments.length - 1];
  if (last === undefined || path.extname(last) === '') return statFile(root, ['index.html']);
  return statFile(root, segments);
}

function statFile(root: string, segments: string[]): StaticLookup {
  let realRoot: string;
  let real: string;
  try {
    realRoot = fs.realpathSync(root);
    real = fs.realpathSync(path.join(root, ...segments));
  } catch {
    return { missing: true };
  }
  if (!real.startsWith(realRoot + path.sep)) return { refused: 'outside the dashboard files' };
  try {
    const st = fs.statSync(real);
    return st.isFile() ? { file: real, size: st.size } : { missing: true };
  } catch {
    return { missing: true };
  }
}
