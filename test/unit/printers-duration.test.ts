// humanDuration must match k8s.io/apimachinery duration.HumanDuration at every unit boundary, because kubectl
// users compare AGE columns with real clusters.
import { describe, expect, it } from 'vitest';
import { humanDuration, translateTimestampSince } from '../../src-main/apiserver/printers/index.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const Y = 365 * D;

describe('humanDuration', () => {
  it.each([
    // Clock skew: up to 2s in the future is "0s", beyond that "<invalid>".
    [-2 * S, '<invalid>'],
    [-2 * S - 500, '<invalid>'],
    [-2 * S + 1, '0s'],
    [-1, '0s'],
    [0, '0s'],
    [S - 1, '0s'],
    [S, '1s'],
    [5 * S, '5s'],
    // Seconds up to 119s, then minutes with seconds below 10m.
    [2 * M - 1, '119s'],
    [2 * M, '2m'],
    [2 * M + S, '2m1s'],
    [5 * M, '5m'],
    [5 * M + 30 * S, '5m30s'],
    [10 * M - 1, '9m59s'],
    [10 * M, '10m'],
    [10 * M + S, '10m'],
    [45 * M, '45m'],
    [3 * H - 1, '179m'],
    // Hours with minutes below 8h, then plain hours below 48h.
    [3 * H, '3h'],
    [3 * H + M, '3h1m'],
    [3 * H + 10 * M, '3h10m'],
    [8 * H - 1, '7h59m'],
    [8 * H, '8h'],
    [8 * H + 59 * M, '8h'],
    [2 * D - 1, '47h'],
    // Days with hours below 8d, then plain days below 2y.
    [2 * D, '2d'],
    [2 * D + 3 * H, '2d3h'],
    [8 * D - 1, '7d23h'],
    [8 * D, '8d'],
    [8 * D + 23 * H, '8d'],
    [367 * D, '367d'],
    [2 * Y - 1, '729d'],
    // Years with days below 8y, then plain years.
    [2 * Y, '2y'],
    [2 * Y + 23 * H + 59 * M, '2y'],
    [2 * Y + D - 1, '2y'],
    [2 * Y + D, '2y1d'],
    [5 * Y, '5y'],
    [8 * Y - 1, '7y364d'],
    [8 * Y, '8y'],
    [8 * Y + 364 * D, '8y'],
    [9 * Y, '9y'],
  ])('%i ms -> %s', (ms, want) => {
    expect(humanDuration(ms)).toBe(want);
  });

  it('reports non-finite input as invalid instead of printing NaN', () => {
    expect(humanDuration(Number.NaN)).toBe('<invalid>');
  });
});

describe('translateTimestampSince', () => {
  const now = new Date('2024-05-01T12:00:00Z');

  it('formats the age relative to now', () => {
    expect(translateTimestampSince('2024-05-01T11:55:00Z', now)).toBe('5m');
    expect(translateTimestampSince('2024-04-29T09:00:00Z', now)).toBe('2d3h');
    // MicroTime (event eventTime) carries fractional seconds.
    expect(translateTimestampSince('2024-05-01T11:59:30.123456Z', now)).toBe('29s');
  });

  it('prints <unknown> for a missing, unparseable or Go zero timestamp', () => {
    expect(translateTimestampSince(undefined, now)).toBe('<unknown>');
    expect(translateTimestampSince(null, now)).toBe('<unknown>');
    expect(translateTimestampSince('', now)).toBe('<unknown>');
    expect(translateTimestampSince('not a time', now)).toBe('<unknown>');
    expect(translateTimestampSince('0001-01-01T00:00:00Z', now)).toBe('<unknown>');
  });
});
