#!/usr/bin/env node
// `npm start`: the desktop window. Electron's binary is not downloaded at install time (its install
// script is not allowed in package.json, so `npm install` works where the download cannot), so the
// first start fetches it with Electron's own installer and says plainly what to do when it cannot.
// The CLI and the headless dashboard (`npx flotilla up`) never need it.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const electronDir = path.dirname(require.resolve('electron/package.json'));

function binaryPresent() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!fs.existsSync(pathFile)) return false;
  return fs.existsSync(path.join(electronDir, 'dist', fs.readFileSync(pathFile, 'utf8')));
}

if (!binaryPresent()) {
  process.stdout.write('First start of the desktop window: downloading Electron (about 100 MB, once)...\n');
  const env = { ...process.env };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const r = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { stdio: 'inherit', env });
  if (r.status !== 0 || !binaryPresent()) {
    process.stderr.write(
      [
        '',
        'flotilla: the desktop window needs the Electron binary, which could not be downloaded here.',
        '  Everything else works without it: run `npx flotilla up` and open the dashboard URL it prints in your browser.',
        '  To get the window, allow downloads from github.com (or set ELECTRON_MIRROR to a mirror you can reach)',
        '  and run `npm start` again.',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
}

const child = spawn(process.execPath, [require.resolve('electron-vite/bin/electron-vite.js'), 'preview', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 0)));
