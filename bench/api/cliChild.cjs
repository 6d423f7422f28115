// Child process of bench/api/run.ts: runs the built CLI (dist/cli.cjs, from scripts/build-cli.mjs)
// in this process with this process's arguments (`up --data ... --port 0 --no-ui`), and sends
// itself SIGTERM when stdin closes, so that the CLI's own graceful stop also runs when the
// benchmark process dies without stopping it.
const path = require('node:path');

const stop = () => process.kill(process.pid, 'SIGTERM');
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
require(path.resolve(__dirname, '..', '..', 'dist', 'cli.cjs'));
