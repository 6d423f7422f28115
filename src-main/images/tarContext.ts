import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';

/** One file of a build context: inline content, or a file on disk streamed in. */
export type ContextFile =
  | { name: string; content: string | Buffer; mode?: number }
  | { name: string; file: string; mode?: number };

// A fixed mtime keeps the engine's layer cache valid across rebuilds of unchanged files.
const EPOCH = new Date(0);

/** A tar stream of the given files: the build context for dockerode's buildImage. */
export function tarContext(files: ContextFile[]): Readable {
  const pack = tar.pack();
  void (async () => {
    for (const f of files) {
      if ('content' in f) {
        const body = typeof f.content === 'string' ? Buffer.from(f.content) : f.content;
        await new Promise<void>((resolve, reject) =>
          pack.entry({ name: f.name, mode: f.mode ?? 0o644, mtime: EPOCH }, body, (err) => (err ? reject(err) : resolve())),
        );
      } else {
        const info = await stat(f.file);
        await new Promise<void>((resolve, reject) => {
          const header = { name: f.name, size: info.size, mode: f.mode ?? info.mode & 0o777, mtime: EPOCH };
          const entry = pack.entry(header, (err) => (err ? reject(err) : resolve()));
          createReadStream(f.file).on('error', reject).pipe(entry);
        });
      }
    }
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  // tar-stream's streams are streamx ones; hand the engine client a plain Node stream.
  const out = new PassThrough();
  pack.on('error', (err: Error) => out.destroy(err));
  pack.pipe(out);
  return out;
}
