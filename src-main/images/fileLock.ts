import { mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

const STALE_AFTER_MS = 30 * 60 * 1000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs fn while holding an exclusive lock file, so two processes (two test workers, the app
 * and the CLI) never debootstrap into the same folder or build the same tag at once. A lock
 * whose owner is gone, or that is older than half an hour, is taken over.
 */
export async function withFileLock<T>(
  file: string,
  fn: () => Promise<T>,
  onWait?: (owner: string) => void,
  timeoutMs = 20 * 60 * 1000,
): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = (await readFile(file, 'utf8').catch(() => '')).trim();
    const pid = Number(owner);
    const age = await stat(file).then((s) => Date.now() - s.mtimeMs, () => 0);
    if ((owner !== '' && (!Number.isInteger(pid) || pid <= 0 || !alive(pid))) || age > STALE_AFTER_MS) {
      await unlink(file).catch(() => undefined);
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file} (held by process ${owner || '?'})`);
    if (!told) {
      onWait?.(owner);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => undefined);
  }
}
