// Run settings of the fuzz tests, from the environment. CI runs the defaults: a fixed seed and a
// small count per property, so the suite stays well under a minute on two cores. A longer run:
//   FLOTILLA_FUZZ_RUNS=2000 npx vitest run test/fuzz/api.fuzz.test.ts
// Replaying another run: FLOTILLA_FUZZ_SEED=<the seed it printed>.

function num(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}=${v} is not a number`);
  return n;
}

/** Cases per property. */
export const RUNS = num('FLOTILLA_FUZZ_RUNS', 150);
export const SEED = num('FLOTILLA_FUZZ_SEED', 7_000_007);
/** An answer slower than this is a failure (a freeze detector, far above any normal answer). */
export const SLOW_MS = num('FLOTILLA_FUZZ_SLOW_MS', 5000);
/** Each property stops running cases after this long (a run against a broken server stays bounded). */
export const TIME_LIMIT_MS = num('FLOTILLA_FUZZ_TIME_LIMIT_MS', RUNS > 150 ? 3_600_000 : 40_000);
/** The vitest timeout of one property: its time limit plus the slowest case and the recovery wait. */
export const TEST_TIMEOUT_MS = TIME_LIMIT_MS + SLOW_MS * 4 + 120_000;

export function fcParams(): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns: RUNS };
}

/**
 * A property's time budget. Cases generated after it are skipped rather than interrupted:
 * fast-check's own interrupt returns while a case is still in flight against the server.
 */
export class Budget {
  private readonly end = Date.now() + TIME_LIMIT_MS;
  ran = 0;
  skipped = 0;
  /** Whether the next case may run (and counts it either way). */
  take(): boolean {
    if (Date.now() > this.end) {
      this.skipped++;
      return false;
    }
    this.ran++;
    return true;
  }
  toString(): string {
    return `${this.ran}${this.skipped ? ` (${this.skipped} skipped: time limit)` : ''}`;
  }
}
