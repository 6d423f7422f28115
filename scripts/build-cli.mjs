// Bundles the `flotilla` CLI (and with it the control plane) into one CommonJS file for Node.
// Dependencies stay external: they are installed in node_modules.
import { build } from 'esbuild';

await build({
  entryPoints: ['src-main/cli/index.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
