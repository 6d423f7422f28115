import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real servers and spawn kubectl; two cores cannot run many at once.
    maxWorkers: 2,
    fileParallelism: true,
    // Tests build images locally and never pull from a registry (the network rule).
    env: { FLOTILLA_OFFLINE: '1' },
  },
});
