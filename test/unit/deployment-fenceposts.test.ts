import { describe, it, expect } from 'vitest';
import { maxSurge, maxUnavailable, minAvailable, resolveFenceposts, scaledValue } from '../../src-main/controllers/deployment/util/fenceposts.js';
import type { Deployment, IntOrString } from '../../src-main/api/types.js';

function deployment(replicas: number, surge?: IntOrString, unavailable?: IntOrString, type: 'RollingUpdate' | 'Recreate' = 'RollingUpdate'): Deployment {
  return {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      strategy: type === 'Recreate' ? { type } : { type, rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
    },
  };
}

describe('maxSurge / maxUnavailable', () => {
  it('scales percentages: surge rounds up, unavailable rounds down', () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue('25%', 4, true)).toBe(1);
    expect(scaledValue('25%', 4, false)).toBe(1);
    expect(scaledValue('1%', 2, true)).toBe(1);
    expect(scaledValue('1%', 2, false)).toBe(0);
    expect(scaledValue('100%', 7, false)).toBe(7);
    expect(scaledValue('0%', 7, true)).toBe(0);
    expect(scaledValue(3, 7, true)).toBe(3);
    expect(scaledValue(undefined, 7, true)).toBe(0);
    expect(() => scaledValue('abc', 7, true)).toThrow(/not a percentage/);
  });

  it("resolves fenceposts like kube's table", () => {
    // desired, surge, unavailable -> surge, unavailable
    const cases: [number, IntOrString, IntOrString, number, number][] = [
      [2, '0%', '1%', 0, 1], // both resolve to 0: unavailable becomes 1
      [1, '0%', '1%', 0, 1],
      [2, '1%', '25%', 1, 0],
      [1, '1%', '25%', 1, 0],
      [2, '1%', '0%', 1, 0],
      [10, '25%', '25%', 3, 2],
      [3, '25%', '25%', 1, 0],
      [5, 2, 0, 2, 0],
      [5, 0, 0, 0, 1],
    ];
    for (const [desired, s, u, es, eu] of cases) expect(resolveFenceposts(s, u, desired), `${desired} ${s} ${u}`).toEqual({ surge: es, unavailable: eu });
  });

  it('derives deployment limits', () => {
    expect(maxSurge(deployment(10, '25%', '25%'))).toBe(3);
    expect(maxUnavailable(deployment(10, '25%', '25%'))).toBe(2);
    expect(minAvailable(deployment(10, '25%', '25%'))).toBe(8);
    // maxUnavailable never exceeds replicas; nothing may be unavailable of zero replicas.
    expect(maxUnavailable(deployment(2, 0, 5))).toBe(2);
    expect(maxUnavailable(deployment(0, 1, 1))).toBe(0);
    // Recreate has no surge and no availability floor.
    expect(maxSurge(deployment(3, undefined, undefined, 'Recreate'))).toBe(0);
    expect(maxUnavailable(deployment(3, undefined, undefined, 'Recreate'))).toBe(0);
    expect(minAvailable(deployment(3, undefined, undefined, 'Recreate'))).toBe(0);
  });
});
