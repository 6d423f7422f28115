// A minimal tar writer (POSIX ustar plus pax headers for long names): the kubelet writes volume
// files through Docker's archive API (PUT /containers/<id>/archive), which works the same whether
// the kubelet runs on the host or inside a node container, because no path of the kubelet's
// own filesystem has to be visible to the Docker daemon.

export interface TarEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode?: number;
  content?: Buffer | string;
  /** Symlink target. */
  target?: string;
  mtime?: number;
}

const BLOCK = 512;

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, typeflag: string, size: number, mode: number, mtime: number, linkname = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime / 1000), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(typeflag, 156, 'ascii');
  h.write(linkname.slice(0, 100), 157, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function pad(len: number): Buffer {
  const rem = len % BLOCK;
  return Buffer.alloc(rem ? BLOCK - rem : 0);
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

export function makeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const mtime = e.mtime ?? Date.now();
    const name = e.type === 'dir' && !e.path.endsWith('/') ? `${e.path}/` : e.path;
    const link = e.target ?? '';
    const records = (Buffer.byteLength(name) > 100 ? paxRecord('path', name) : '') + (Buffer.byteLength(link) > 100 ? paxRecord('linkpath', link) : '');
    if (records) {
      const body = Buffer.from(records, 'utf8');
      parts.push(header('PaxHeader', 'x', body.length, 0o644, mtime), body, pad(body.length));
    }
    const content = e.type === 'file' ? (typeof e.content === 'string' ? Buffer.from(e.content, 'utf8') : (e.content ?? Buffer.alloc(0))) : Buffer.alloc(0);
    const flag = e.type === 'file' ? '0' : e.type === 'dir' ? '5' : '2';
    const mode = e.mode ?? (e.type === 'dir' ? 0o755 : e.type === 'symlink' ? 0o777 : 0o644);
    parts.push(header(name, flag, content.length, mode, mtime, link), content, pad(content.length));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
