import type { Response } from '../lib/client.js';

// The objects bench:api writes: ConfigMaps of ~200 bytes of data with two labels, in namespaces
// of their own per phase.

export const NS = { list: 'bench-a', other: 'bench-b', rate: 'bench-rate', watch: 'bench-watch', warm: 'bench-warm' };

const PAYLOAD = 'x'.repeat(200);

export function configMap(ns: string, name: string, i: number, extra: Record<string, string> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: { app: 'flotilla-bench', shard: String(i % 16) } },
    data: { index: String(i), payload: PAYLOAD, ...extra },
  };
}

export const cmPath = (ns: string, name?: string) => `/api/v1/namespaces/${ns}/configmaps${name ? `/${name}` : ''}`;

export function rvOf(body: string): string {
  const rv = (JSON.parse(body) as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
  if (!rv) throw new Error(`no resourceVersion in ${body.slice(0, 200)}`);
  return rv;
}

export async function must(p: Promise<Response>, what: string): Promise<Response> {
  const r = await p;
  if (r.status < 200 || r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 500)}`);
  return r;
}
