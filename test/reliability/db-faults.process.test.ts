import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_PASSWORD,
  type Answer,
  type Cluster,
  call,
  killAllServers,
  type LoadRecord,
  login,
  report,
  type Seeded,
  type ServerProcess,
  seed,
  serverBackends,
  sleep,
  startCluster,
  startLoad,
  startServer,
  until,
} from './harness'

/**
 * The real server on a private PostgreSQL cluster that these tests break on purpose: backends terminated,
 * the cluster stopped and started again, backends frozen with SIGSTOP. The shared cluster is never touched.
 */

const CLUSTER_PORT = 4220
const SERVER_PORT = 4221
const DB = 'vp_rel_faults'
const STATEMENT_TIMEOUT_MS = 1000
const POOL = 5

let cluster: Cluster | undefined
let dbUrl: string
let server: ServerProcess
let world: Seeded
let admin: string
const writes = new Map<string, LoadRecord>()

beforeAll(async () => {
  cluster = await startCluster(CLUSTER_PORT)
  dbUrl = await cluster.createDatabase(DB)
  server = await startServer({
    port: SERVER_PORT,
    databaseUrl: dbUrl,
    name: 'faults',
    env: {
      STATEMENT_TIMEOUT_MS: String(STATEMENT_TIMEOUT_MS),
      DB_POOL_SIZE: String(POOL),
      // One admin token drives the whole load: the per-caller budget is not what these tests are about.
      RATE_LIMIT_MAX: '1000000',
    },
  })
  world = await seed(dbUrl, 4)
  admin = await login(server.base, 'admin', ADMIN_PASSWORD)
})

afterAll(async () => {
  await killAllServers()
  await cluster?.destroy()
})

const memberIds = () => world.members.map((m) => m.memberId)

/** Every answer under a fault is a true success or a 503 `unavailable` problem: never a 500, never silence. */
function expectOnlyTrueSuccessOr503(records: LoadRecord[]) {
  const wrong = records.filter(
    (r) =>
      !(
        (r.kind === 'read' && r.status === 200) ||
        (r.kind === 'write' && r.status === 201) ||
        (r.status === 503 && (r.answer as { code?: string })?.code === 'unavailable')
      ),
  )
  expect(wrong.map((r) => ({ kind: r.kind, status: r.status, answer: r.answer }))).toEqual([])
  for (const r of records) {
    if (r.kind === 'read' && r.status === 200) expect(r.answer).toMatchObject({ memberId: r.memberId })
    if (r.kind === 'write' && r.status === 201)
      expect(r.answer).toMatchObject({ memberId: r.memberId, kind: 'adjustment' })
  }
}

/**
 * Retries every write that was not acknowledged, with its key and body, until acknowledged (bounded); then
 * checks in the database that each write of the file exists exactly once, as acknowledged, that each balance
 * is one cent per write, and that verifyLedger finds nothing wrong.
 */
async function settleAndCheckWrites(records: LoadRecord[]): Promise<{ retried: number; replayed: number }> {
  let retried = 0
  let replayed = 0
  for (const r of records) if (r.kind === 'write') writes.set(r.key!, r)
  for (const r of records) {
    if (r.kind !== 'write' || r.status === 201) continue
    retried++
    let a: Answer | undefined
    for (let i = 0; i < 20 && a?.status !== 201; i++) {
      if (i) await sleep(100)
      a = await call(server.base, 'POST', '/api/v1/ledger/adjustments', {
        token: admin,
        key: r.key,
        body: r.body,
      })
    }
    expect(a?.status).toBe(201)
    if (a!.headers.get('idempotent-replayed') === 'true') replayed++
    r.status = 201
    r.answer = a!.body
  }
  const c = new pg.Client({ connectionString: dbUrl })
  await c.connect()
  try {
    const found = await c.query<{ reason: string; n: string; id: string }>(
      `select reason, count(*) as n, min(id::text) as id from ledger_transactions
       where kind = 'adjustment' group by reason`,
    )
    const byKey = new Map(found.rows.map((x) => [x.reason, x]))
    for (const [key, r] of writes) {
      expect(Number(byKey.get(key)?.n), `${key} applied once`).toBe(1)
      expect(byKey.get(key)?.id).toBe((r.answer as { id: string }).id)
    }
    expect(found.rows.length).toBe(writes.size)
  } finally {
    await c.end()
  }
  for (const memberId of memberIds()) {
    const cents = [...writes.values()].filter((w) => w.memberId === memberId).length
    const b = await call(server.base, 'GET', `/api/v1/members/${memberId}/balance`, { token: admin })
    expect((b.body as { balance: string }).balance).toBe(
      `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
    )
  }
  const verify = await call(server.base, 'GET', `/api/v1/ledger/verify?orgUnitId=${world.branch}`, {
    token: admin,
  })
  expect(verify.body).toMatchObject({ ok: true, problems: [] })
  return { retried, replayed }
}

async function terminateServerBackends(): Promise<number> {
  const c = new pg.Client({ connectionString: cluster!.url() })
  await c.connect()
  try {
    const r = await c.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and application_name = 'volunteer-points'`,
      [DB],
    )
    return r.rowCount ?? 0
  } finally {
    await c.end()
  }
}

describe('database faults under the real server process', () => {
  it("pg_terminate_backend on all the server's connections under load: the process survives, in-flight requests get 503 or a true answer, and it recovers within 2 s", async () => {
    const pid = server.pid
    const load = startLoad(server.base, {
      token: admin,
      memberIds: memberIds(),
      workers: 12,
      prefix: 'term',
      timeoutMs: 10_000,
    })
    await sleep(1500)
    const killedAt = Date.now()
    const killed = await terminateServerBackends()
    await sleep(2500)
    const records = await load.stop()

    expect(killed).toBeGreaterThan(0)
    expect(server.alive()).toBe(true)
    expect(server.pid).toBe(pid)
    expectOnlyTrueSuccessOr503(records)
    const failed = records.filter((r) => r.status === 503)
    const lastFailureEnd = Math.max(killedAt, ...failed.map((r) => r.end))
    // Recovered: nothing fails once 2 s have passed since the kill, and requests did succeed after it.
    expect(lastFailureEnd - killedAt).toBeLessThan(2000)
    expect(
      records.filter((r) => r.start > killedAt + 2000).every((r) => r.status === 200 || r.status === 201),
    ).toBe(true)
    expect(records.some((r) => r.start > lastFailureEnd && r.status === 200)).toBe(true)
    const { retried, replayed } = await settleAndCheckWrites(records)

    report('pg_terminate_backend under load', {
      backendsKilled: killed,
      requests: records.length,
      answered503: failed.length,
      lastFailureAfterKillMs: lastFailureEnd - killedAt,
      firstSuccessAfterKillMs:
        Math.min(...records.filter((r) => r.start >= killedAt && r.status < 300).map((r) => r.end)) -
        killedAt,
      writesRetried: retried,
      retriedWritesThatHadCommitted: replayed,
    })
  })

  it('PostgreSQL stopped and started under load: /readyz 503 while down, requests 503 within a bound, recovery without restarting the server', async () => {
    const pid = server.pid
    const load = startLoad(server.base, {
      token: admin,
      memberIds: memberIds(),
      workers: 12,
      prefix: 'restart',
      timeoutMs: 15_000,
    })
    await sleep(1000)
    const stopAt = Date.now()
    await cluster!.stop()
    const downAt = Date.now()
    const readyWhileDown: Answer[] = []
    while (Date.now() - downAt < 2500) {
      readyWhileDown.push(await call(server.base, 'GET', '/readyz', { timeoutMs: 5000 }))
      await sleep(200)
    }
    const startAt = Date.now()
    await cluster!.start()
    const upAt = Date.now()
    const readyAfterMs = await until(
      async () => (await call(server.base, 'GET', '/readyz', { timeoutMs: 3000 })).status === 200,
      10_000,
      '/readyz after PostgreSQL came back',
    )
    await sleep(2000)
    const records = await load.stop()

    expect(server.alive()).toBe(true)
    expect(server.pid).toBe(pid)
    expect(readyWhileDown.length).toBeGreaterThan(3)
    for (const r of readyWhileDown) {
      expect(r.status).toBe(503)
      expect((r.body as { code: string }).code).toBe('unavailable')
      expect(r.ms).toBeLessThan(2500)
    }
    expectOnlyTrueSuccessOr503(records)
    const duringDown = records.filter((r) => r.start >= downAt && r.end <= startAt)
    expect(duringDown.length).toBeGreaterThan(0)
    expect(duringDown.every((r) => r.status === 503)).toBe(true)
    // Never a hang: while down, a request is refused at once (no connection) or after the connect timeout (5 s).
    const slowest = Math.max(...records.map((r) => r.end - r.start))
    expect(slowest).toBeLessThan(6000)
    const firstSuccess = Math.min(
      ...records.filter((r) => r.start >= upAt && r.status < 300).map((r) => r.end),
    )
    expect(firstSuccess - upAt).toBeLessThan(5000)
    const { retried, replayed } = await settleAndCheckWrites(records)

    report('PostgreSQL restart under load', {
      stopTookMs: downAt - stopAt,
      downForMs: startAt - downAt,
      startTookMs: upAt - startAt,
      readyz503WhileDown: readyWhileDown.length,
      requests: records.length,
      answered503: records.filter((r) => r.status === 503).length,
      slowestAnswerMs: slowest,
      readyz200AfterStartMs: readyAfterMs,
      firstSuccessAfterStartMs: firstSuccess - upAt,
      writesRetried: retried,
      retriedWritesThatHadCommitted: replayed,
    })
  })

  it('a stalled database (its backends SIGSTOPped) answers 503 within the statement timeout, and recovers after SIGCONT', async () => {
    // Fill the pool with idle connections, so the next requests are handed a frozen one.
    for (let i = 0; i < 3; i++)
      await Promise.all(
        Array.from({ length: POOL }, () =>
          call(server.base, 'GET', `/api/v1/members/${memberIds()[0]}/balance`, { token: admin }),
        ),
      )
    const backends = await serverBackends(cluster!.url(), DB)
    expect(backends.length).toBeGreaterThan(0)
    // statement timeout + the client-side margin (1 s, src/db/client.ts) + 1 s of slack for a busy machine.
    const bound = STATEMENT_TIMEOUT_MS + 2000
    const key = 'stall-write-1'
    const writeBody = { memberId: memberIds()[1]!, amount: '0.01', reason: key }
    let read: Answer
    let write: Answer
    let health: Answer
    for (const p of backends) process.kill(p, 'SIGSTOP')
    try {
      ;[read, write, health] = await Promise.all([
        call(server.base, 'GET', `/api/v1/members/${memberIds()[0]}/balance`, {
          token: admin,
          timeoutMs: 15_000,
        }),
        call(server.base, 'POST', '/api/v1/ledger/adjustments', {
          token: admin,
          key,
          body: writeBody,
          timeoutMs: 15_000,
        }),
        call(server.base, 'GET', '/healthz', { timeoutMs: 15_000 }),
      ])
    } finally {
      for (const p of backends) process.kill(p, 'SIGCONT')
    }
    expect(health.status).toBe(200)
    for (const r of [read, write]) {
      expect(r.status).toBe(503)
      expect((r.body as { code: string }).code).toBe('unavailable')
      expect(r.ms).toBeLessThan(bound)
    }
    const recoveredMs = await until(
      async () =>
        (
          await call(server.base, 'GET', `/api/v1/members/${memberIds()[0]}/balance`, {
            token: admin,
            timeoutMs: 3000,
          })
        ).status === 200,
      5000,
      'a read after SIGCONT',
    )
    const rec: LoadRecord = {
      kind: 'write',
      memberId: writeBody.memberId,
      key,
      body: writeBody,
      status: write.status,
      start: 0,
      end: 0,
    }
    const { replayed } = await settleAndCheckWrites([rec])

    report('stalled database (SIGSTOP)', {
      statementTimeoutMs: STATEMENT_TIMEOUT_MS,
      frozenBackends: backends.length,
      read503AfterMs: Math.round(read.ms),
      write503AfterMs: Math.round(write.ms),
      healthzMs: Math.round(health.ms),
      firstReadAfterSigcontMs: recoveredMs,
      stalledWriteHadCommitted: replayed === 1,
    })
  })
})
