import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * Issue 17: whatever supervises `npm start` (a terminal's Ctrl-C, systemd, a container runtime, CI) stops it with
 * one SIGTERM to the process it started. `npm start` used to run `tsx src/server.ts` under `sh -c`: the signal
 * stopped npm and the shell and left node running, orphaned and still answering on its port. Here `npm start`
 * runs on a fresh embedded database, gets one SIGTERM sent to the npm process only (not its group), and then
 * no process it started may remain and its port must be closed.
 */

const ROOT = join(import.meta.dirname, '..', '..')
const started: number[] = []
const dirs: string[] = []

afterAll(() => {
  // whatever a failed run left behind (only processes this test started)
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Every descendant of `pid` (children, their children...), read from ps. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number) as [number, number])
  const out: number[] = []
  const queue = [pid]
  while (queue.length) {
    const parent = queue.shift()!
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        out.push(child)
        queue.push(child)
      }
    }
  }
  return out
}

async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2000) })
    return res.ok
  } catch {
    return false
  }
}

async function until(what: string, check: () => Promise<boolean> | boolean, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error(`timed out waiting for ${what}`)
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })

describe('npm start stops on one SIGTERM to the npm process (issue 17)', () => {
  it('no process it started remains and the port closes', async () => {
    const port = await freePort()
    const dataDir = mkdtempSync(join(tmpdir(), 'vp-sigterm-'))
    dirs.push(dataDir)
    let log = ''
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    npm.stdout!.on('data', (d) => (log += d))
    npm.stderr!.on('data', (d) => (log += d))
    started.push(npm.pid!)
    const exit = exited(npm)
    // the embedded PostgreSQL opens, migrates and loads the demo first: seconds on a busy machine
    await until('the server to answer', () => answers(port), 100_000).catch((err) => {
      throw new Error(`${(err as Error).message}; its output:\n${log}`)
    })
    const tree = descendants(npm.pid!)
    started.push(...tree)
    expect(tree.length).toBeGreaterThan(0) // node runs under npm

    process.kill(npm.pid!, 'SIGTERM') // the npm process only, not its group
    expect(await exit, log).toBe(0) // a clean stop, not a signal death
    await until('every process npm started to end', () => tree.every((pid) => !alive(pid)), 20_000).catch(
      () => {
        throw new Error(`still running after SIGTERM to npm: ${tree.filter(alive).join(', ')}`)
      },
    )
    expect(await answers(port)).toBe(false)
  }, 150_000)
})
