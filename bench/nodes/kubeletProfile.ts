import fs from 'node:fs';
import path from 'node:path';
import { SourceMap } from 'node:module';

// CPU profiles of the kubelets inside the node containers (BENCH_CPU_PROF=1).
//
// The node image runs `node --enable-source-maps /opt/flotilla/kubelet.cjs` and Node refuses
// --cpu-prof in NODE_OPTIONS, but it accepts --import there, with a data: URL. So the benchmark
// gives the node containers (through startControlPlane's nodeEnv) a NODE_OPTIONS whose --import
// module starts the V8 profiler in the kubelet's own main thread (inspector.Session, 1 ms
// sampling) before the bundle runs, and on SIGUSR2 (sent to the container: docker-init forwards
// it) writes the profile so far plus process.memoryUsage() and V8 heap statistics to
// <dir>/kubelet-<n>.cpuprofile / .mem.json and starts a new profile. One profile per benchmark
// phase. Positions in the bundle are mapped back to src-main/... and node_modules/... with the
// bundle's source map (copied out of the image), so bench/lib/profile.ts can summarise them.

export const PROFILE_DIR = '/tmp/flotilla-kubelet-prof';

export function profilerNodeOptions(dir = PROFILE_DIR): string {
  const code = [
    'import inspector from "node:inspector";',
    'import fs from "node:fs";',
    'import v8 from "node:v8";',
    `const dir = ${JSON.stringify(dir)};`,
    'fs.mkdirSync(dir, { recursive: true });',
    'const s = new inspector.Session();',
    's.connect();',
    'let n = 0;',
    'const start = () => s.post("Profiler.enable", () => s.post("Profiler.setSamplingInterval", { interval: 1000 }, () => s.post("Profiler.start")));',
    'start();',
    'process.on("SIGUSR2", () => {',
    '  s.post("Profiler.stop", (err, res) => {',
    '    const k = n++;',
    '    if (!err) fs.writeFileSync(`${dir}/kubelet-${k}.cpuprofile`, JSON.stringify(res.profile));',
    '    fs.writeFileSync(`${dir}/kubelet-${k}.mem.json`, JSON.stringify({ memory: process.memoryUsage(), heap: v8.getHeapStatistics(), spaces: v8.getHeapSpaceStatistics(), error: err ? String(err) : undefined }));',
    '    start();',
    '  });',
    '});',
  ].join('\n');
  return `--import=data:text/javascript,${encodeURIComponent(code)}`;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number; scriptId?: string };
  children?: number[];
}

/**
 * Rewrites the call frames of a profile that point into the bundle (url ending in
 * `bundleName`) to their original files (absolute paths under `root`) and lines. Returns the
 * number of frames mapped.
 */
export function remapProfile(profile: { nodes: ProfileNode[] }, sourceMap: unknown, bundleName: string, root: string): number {
  const sm = new SourceMap(sourceMap as ConstructorParameters<typeof SourceMap>[0]);
  const distDir = path.join(root, 'dist');
  let mapped = 0;
  for (const n of profile.nodes) {
    const f = n.callFrame;
    if (!f.url.endsWith(bundleName)) continue;
    const e = sm.findEntry(f.lineNumber, f.columnNumber) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (!e?.originalSource) continue;
    const src = e.originalSource.replace(/^file:\/\//, '');
    f.url = `file://${path.isAbsolute(src) ? src : path.resolve(distDir, src)}`;
    f.lineNumber = e.originalLine ?? 0;
    f.columnNumber = e.originalColumn ?? 0;
    mapped++;
  }
  return mapped;
}

export function writeRemapped(file: string, profileText: string, sourceMap: unknown, bundleName: string, root: string): { file: string; mapped: number } {
  const profile = JSON.parse(profileText) as { nodes: ProfileNode[] };
  const mapped = remapProfile(profile, sourceMap, bundleName, root);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(profile));
  return { file, mapped };
}
