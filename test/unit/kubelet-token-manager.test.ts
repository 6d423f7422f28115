import { describe, it, expect } from 'vitest';
import { ManualClock } from '../../src-main/api/clock.js';
import { TokenManager, type TokenRequestSpec } from '../../src-main/kubelet/tokenManager.js';

// The kubelet's token manager as kube's: a cached token is asked for again once 80% of its
// lifetime has passed (or 24 h after issue), a failed refresh keeps a still-valid token, and a
// pod's tokens go with it. Jitter is pinned to 0 here (random = 0).

const spec = (uid = 'u1', expirationSeconds = 3600): TokenRequestSpec => ({ expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid } });

function setup(lifetimeSeconds?: number) {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  let n = 0;
  let fail = false;
  const manager = new TokenManager(
    async (_ns, _sa, s) => {
      if (fail) throw new Error('API down');
      n++;
      const exp = lifetimeSeconds ?? s.expirationSeconds;
      return { token: `t${n}`, expirationTimestamp: new Date(clock.now() + exp * 1000).toISOString(), expirationSeconds: s.expirationSeconds };
    },
    clock,
    () => 0,
  );
  return { clock, manager, requests: () => n, setFail: (f: boolean) => (fail = f) };
}

describe('TokenManager', () => {
  it('reuses a token until 80% of its lifetime has passed', async () => {
    const { clock, manager, requests } = setup();
    expect(await manager.get('ns', 'default', spec())).toBe('t1');
    clock.advance(2880 * 1000); // exactly 80%: not yet
    expect(await manager.get('ns', 'default', spec())).toBe('t1');
    clock.advance(1000);
    expect(await manager.get('ns', 'default', spec())).toBe('t2');
    expect(requests()).toBe(2);
  });

  it('refreshes a long-lived token after 24 hours', async () => {
    const { clock, manager } = setup();
    const long = spec('u1', 7 * 24 * 3600);
    expect(await manager.get('ns', 'default', long)).toBe('t1');
    clock.advance(24 * 3600 * 1000);
    expect(await manager.get('ns', 'default', long)).toBe('t1');
    clock.advance(1000);
    expect(await manager.get('ns', 'default', long)).toBe('t2');
  });

  it('keeps a still-valid token when a refresh fails, and fails once it has expired', async () => {
    const { clock, manager, setFail } = setup();
    await manager.get('ns', 'default', spec());
    clock.advance(3000 * 1000);
    setFail(true);
    expect(await manager.get('ns', 'default', spec())).toBe('t1');
    clock.advance(600 * 1000);
    await expect(manager.get('ns', 'default', spec())).rejects.toThrow(/token expired and refresh failed: API down/);
    await expect(manager.get('ns', 'default', spec('u2'))).rejects.toThrow(/failed to fetch token: API down/);
  });

  it('keys tokens by pod and forgets a pod’s tokens', async () => {
    const { manager, requests } = setup();
    await manager.get('ns', 'default', spec('u1'));
    await manager.get('ns', 'default', spec('u2'));
    expect(requests()).toBe(2);
    manager.forgetPod('u1');
    await manager.get('ns', 'default', spec('u2'));
    expect(requests()).toBe(2);
    await manager.get('ns', 'default', spec('u1'));
    expect(requests()).toBe(3);
  });
});
