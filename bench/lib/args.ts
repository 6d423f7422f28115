import { parseArgs } from 'node:util';

// The command line every benchmark takes (`npm run bench:<name> -- --quick`):
//   --quick     a smoke test that finishes in well under a minute: every phase runs, small; its
//               numbers are not comparable with a full run (CI runs this, bench/quick.sh)
//   --profile   V8 CPU profiles of the measured process during the measured phases
//   --rounds N  rounds of the interleaved measurements (where the benchmark has rounds)
// The environment variables of earlier versions still work: BENCH_QUICK=1, BENCH_CPU_PROF=1,
// BENCH_ROUNDS=N.

export interface BenchArgs {
  quick: boolean;
  profile: boolean;
  rounds?: number;
}

export function benchArgs(argv = process.argv.slice(2)): BenchArgs {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: { quick: { type: 'boolean' }, profile: { type: 'boolean' }, rounds: { type: 'string' } },
  });
  const rounds = Number(values.rounds ?? process.env.BENCH_ROUNDS) || undefined;
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1)) throw new Error(`--rounds: a whole number >= 1, got ${values.rounds}`);
  return {
    quick: Boolean(values.quick) || process.env.BENCH_QUICK === '1',
    profile: Boolean(values.profile) || process.env.BENCH_CPU_PROF === '1',
    rounds,
  };
}

/** A cluster name no other run (or the user's default cluster, "flotilla") can have. */
export function uniqueClusterName(bench: string): string {
  return `bench-${bench}-${process.pid.toString(36)}-${Date.now().toString(36)}`;
}
