// Informers over the fake API client: a list, then events the test emits on the watch.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { Informer, InformerFactory, trimManagedFields } from '../../src-main/client/informer.js';
import type { KubeObject } from '../../src-main/api/types.js';
import { FakeApiClient } from '../helpers/fakeApiClient.js';

const mf = [{ manager: 'm', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': {} } }];
const pod = (name: string, rv: string): KubeObject => ({ metadata: { name, namespace: 'ns', resourceVersion: rv, managedFields: structuredClone(mf) as any }, spec: { nodeName: 'n' } });

describe('informers', () => {
  it('apply a transform (trimManagedFields) to listed and watched objects before caching them', async () => {
    const client = new FakeApiClient().seed('pods', pod('a', '5'));
    const inf = new Informer(client, 'pods', { transform: trimManagedFields });
    const seen: KubeObject[] = [];
    inf.addHandlers({ onAdd: (o) => seen.push(o), onUpdate: (_o, n) => seen.push(n), onDelete: (o) => seen.push(o) });
    await inf.start();
    client.emit('pods', { type: 'MODIFIED', object: pod('a', '11') });
    client.emit('pods', { type: 'ADDED', object: pod('b', '12') });
    client.emit('pods', { type: 'DELETED', object: pod('b', '13') });
    expect(seen.map((o) => o.metadata.resourceVersion)).toEqual(['5', '11', '12', '13']);
    expect(seen.every((o) => o.metadata.managedFields === undefined)).toBe(true);
    expect(inf.get('ns', 'a')!.metadata.managedFields).toBeUndefined();
    expect(inf.get('ns', 'a')!.spec).toEqual({ nodeName: 'n' });
    inf.stop();
  });

  it('a factory shared by two components stops its informers when the last one releases it', async () => {
    const client = new FakeApiClient().seed('pods', pod('a', '5'));
    const { watches } = client;
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
