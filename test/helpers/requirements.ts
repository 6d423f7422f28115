// What a test needs from the machine (a Docker engine, a C compiler, an image) and what happens
// without it. On a developer's machine a test that cannot run is skipped, with a note saying why.
// Under CI (process.env.CI set, as .ci/run does) nothing may be skipped for want of a tool: the
// missing requirement fails the test file, so CI can never pass by testing less.

export const IN_CI = !!process.env.CI;

/**
 * For `describe.skipIf(...)` / `it.skipIf(...)`: true (skip) when `available` is false outside CI;
 * under CI, throws instead, which fails the file at collection.
 */
export function skipWithout(what: string, available: boolean): boolean {
  if (available) return false;
  if (IN_CI) throw new Error(`${what} is required under CI (CI=${process.env.CI}); a missing tool fails the run instead of skipping its tests`);
  console.warn(`skipping tests that need ${what}: not available on this machine`);
  return true;
}
