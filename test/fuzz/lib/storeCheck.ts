import { RESOURCES } from '../../../src-main/api/resources.js';
import { jsonOf, sendRaw, type Target } from './rawHttp.js';
import { prefixOf } from './seeds.js';

// The end-of-run check that the store is intact: every resource lists through the API, every
// listed object can be read back on its own, and both parse as JSON. Returns the resourceVersion
// of every object by key, so two readings (before and after a restart) can be compared.

export interface StoreReading {
  objects: Map<string, string>;
  problems: string[];
}

export async function readEverything(t: Target, token: string): Promise<StoreReading> {
  const objects = new Map<string, string>();
  const problems: string[] = [];
  const get = (target: string) => sendRaw(t, { method: 'GET', target, headers: [['Authorization', `Bearer ${token}`], ['Accept', 'application/json']] }, { deadlineMs: 30_000 });
  for (const r of RESOURCES) {
    const list = await get(`${prefixOf(r)}/${r.plural}`);
    const doc = jsonOf(list) as { items?: { metadata?: { name?: string; namespace?: string; resourceVersion?: string } }[] } | undefined;
    if (list.status !== 200 || !doc || !Array.isArray(doc.items)) {
      problems.push(`LIST ${r.plural}: HTTP ${list.status} ${list.body.toString('utf8').slice(0, 200)}`);
      continue;
    }
    for (const item of doc.items) {
      const m = item.metadata ?? {};
      const key = `${r.plural}/${m.namespace ?? ''}/${m.name}`;
      objects.set(key, String(m.resourceVersion));
      const path = r.namespaced ? `${prefixOf(r)}/namespaces/${encodeURIComponent(m.namespace ?? '')}/${r.plural}/${encodeURIComponent(m.name ?? '')}` : `${prefixOf(r)}/${r.plural}/${encodeURIComponent(m.name ?? '')}`;
      const one = await get(path);
      const obj = jsonOf(one) as { metadata?: { resourceVersion?: string } } | undefined;
      if (one.status !== 200 || !obj) problems.push(`GET ${path}: HTTP ${one.status} ${one.body.toString('utf8').slice(0, 200)}`);
      else if (obj.metadata?.resourceVersion !== m.resourceVersion) problems.push(`GET ${path}: resourceVersion ${obj.metadata?.resourceVersion}, the list said ${m.resourceVersion}`);
    }
  }
  return { objects, problems };
}
