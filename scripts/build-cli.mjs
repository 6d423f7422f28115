// Bundles the `flotilla` CLI (and with it the control plane) into one CommonJS file for Node, and
// the kubelet into a self-contained file that goes into the node image (no node_modules there).
import { build } from 'esbuild';

await build({
  entryPoints: ['src-main/cli/index.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Dependencies stay external for the CLI: they are installed in node_modules.
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

await build({
  entryPoints: ['src-main/node/main.ts'],
  outfile: 'dist/kubelet.cjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // dockerode's optional native helpers (ssh transport) are never used: nodes talk to the local socket.
  external: ['cpu-features', '*.node'],
  sourcemap: true,
  logLevel: 'warning',
});
