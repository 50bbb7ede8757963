import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * `npm run test:e2e`: the console in a real Chromium (playwright-core driving /usr/bin/chromium, or CHROMIUM)
 * against a real server: global-setup.ts starts `src/server.ts` on a fresh embedded database with the demo,
 * on a free port. Files run one after another (they share that server and its demo story).
 */
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['console/e2e/**/*.e2e.ts'],
    globalSetup: ['console/e2e/global-setup.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 90_000,
    hookTimeout: 180_000,
  },
})
