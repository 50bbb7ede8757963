/**
 * Starting and stopping a real server for the browser tests: global-setup.ts (the embedded demo every story
 * shares) and story.e2e.ts (a server of its own on real PostgreSQL) both use these.
 */
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'

/** A port nothing listens on now (the server is started on it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

/** Polls /readyz until it answers 200; throws when the server exits first or `seconds` pass. */
export async function waitUntilReady(
  server: ChildProcess,
  baseURL: string,
  seconds: number,
  logPath: string,
): Promise<void> {
  const deadline = Date.now() + seconds * 1000
  for (;;) {
    if (server.exitCode !== null) throw new Error(`the server exited (${server.exitCode}); see ${logPath}`)
    try {
      if ((await fetch(`${baseURL}/readyz`)).ok) return
    } catch {}
    if (Date.now() > deadline) throw new Error(`the server was not ready within ${seconds} s`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

/** SIGTERM, up to 10 s for a graceful exit, then SIGKILL. */
export async function stopServer(server: ChildProcess | undefined): Promise<void> {
  if (!server || server.exitCode !== null) return
  const exited = new Promise((r) => server.once('exit', r))
  server.kill('SIGTERM')
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())])
  if (server.exitCode === null) server.kill('SIGKILL')
}
