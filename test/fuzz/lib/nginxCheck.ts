import type Docker from 'dockerode';
import { tarArchive, type TarEntry } from '../../../src-main/cluster/tar.js';
import { demuxLogs } from '../../../src-main/images/dockerOps.js';

// Real `nginx -t` on many configurations at once: one throwaway container of the node image (the
// nginx the ingress controller runs), without a network, with every configuration and the
// certificate files they name copied in as one tar before it starts; one shell loop tests them
// all and prints the refused ones with nginx's words. The container is removed in every case.

export interface NginxVerdict {
  tested: number;
  /** Configuration name -> what nginx said when it refused it. */
  refused: Map<string, string>;
  /** Configuration name -> nginx's warnings for one it accepted. */
  warned: Map<string, string>;
}

const LOOP = `
n=0
for f in "$ROOT"/conf/*.conf; do
  n=$((n+1))
  if nginx -t -q -c "$f" >/tmp/nginx.out 2>&1; then
    if [ -s /tmp/nginx.out ]; then echo "WARN $(basename "$f" .conf)"; sed 's/^/| /' /tmp/nginx.out; fi
  else
    echo "FAIL $(basename "$f" .conf)"; sed 's/^/| /' /tmp/nginx.out
  fi
done
echo "TESTED $n"
`;

/**
 * Tests each configuration (name -> text; names are file names without spaces) with the files
 * it reads (absolute path inside the container -> content). Configurations go to `root`/conf.
 */
export async function nginxTestAll(docker: Docker, image: string, root: string, configs: Map<string, string>, files: Map<string, string>, timeoutMs: number): Promise<NginxVerdict> {
  const rel = (p: string) => p.replace(/^\/+/, '');
  const dirs = new Set<string>();
  const entries: TarEntry[] = [];
  const add = (p: string, content: string) => {
    const parts = rel(p).split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
    entries.push({ path: rel(p), content });
  };
  for (const [name, text] of configs) add(`${root}/conf/${name}.conf`, text);
  for (const [p, content] of files) add(p, content);
  const tar = tarArchive([...[...dirs].sort().map((d) => ({ path: d })), ...entries]);
  const container = await docker.createContainer({
    Image: image,
    Entrypoint: ['/bin/sh', '-c'],
    Cmd: [LOOP],
    Env: [`ROOT=${root}`],
    Labels: { 'flotilla.dev/test': 'ingress-fuzz' },
    HostConfig: { NetworkMode: 'none', AutoRemove: false },
  });
  try {
    await container.putArchive(tar, { path: '/' });
    await container.start();
    let timer: NodeJS.Timeout | undefined;
    const waited = (await Promise.race([
      container.wait(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`nginx -t of ${configs.size} configurations took over ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer))) as { StatusCode: number };
    const { stdout, stderr } = demuxLogs((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer);
    if (waited.StatusCode !== 0) throw new Error(`the nginx -t loop exited ${waited.StatusCode}: ${stderr}`);
    const verdict: NginxVerdict = { tested: Number(/^TESTED (\d+)$/m.exec(stdout)?.[1] ?? -1), refused: new Map(), warned: new Map() };
    let current: Map<string, string> | undefined;
    let name = '';
    for (const line of stdout.split('\n')) {
      const head = /^(FAIL|WARN) (\S+)$/.exec(line);
      if (head) {
        current = head[1] === 'FAIL' ? verdict.refused : verdict.warned;
        name = head[2]!;
        current.set(name, '');
      } else if (line.startsWith('| ') && current) current.set(name, `${current.get(name)}${line.slice(2)}\n`);
    }
    return verdict;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
