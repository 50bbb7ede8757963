import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { type MessageEvent, WebSocket } from 'undici'

/**
 * Process-level harness for the reliability tests: the real server (src/server.ts under tsx) as a child
 * process on loopback, and a private PostgreSQL cluster the tests may stop, restart and freeze without
 * touching anybody else's database server.
 */

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')

export const JWT_SECRET = 'reliability-secret-reliability-secret-0123'
export const ADMIN_PASSWORD = 'reliability-admin-pw'

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------- private PostgreSQL cluster

function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const base = '/usr/lib/postgresql'
  const versions = existsSync(base)
    ? readdirSync(base)
        .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : []
  if (!versions[0])
    throw new Error('no PostgreSQL binaries: set PG_BIN to the directory holding initdb and pg_ctl')
  return join(base, versions[0], 'bin')
}

export interface Cluster {
  port: number
  /** postgres://postgres@127.0.0.1:<port>/<database> */
  url(database?: string): string
  createDatabase(name: string): Promise<string>
  /** `pg_ctl stop -m fast`: backends are terminated, new connections refused until start(). */
  stop(): Promise<void>
  start(): Promise<void>
  /** Stops (immediate) and removes the data directory; safe to call twice and after a failure. */
  destroy(): Promise<void>
}

/**
 * initdb + pg_ctl start into a temporary directory. As root the cluster runs as user postgres (PostgreSQL
 * refuses to run as root); otherwise as the current user. Trust auth on loopback only, socket in the temp dir.
 */
export async function startCluster(port: number): Promise<Cluster> {
  const bin = pgBin()
  const dir = mkdtempSync(join(tmpdir(), 'vp_rel_pg_'))
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  const as = async (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args)
  if (asRoot) await run('chown', ['postgres', dir])
  // fsync off: these tests crash the application and restart PostgreSQL cleanly, never the machine.
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'])
  const ctl = (args: string[]) => as('pg_ctl', ['-D', data, ...args])
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100`
  const start = async () => {
    await ctl(['-o', options, '-l', join(dir, 'postgres.log'), '-w', '-t', '30', 'start'])
  }
  await start()
  let gone = false
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`
  return {
    port,
    url,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url() })
      await admin.connect()
      try {
        await admin.query(`create database ${name}`)
      } finally {
        await admin.end()
      }
      return url(name)
    },
    async stop() {
      await ctl(['-m', 'fast', '-w', '-t', '30', 'stop'])
    },
    start,
    async destroy() {
      if (gone) return
      gone = true
      await ctl(['-m', 'immediate', '-w', '-t', '30', 'stop']).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

// ---------------------------------------------------------------- the server as a child process

export interface ServerProcess {
  pid: number
  base: string
  logFile: string
  exited: Promise<number | null>
  alive(): boolean
  /** SIGKILL: no shutdown hook runs, in-flight requests lose their answer. */
  kill9(): Promise<void>
  /** SIGTERM (graceful), SIGKILL after 10 s. */
  stop(): Promise<void>
  /** VmRSS of the process in KiB, from /proc. */
  rssKiB(): number
  logTail(lines?: number): string
}

const children = new Set<ChildProcess>()
const logDirs: string[] = []

// Whatever happens to the test, no server outlives the worker.
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

/** Kills every server this worker started and is still running, and removes their logs (afterAll). */
export async function killAllServers(): Promise<void> {
  await Promise.all(
    [...children].map(
      (c) =>
        new Promise<void>((done) => {
          if (c.exitCode !== null || c.signalCode !== null) return done()
          c.once('exit', () => done())
          c.kill('SIGKILL')
        }),
    ),
  )
  children.clear()
  // Server logs help only while debugging: REL_KEEP_LOGS=1 keeps them (their paths are in startServer's errors).
  if (!process.env.REL_KEEP_LOGS)
    for (const d of logDirs.splice(0)) rmSync(d, { recursive: true, force: true })
}

/**
 * Spawns `node --import tsx src/server.ts` (one process, so kill -9 hits the server itself, not a wrapper)
 * with a production-like environment, and waits (at most 40 s) until /readyz answers 200.
 */
export async function startServer(opts: {
  port: number
  databaseUrl: string
  name: string
  env?: Record<string, string>
  /** Opens the V8 inspector on this loopback port (heapAfterGc reads the heap through it). */
  inspectPort?: number
}): Promise<ServerProcess> {
  const logDir = mkdtempSync(join(tmpdir(), `vp_rel_${opts.name}_`))
  logDirs.push(logDir)
  const logFile = join(logDir, 'server.log')
  const out = openSync(logFile, 'a')
  const inspect = opts.inspectPort ? [`--inspect=127.0.0.1:${opts.inspectPort}`] : []
  const child = spawn(process.execPath, [...inspect, '--import', 'tsx', 'src/server.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      PORT: String(opts.port),
      HOST: '127.0.0.1',
      DATABASE_URL: opts.databaseUrl,
      JWT_SECRET,
      PII_KEY: 'cGlpLWtleS1mb3ItdGhlLXJlbGlhYmlsaXR5LXRlc3Q=',
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', out, out],
  })
  children.add(child)
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      children.delete(child)
      r(code)
    }),
  )
  const base = `http://127.0.0.1:${opts.port}`
  const logTail = (lines = 30) => readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n')
  const proc: ServerProcess = {
    pid: child.pid!,
    base,
    logFile,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill9() {
      child.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (!proc.alive()) return
      child.kill('SIGTERM')
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(t)
    },
    rssKiB() {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        return Number(m?.[1] ?? Number.NaN)
      } catch {
        return Number.NaN // the process is gone: the test's liveness checks say so
      }
    },
    logTail,
  }
  const deadline = Date.now() + 40_000
  while (Date.now() < deadline) {
    if (!proc.alive()) throw new Error(`server exited during start:\n${logTail()}`)
    const ready = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
    if (ready?.status === 200) return proc
    await sleep(100)
  }
  await proc.kill9()
  throw new Error(`server not ready within 40 s:\n${logTail()}`)
}

// ---------------------------------------------------------------- HTTP

export interface Answer {
  status: number
  body: unknown
  headers: Headers
  ms: number
}

/** One JSON request on loopback. Never hangs: aborted after `timeoutMs` (a hang is a failure, status 0 with error). */
export async function call(
  base: string,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; key?: string; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (opts.token) headers.authorization = `Bearer ${opts.token}`
  if (opts.key) headers['idempotency-key'] = opts.key
  if (opts.body !== undefined) headers['content-type'] = 'application/json'
  const started = performance.now()
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
  })
  const text = await res.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {}
  return { status: res.status, body, headers: res.headers, ms: performance.now() - started }
}

export async function login(base: string, username: string, password: string): Promise<string> {
  const r = await call(base, 'POST', '/api/v1/auth/login', { body: { username, password } })
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${JSON.stringify(r.body)}`)
  return (r.body as { accessToken: string }).accessToken
}

/** Polls `probe` (bounded) until it returns true; resolves with the milliseconds it took, or throws. */
export async function until(probe: () => Promise<boolean>, limitMs: number, what: string): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < limitMs) {
    if (await probe().catch(() => false)) return Date.now() - started
    await sleep(25)
  }
  throw new Error(`${what}: not within ${limitMs} ms`)
}

/** Backend pids of the server's own connections (the pool sets application_name 'volunteer-points'). */
export async function serverBackends(clusterUrl: string, database: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: clusterUrl })
  await c.connect()
  try {
    const r = await c.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = $1 and application_name = 'volunteer-points'`,
      [database],
    )
    return r.rows.map((x) => x.pid)
  } finally {
    await c.end()
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN
}

/** Figures the tests produce, printed at the end of a file and written for RELIABILITY.md. */
export function report(name: string, figures: Record<string, unknown>): void {
  console.log(`[reliability] ${name}: ${JSON.stringify(figures)}`)
}

// ---------------------------------------------------------------- seed data

export interface Seeded {
  community: string
  branch: string
  members: { memberId: string; userId: string; username: string }[]
}

/**
 * A branch with `members` members who can log in (password TEST_PASSWORD), written straight to the database
 * once the server has migrated it. Staff calls use the bootstrap admin, logged in through the API.
 */
export async function seed(databaseUrl: string, members: number): Promise<Seeded> {
  const { openDatabase } = await import('../../src/db/client')
  const f = await import('../helpers/factories')
  const { ensureRoot } = await import('../../src/modules/identity/bootstrap')
  const database = await openDatabase({ databaseUrl, timezone: 'Asia/Shanghai', poolSize: 2 })
  try {
    const rootId = await ensureRoot(database.db)
    const district = await f.createUnit(database.db, rootId, 'district')
    const street = await f.createUnit(database.db, district, 'street')
    const community = await f.createUnit(database.db, street, 'community')
    const branch = await f.createUnit(database.db, community, 'branch')
    const out: Seeded['members'] = []
    for (let i = 0; i < members; i++) {
      const memberId = await f.createMember(database.db, branch)
      const username = f.uniq('rel_member')
      const userId = await f.createUser(database.db, { username, memberId, grants: [['member', branch]] })
      out.push({ memberId, userId, username })
    }
    return { community, branch, members: out }
  } finally {
    await database.close()
  }
}

// ---------------------------------------------------------------- a steady mixed load for fault tests

export interface LoadRecord {
  kind: 'read' | 'write'
  memberId: string
  key?: string
  body?: { memberId: string; amount: string; reason: string }
  /** 0: no HTTP answer at all (connection reset, or no answer within the client timeout). */
  status: number
  answer?: unknown
  start: number
  end: number
}

/**
 * `workers` loops, each alternating a balance read and a one-cent keyed adjustment on one of `memberIds`,
 * until stop() (bounded: each request gives up after `timeoutMs`). Times are Date.now() milliseconds.
 */
export function startLoad(
  base: string,
  opts: { token: string; memberIds: string[]; workers: number; prefix: string; timeoutMs?: number },
) {
  const records: LoadRecord[] = []
  let stopped = false
  let n = 0
  const worker = async (w: number) => {
    for (let i = 0; !stopped; i++) {
      const memberId = opts.memberIds[(w + i) % opts.memberIds.length]!
      const start = Date.now()
      const rec: LoadRecord =
        i % 2 === 0
          ? { kind: 'read', memberId, status: 0, start, end: 0 }
          : (() => {
              const key = `${opts.prefix}-${n++}`
              return {
                kind: 'write' as const,
                memberId,
                key,
                body: { memberId, amount: '0.01', reason: key },
                status: 0,
                start,
                end: 0,
              }
            })()
      try {
        const r =
          rec.kind === 'read'
            ? await call(base, 'GET', `/api/v1/members/${memberId}/balance`, {
                token: opts.token,
                timeoutMs: opts.timeoutMs,
              })
            : await call(base, 'POST', '/api/v1/ledger/adjustments', {
                token: opts.token,
                key: rec.key,
                body: rec.body,
                timeoutMs: opts.timeoutMs,
              })
        rec.status = r.status
        rec.answer = r.body
      } catch (err) {
        rec.answer = String(err)
        // Keep a refused connection from spinning: the tests never expect one.
        await sleep(20)
      }
      rec.end = Date.now()
      records.push(rec)
    }
  }
  const running = Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w)))
  return {
    records,
    async stop(): Promise<LoadRecord[]> {
      stopped = true
      await running
      return records
    },
  }
}

/**
 * Heap in use right after a full garbage collection, in bytes, through the inspector of a server started with
 * `inspectPort`: unlike RSS it does not rise and fall with the collector, so growth here is memory kept.
 */
export async function heapAfterGc(inspectPort: number): Promise<number> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as {
    webSocketDebuggerUrl: string
  }[]
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl)
  await new Promise((ok, fail) => {
    ws.addEventListener('open', ok, { once: true })
    ws.addEventListener('error', fail, { once: true })
  })
  let id = 0
  const send = (method: string) =>
    new Promise<Record<string, unknown>>((ok, fail) => {
      const mine = ++id
      const timer = setTimeout(() => fail(new Error(`inspector: no answer to ${method}`)), 30_000)
      const onMessage = (e: MessageEvent) => {
        const m = JSON.parse(String(e.data)) as { id?: number; result?: Record<string, unknown> }
        if (m.id !== mine) return
        clearTimeout(timer)
        ws.removeEventListener('message', onMessage)
        ok(m.result ?? {})
      }
      ws.addEventListener('message', onMessage)
      ws.send(JSON.stringify({ id: mine, method }))
    })
  try {
    await send('HeapProfiler.collectGarbage')
    return Number((await send('Runtime.getHeapUsage')).usedSize)
  } finally {
    ws.close()
  }
}
