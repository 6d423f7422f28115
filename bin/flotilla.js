#!/usr/bin/env node
// The CLI is bundled by `npm run build` (scripts/build-cli.mjs) into dist/cli.cjs.
try {
  require('../dist/cli.cjs');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/cli.cjs')) {
    process.stderr.write('flotilla: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw e;
}
