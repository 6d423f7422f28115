// Child process of the benchmarks that run the shipped CLI (bench/api, bench/nodes, bench/soak):
// runs dist/cli.cjs (from scripts/build-cli.mjs) in this process with this process's arguments
// (`up --data DIR --port 0 --cluster <unique> ...`), exactly as `npx flotilla` runs it.
// bench/lib/probe.cjs answers the benchmark's commands on stdin (event loop and GC probe, CPU
// profile, memory); it does nothing until asked.
//
// When stdin closes while the CLI still runs, the benchmark process is gone without having
// stopped it (killed, crashed): then a detached `flotilla down --data DIR` is started, which
// stops this control plane (the data folder's lock names this process) and removes its Docker
// objects and its data, then the benchmark's temp folder around DIR if that is left empty
// (flotilla-bench-*), so that even a benchmark killed with SIGKILL leaves nothing behind.
const path = require('node:path');
const { spawn } = require('node:child_process');
const { serve } = require('../lib/probe.cjs');

const cli = path.resolve(__dirname, '..', '..', 'dist', 'cli.cjs');
const dataAt = process.argv.indexOf('--data');
const dataDir = dataAt > 0 ? process.argv[dataAt + 1] : undefined;

let orphaned = false;
const onOrphaned = () => {
  if (orphaned) return;
  orphaned = true;
  if (!dataDir) {
    process.kill(process.pid, 'SIGTERM'); // the CLI's own graceful stop
    return;
  }
  const script = [
    "const { execFileSync } = require('node:child_process');",
    "const fs = require('node:fs');",
    "const path = require('node:path');",
    'const [cli, dir] = process.argv.slice(1);',
    "try { execFileSync(process.execPath, [cli, 'down', '--data', dir], { stdio: 'ignore', timeout: 120000 }); } catch {}",
    "const parent = path.dirname(dir);",
    "if (path.basename(parent).startsWith('flotilla-bench-')) try { fs.rmdirSync(parent); } catch {}",
  ].join('\n');
  const down = spawn(process.execPath, ['-e', script, cli, dataDir], { detached: true, stdio: 'ignore' });
  down.on('error', () => process.kill(process.pid, 'SIGTERM'));
  down.unref();
};
serve({}, onOrphaned);
process.stdin.resume();
require(cli);
