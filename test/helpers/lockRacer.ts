// One contender in a lock race (test/integration/cli-lock.test.ts), run as its own process with
// `node --import tsx`: waits for the start file, tries the lock once, prints the outcome as one
// JSON line, and if it won, holds the lock until the done file appears.
//   argv: <lock file> <start file> <done file>
import fs from 'node:fs';
import { tryLock } from '../../src-main/images/fileLock.js';

const [lockFile, startFile, doneFile] = process.argv.slice(2) as [string, string, string];
const tick = new Int32Array(new SharedArrayBuffer(4));
const waitFor = (file: string) => {
  while (!fs.existsSync(file)) Atomics.wait(tick, 0, 0, 1);
};

process.stdout.write('ready\n');
waitFor(startFile);
const r = tryLock(lockFile, 'race');
if ('release' in r) {
  process.stdout.write(`${JSON.stringify({ won: true, pid: process.pid })}\n`);
  waitFor(doneFile);
  r.release();
} else {
  process.stdout.write(`${JSON.stringify({ won: false, pid: process.pid, holder: r.holder.pid })}\n`);
}
