import { defineConfig } from 'vitest/config'

// Process-level reliability tests (npm run test:reliability): each file starts its own PostgreSQL cluster and
// the real server as a child process, kills, restarts and freezes them. One file at a time, so the load test
// does not skew the timing assertions of the fault tests on a small machine.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.process.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 90_000,
  },
})
