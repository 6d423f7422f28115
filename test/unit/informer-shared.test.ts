// A fake API client with just list and watch.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { Informer, InformerFactory, trimManagedFields } from '../../src-main/client/informer.js';
import type { ApiClient, WatchEvent } from '../../src-main/client/apiClient.js';
import type { KubeObject } from '../../src-main/api/types.js';

const mf = [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
const pod = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: 'ns', resourceVersion: rv, managedFields: structuredClone(mf) as any }, spec: { nodeName: 'n' } });

function fakeClient(items: KubeObject[]) {
  const watches: { onEvent: (e: WatchEvent) => void; stopped: boolean }[] = [];
  const client = {
    list: async () => ({ items: structuredClone(items), metadata: { resourceVersion: '10' } }),
    watch: (_r: string, _ns: string | undefined, _q: unknown, onEvent: (e: WatchEvent) => void) => {
      const w = { onEvent, stopped: false };
      watches.push(w);
      return { stop: () => (w.stopped = true) };
    },
  } as unknown as ApiClient;
  return { client, watches };
}

describe('informers', () => {
  it('apply a transform (trimManagedFields) to listed and watched objects before caching them', async () => {
    const { client, watches } = fakeClient([pod('a', '5')]);
    const inf = new Informer(client, 'pods', { transform: trimManagedFields });
    const seen: KubeObject[] = [];
    inf.addHandlers({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n), onDelete: (o) => seen.push(o) });
    await inf.start();
    watches[0]!.onEvent({ type: 'MODIFIED', object: pod('a', '11') });
    watches[0]!.onEvent({ type: 'ADDED', object: pod('b', '12') });
    watches[0]!.onEvent({ type: 'DELETED', object: pod('b', '13') });
    expect(seen.map((o) => o.metadata.resourceVersion)).toEqual(['5', '11', '12', '13']);
    expect(seen.every((o) => o.metadata.managedFields === undefined)).toBe(true);
    expect(inf.get('ns', 'a')!.metadata.managedFields).toBeUndefined();
    expect(inf.get('ns', 'a')!.spec).toEqual({ nodeName: 'n' });
    inf.stop();
  });

  it('a factory shared by two components stops its informers when the last one releases it', async () => {
    const { client, watches } = fakeClient([pod('a', '5')]);
    const shared = new InformerFactory(client, { transform: trimManagedFields });
    const releaseA = shared.acquire();
    const podsA = shared.informer('pods');
    await shared.start();
    // The second component gets the same informer, already synced, and sees its cache replayed.
    const releaseB = shared.acquire();
    const podsB = shared.informer('pods');
    expect(podsB).toBe(podsA);
    const added: string[] = [];
    podsB.addHandlers({ onAdd: (o) => added.push(o.metadata.name!) });
    await shared.start();
    expect(added).toEqual(['a']);
    expect(watches).toHaveLength(1);
    releaseA();
    releaseA(); // idempotent
    expect(watches[0]!.stopped).toBe(false);
    releaseB();
    expect(watches[0]!.stopped).toBe(true);
  });
});
