import { availableParallelism } from 'node:os'
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
    // Each file runs in a worker process with its own database cloned from a migrated template,
    // so files run in parallel and nothing is truncated.
    pool: 'forks',
    fileParallelism: true,
    // One worker per core, at most 4 (each app under test holds a pool of up to 10 connections, and a PostgreSQL
    // started by Testcontainers allows 100). Said explicitly: vitest 4 defaults to one fewer than the cores, a single worker on
    // the 2-core CI machine (one file at a time: 503 s; two workers 248 s, three 259 s, same machine and run).
    // `--maxWorkers=N` on the command line overrides it.
    maxWorkers: Math.min(4, Math.max(1, availableParallelism())),
    // Workers are reused from file to file (each file still gets its own database: test/helpers/db.ts), so the
    // app's modules are imported once per worker, not once per file: the suite went from 557 to 424 s on the
    // 2-core CI machine (import time 101 -> 20 s). A test that changes a module's state must restore it.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
})
