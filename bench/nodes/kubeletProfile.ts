
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
// bundle's source map (copied out of the image) with bench/lib/profile.ts writeRemapped, so it
// can summarise them.

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
