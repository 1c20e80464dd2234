import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two forks on the 2-core machines (vitest's default is one fewer than the cores): most test
    // time is waiting on moto, PostgreSQL, Redis and child bots, not CPU.
    maxWorkers: 2,
    // The files share each fork's module graph: no test mocks a module or leaves global state, and
    // loading Bolt and Rotor afresh for each of ~190 files was a third of the run.
    isolate: false,
    globalSetup: ['./test/support/moto-workers.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
