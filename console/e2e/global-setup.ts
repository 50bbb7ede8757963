import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { TestProject } from 'vitest/node'
import { freePort, stopServer, waitUntilReady } from './server'

declare module 'vitest' {
  export interface ProvidedContext {
    baseURL: string
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url))

let server: ChildProcess | undefined
let dataDir: string | undefined

/**
 * Builds the console if its sources changed, then starts the real server (as `npm start` does, through tsx) on
 * a fresh DATA_DIR: the embedded PostgreSQL (PGlite) with the demo organisation loaded, nothing shared with
 * the developer's ./data or other runs. Its log goes to console/e2e/artifacts/server.log.
 */
export default async function setup(project: TestProject) {
  execFileSync(process.execPath, [join(root, 'scripts', 'console-build.mjs')], { stdio: 'inherit' })
  const port = await freePort()
  dataDir = mkdtempSync(join(tmpdir(), 'vp-e2e-'))
  const { createWriteStream, mkdirSync } = await import('node:fs')
  mkdirSync(join(root, 'console', 'e2e', 'artifacts'), { recursive: true })
  const log = createWriteStream(join(root, 'console', 'e2e', 'artifacts', 'server.log'))
  const env: NodeJS.ProcessEnv = { ...process.env }
  // The embedded database, whatever the caller's environment says.
  for (const name of ['DATABASE_URL', 'DATABASE_READ_URL', 'PII_KEY', 'JWT_SECRET', 'REDIS_URL'])
    delete env[name]
  server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_MAX: '100000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  server.stdout?.pipe(log)
  server.stderr?.pipe(log)
  const baseURL = `http://127.0.0.1:${port}`
  await waitUntilReady(server, baseURL, 150, 'console/e2e/artifacts/server.log')
  project.provide('baseURL', baseURL)
  return teardown
}

async function teardown() {
  await stopServer(server)
  server?.stdout?.destroy()
  server?.stderr?.destroy()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
}
