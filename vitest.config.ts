import { configDefaults, defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    setupFiles: ['./test/setup.ts'],
    include: [
      'test/**/*.test.ts',
      'client/test/**/*.test.ts',
      'console/src/**/*.test.ts',
      'console/test/**/*.test.ts',
    ],
    // Process-level reliability tests (a real server killed, PostgreSQL restarted) run alone: npm run test:reliability.
    exclude: [...configDefaults.exclude, 'test/reliability/**/*.process.test.ts'],
    // Each file runs in its own process with its own database cloned from a migrated template,
    // so files run in parallel and nothing is truncated.
    pool: 'forks',
    fileParallelism: true,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
})
