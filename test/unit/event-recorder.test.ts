// Calls are inspected as loose JSON, so `any` is the honest type in these assertions.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { describe, expect, it } from 'vitest';
import { COMBINED_PREFIX, EventRecorder } from '../../src-main/client/eventRecorder.js';
import type { KubeObject } from '../../src-main/api/types.js';
import { ManualClock } from '../../src-main/api/clock.js';
import { FakeApiClient } from '../helpers/fakeApiClient.js';

/** The recorded writes and the stored events, read loosely. */
const calls = (api: FakeApiClient): any[] => api.actions;
const events = (api: FakeApiClient): any[] => api.stored('events');

const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-1', namespace: 'ns', uid: 'u1' } };
const rs2: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-2', namespace: 'ns', uid: 'u2' } };

function recorder(api: FakeApiClient, clock: ManualClock) {
  return new EventRecorder(api, 'replicaset-controller', undefined, { clock });
}

describe('EventRecorder (client-go EventCorrelator)', () => {
  it('bumps count and lastTimestamp of a repeated event instead of creating another', async () => {
    const api = new FakeApiClient();
    const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
    const r = recorder(api, clock);
    await r.record(rs, 'Warning', 'FailedCreate', 'quota exceeded');
    clock.advance(1000);
    await r.record(rs, 'Warning', 'FailedCreate', 'quota exceeded');
    expect(calls(api).map((c) => c.verb)).toEqual(['create', 'patch']);
    const [ev] = events(api);
    expect(ev).toMatchObject({ count: 2, firstTimestamp: '2025-01-01T00:00:00Z', lastTimestamp: '2025-01-01T00:00:01Z', message: 'quota exceeded' });
    expect(calls(api)[1]!.body).toEqual({ count: 2, lastTimestamp: '2025-01-01T00:00:01Z' });
  });

  it('combines similar events (same object and reason) once 10 different messages were seen', async () => {
    const api = new FakeApiClient();
    const clock = new ManualClock(Date.parse('2025-01-01T00:00:00Z'));
    const r = recorder(api, clock);
    for (let i = 0; i < 15; i++) await r.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: web-1-${i}`);
    const evs = events(api);
    // 9 individual events, then one combined event that carries the latest message and the count.
    expect(evs).toHaveLength(10);
    expect(evs.slice(0, 9).map((e) => e.message)).toEqual(Array.from({ length: 9 }, (_, i) => `Created pod: web-1-${i}`));
    expect(evs[9]).toMatchObject({ message: `${COMBINED_PREFIX}Created pod: web-1-14`, count: 6, reason: 'SuccessfulCreate', involvedObject: { kind: 'ReplicaSet', name: 'web-1', uid: 'u1' } });
    // Another object or reason is not similar.
    await r.record(rs2, 'Normal', 'SuccessfulCreate', 'Created pod: web-2-0');
    await r.record(rs, 'Normal', 'SuccessfulDelete', 'Deleted pod: web-1-0');
    expect(events(api).slice(10).map((e) => e.message)).toEqual(['Created pod: web-2-0', 'Deleted pod: web-1-0']);
  });

  it('forgets similar events after 10 minutes', async () => {
    const api = new FakeApiClient();
    const clock = new ManualClock(0);
    const r = recorder(api, clock);
    for (let i = 0; i < 9; i++) await r.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: a-${i}`);
    clock.advance(601_000);
    await r.record(rs, 'Normal', 'SuccessfulCreate', 'Created pod: b-0');
    expect(events(api).every((e) => !e.message.startsWith(COMBINED_PREFIX))).toBe(true);
  });

  it('lets one source write at most 25 events about one object in a burst, then one per 5 minutes', async () => {
    const api = new FakeApiClient();
    const clock = new ManualClock(0);
    const r = recorder(api, clock);
    for (let i = 0; i < 40; i++) await r.record(rs, 'Warning', `Reason${i}`, 'm');
    expect(calls(api)).toHaveLength(25);
    // Other objects have budgets of their own.
    await r.record(rs2, 'Warning', 'Reason0', 'm');
    expect(calls(api)).toHaveLength(26);
    clock.advance(300_000);
    await r.record(rs, 'Warning', 'Reason0', 'm');
    await r.record(rs, 'Warning', 'Reason1', 'm');
    expect(calls(api)).toHaveLength(27);
    expect(calls(api)[26]).toMatchObject({ verb: 'patch', body: { count: 2 } });
  });

  it('creates an event whose first write was dropped when it is next allowed, with the count observed', async () => {
    const api = new FakeApiClient();
    const clock = new ManualClock(0);
    const r = new EventRecorder(api, 'kubelet', 'node-1', { clock, spamBurst: 1 });
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default', uid: 'u' } };
    await r.record(pod, 'Normal', 'Pulling', 'Pulling image "x"');
    await r.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    await r.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    expect(calls(api).map((c) => c.body.reason ?? c.verb)).toEqual(['Pulling']);
    clock.advance(300_000);
    await r.record(pod, 'Warning', 'Failed', 'Error: ErrImagePull');
    expect(calls(api).map((c) => c.verb)).toEqual(['create', 'patch', 'create']);
    expect(calls(api)[2]!.body).toMatchObject({ reason: 'Failed', count: 3, firstTimestamp: '1970-01-01T00:00:00Z', source: { component: 'kubelet', host: 'node-1' } });
  });
});
