import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';

// A small image for kubelet tests, made from this machine's own binaries (node, dash and a few
// coreutils with their shared libraries) and imported with `docker import`: no registry, no
// debootstrap, about a second. Cached by a hash of its inputs. (The same recipe as
// test/integration/kubelet.test.ts, which can import it from here.)

export async function ensureToolsImage(docker: Docker): Promise<string> {
  const which = (b: string) => ['/usr/local/bin', '/usr/bin', '/bin'].map((d) => path.join(d, b)).find((f) => fs.existsSync(f));
  const bins = ['node', 'dash', 'cat', 'sleep', 'ls', 'echo', 'hostname', 'env', 'touch', 'rm', 'mkdir', 'pwd', 'readlink', 'head'].map((b) => {
    const f = which(b);
    if (!f) throw new Error(`${b} not found on this machine`);
    return fs.realpathSync(f);
  });
  const h = createHash('sha256');
  for (const b of bins) {
    const st = fs.statSync(b);
    h.update(`${b}:${st.size}:${st.mtimeMs}\n`);
  }
  const tag = `flotilla-test/kubelet-tools:${h.digest('hex').slice(0, 12)}`;
  try {
    await docker.getImage(tag).inspect();
    return tag;
  } catch {
    /* build it */
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelet-tools-'));
  try {
    fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
    for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev', 'work']) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.chmodSync(path.join(root, 'tmp'), 0o1777);
    for (const b of bins) {
      fs.copyFileSync(b, path.join(root, 'bin', path.basename(b)));
      fs.chmodSync(path.join(root, 'bin', path.basename(b)), 0o755);
      const libs = execFileSync('ldd', [b], { encoding: 'utf8' }).match(/\/\S+\.so[.\d]*/g) ?? [];
      for (const lib of libs) {
        const dest = path.join(root, lib);
        if (fs.existsSync(dest)) continue;
        fs.mkdirSync(path.dirname(dest), { recursive: true });
        fs.copyFileSync(fs.realpathSync(lib), dest);
      }
    }
    fs.symlinkSync('dash', path.join(root, 'bin', 'sh'));
    fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
    const tar = execFileSync('tar', ['-C', root, '-c', '.'], { maxBuffer: 1 << 30 });
    const opts = { repo: tag.split(':')[0], tag: tag.split(':')[1], changes: ['ENV PATH=/bin', 'CMD ["/bin/sleep","infinity"]'] };
    const stream = (await docker.importImage(Readable.from([tar]) as never, opts as never)) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return tag;
}
