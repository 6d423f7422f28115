import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { lookupStatic } from '../../src-main/dashboard/staticFiles.js';
import { cookieValue, hostAllowed, originAllowed, secretMatches } from '../../src-main/dashboard/access.js';

// The headless dashboard's pure checks under arbitrary input: never a throw, never a file outside
// the build folder, never access without the exact secret.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-static-'));
const root = path.join(dir, 'renderer');
fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
fs.writeFileSync(path.join(root, 'index.html'), 'page');
fs.writeFileSync(path.join(root, 'assets', 'a.js'), 'js');
fs.writeFileSync(path.join(dir, 'outside.txt'), 'secret');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const segment = fc.oneof(
  fc.constantFrom('..', '.', '', 'assets', 'a.js', 'index.html', 'outside.txt', '%2e%2e', '%2E%2e', '..%2f', '%5c..', '%00', '%', '%zz', 'renderer', '..\\..'),
  fc.string(),
);
const hostilePath = fc.array(segment, { maxLength: 8 }).map((segs) => `/${segs.join('/')}`);

describe('static lookup', () => {
  it('never throws and never resolves outside the build folder', () => {
    const realRoot = fs.realpathSync(root);
    fc.assert(
      fc.property(fc.oneof(hostilePath, fc.string()), (p) => {
        const r = lookupStatic(root, p);
        if ('file' in r) expect(r.file.startsWith(realRoot + path.sep), p).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('serves the build, the app routes as index.html', () => {
    expect(lookupStatic(root, '/assets/a.js')).toMatchObject({ file: fs.realpathSync(path.join(root, 'assets', 'a.js')) });
    expect(lookupStatic(root, '/')).toMatchObject({ file: fs.realpathSync(path.join(root, 'index.html')) });
    expect(lookupStatic(root, '/pods/default/web-1')).toMatchObject({ file: fs.realpathSync(path.join(root, 'index.html')) });
    expect(lookupStatic(root, '/../outside.txt')).toHaveProperty('refused');
  });
});

describe('access checks', () => {
  it('never throw, and only the exact secret matches', () => {
    const secret = 'k3Y-secret_value';
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 1, max: 65535 }), (s, header, port) => {
        expect(secretMatches(secret, s)).toBe(s === secret);
        cookieValue(header, 'flotilla_ui_1');
        expect(hostAllowed(header, port)).toBe(header.toLowerCase() === `127.0.0.1:${port}` || header.toLowerCase() === `localhost:${port}`);
        originAllowed(header, `127.0.0.1:${port}`);
      }),
      { numRuns: 2000 },
    );
    expect(cookieValue(`a=1; flotilla_ui_1=${secret}; b=2`, 'flotilla_ui_1')).toBe(secret);
    expect(secretMatches(secret, undefined)).toBe(false);
  });
});
