import { randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { buildApp } from '../../src/app'
import { ConfigError, loadConfig } from '../../src/config'
import { type Database, one, openDatabase, sql } from '../../src/db/client'
import { READ_POOL_OPERATIONS } from '../../src/plugins/db'
import { parsePiiKey } from '../../src/shared/pii'
import { buildTestApp, TEST_JWT_SECRET, TEST_PII_KEY, type TestApp } from '../helpers/app'
import { testDatabaseUrl } from '../helpers/db'
import { createWorld, TEST_PASSWORD, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { stockedReward } from '../helpers/rewards'
import { thisYear, yearEnd, yearStart } from '../helpers/scoring'

// DATABASE_READ_URL (docs/scaling.md): the report and list operations of READ_POOL_OPERATIONS read a second pool
// (read-only sessions, application_name volunteer-points-read); everything else, and all of them without it,
// reads the primary. Each claim is checked against real PostgreSQL: the pool a request used is counted, the
// second pool is seen in pg_stat_activity, a read pool that cannot connect fails exactly the listed operations,
// and a "replica" frozen at a snapshot shows which answers come from where.

const READ_APP = 'volunteer-points-read'

/** Counts the connections each pool hands out (pool.query and transactions both check one out). */
function counted(database: Database) {
  let n = 0
  database.pool!.on('acquire', () => {
    n++
  })
  return { reset: () => (n = 0), get: () => n }
}

function readPool(url: string, poolSize = 1): Promise<Database> {
  return openDatabase({
    databaseUrl: url,
    timezone: 'Asia/Shanghai',
    poolSize,
    applicationName: READ_APP,
    readOnly: true,
  })
}

type Req = {
  method: 'GET' | 'POST'
  url: string
  as: string
  headers?: Record<string, string>
  payload?: unknown
}

/** One request per operation that reads the read pool, each answering 200 on the world below. */
function readOperations(w: World, rewardId: string): Record<string, Req> {
  const y = thisYear()
  const A = w.branchA
  const sec = w.secretaryA
  const get = (url: string, as = sec): Req => ({ method: 'GET', url: `/api/v1${url}`, as })
  const period = `orgUnitId=${A}&from=${yearStart()}&to=${yearEnd()}`
  return {
    getRanking: get(`/reports/ranking?orgUnitId=${A}&year=${y}`),
    exportRankingCsv: get(`/reports/ranking.csv?orgUnitId=${A}&year=${y}`),
    getRankingPdf: get(`/reports/ranking.pdf?orgUnitId=${A}&year=${y}`),
    getStandings: get(`/reports/standings?orgUnitId=${A}&year=${y}`),
    exportStandingsCsv: get(`/reports/standings.csv?orgUnitId=${A}&year=${y}`),
    getStandingsPdf: get(`/reports/standings.pdf?orgUnitId=${A}&year=${y}`),
    getMyStanding: get(`/me/standing?year=${y}`, w.memberA.userId),
    getSummary: get(`/reports/summary?${period}`),
    exportSummaryCsv: get(`/reports/summary.csv?${period}`),
    getHoursPointsByTeam: get(`/reports/by-team?${period}`),
    exportHoursPointsByTeamCsv: get(`/reports/by-team.csv?${period}`),
    getHoursPointsByActivity: get(`/reports/by-activity?${period}`),
    exportHoursPointsByActivityCsv: get(`/reports/by-activity.csv?${period}`),
    getMonthlyTotals: get(`/reports/monthly?orgUnitId=${A}&year=${y}`),
    exportMonthlyTotalsCsv: get(`/reports/monthly.csv?orgUnitId=${A}&year=${y}`),
    getRedemptionsByReward: get(`/reports/redemptions-by-reward?${period}`),
    exportRedemptionsByRewardCsv: get(`/reports/redemptions-by-reward.csv?${period}`),
    listInactiveMembers: get(`/reports/inactive-members?orgUnitId=${A}&year=${y}`),
    exportInactiveMembersCsv: get(`/reports/inactive-members.csv?orgUnitId=${A}&year=${y}`),
    getDualRegistrationReport: get(`/reports/dual-registration?${period}`),
    exportDualRegistrationReportCsv: get(`/reports/dual-registration.csv?${period}`),
    getDualRegistrationReportPdf: get(`/reports/dual-registration.pdf?${period}`),
    exportMembersCsv: get(`/members.csv?orgUnitId=${A}`),
    exportAppraisalsCsv: get(`/appraisals.csv?orgUnitId=${A}&year=${y}`),
    listAuditEvents: get(`/audit-events?orgUnitId=${A}`, w.admin),
    listStockMovements: get(`/rewards/${rewardId}/stock`, w.clerkA),
  }
}

/**
 * Operations that must never read the read pool: the balance, the member's own history, whatever a write follows
 * or decides on, idempotent writes and their replays, authentication. (Each answers 2xx on the world below.)
 */
function primaryOperations(w: World, rewardId: string, key: string): Record<string, Req> {
  const m = w.memberA.memberId
  const get = (url: string, as: string): Req => ({ method: 'GET', url: `/api/v1${url}`, as })
  return {
    getMe: get('/me', w.memberA.userId),
    getBalance: get(`/members/${m}/balance`, w.memberA.userId),
    listMemberLedger: get(`/members/${m}/ledger`, w.memberA.userId),
    getMember: get(`/members/${m}`, w.secretaryA),
    listMembers: get(`/members?orgUnitId=${w.branchA}`, w.secretaryA),
    listAppraisals: get(`/appraisals?orgUnitId=${w.branchA}&year=${thisYear()}`, w.secretaryA),
    getReward: get(`/rewards/${rewardId}`, w.memberA.userId),
    listRewards: get('/rewards', w.memberA.userId),
    listRedemptions: get(`/redemptions?memberId=${m}`, w.memberA.userId),
    createAdjustment: {
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': key },
      payload: { memberId: m, amount: '1.00', reason: 'read-pool test' },
    },
    // the same key again: the stored answer, replayed from the primary
    createAdjustmentReplay: {
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': key },
      payload: { memberId: m, amount: '1.00', reason: 'read-pool test' },
    },
  }
}

const call = (t: { app: FastifyInstance }, r: Req) =>
  t.app.inject({
    method: r.method,
    url: r.url,
    payload: r.payload as Record<string, unknown> | undefined,
    headers: { authorization: `Bearer ${t.app.signAccessToken(r.as)}`, ...r.headers },
  })

describe('DATABASE_READ_URL in the configuration', () => {
  const base = { JWT_SECRET: 'x'.repeat(32), PII_KEY: TEST_PII_KEY }
  it('is optional, and read when DATABASE_URL is set', () => {
    const url = 'postgres://u@127.0.0.1:5432/points'
    expect(loadConfig({ ...base, DATABASE_URL: url }).databaseReadUrl).toBeUndefined()
    const replica = 'postgres://reader@10.0.0.2:5432/points'
    expect(loadConfig({ ...base, DATABASE_URL: url, DATABASE_READ_URL: replica }).databaseReadUrl).toBe(
      replica,
    )
  })
  it('is refused without DATABASE_URL, or when it is not a PostgreSQL URL', () => {
    expect(() =>
      loadConfig({ DATABASE_READ_URL: 'postgres://r@h/p', DATA_DIR: '/tmp/vp-read-pool-cfg' }),
    ).toThrow(/DATABASE_READ_URL: needs DATABASE_URL/)
    expect(() =>
      loadConfig({ ...base, DATABASE_URL: 'postgres://u@h/p', DATABASE_READ_URL: 'mysql://r@h/p' }),
    ).toThrow(ConfigError)
  })
  it('REDEMPTION_SWEEP_SECONDS defaults to a minute', () => {
    const cfg = { ...base, DATABASE_URL: 'postgres://u@h/p' }
    expect(loadConfig(cfg).redemptionSweepSeconds).toBe(60)
    expect(loadConfig({ ...cfg, REDEMPTION_SWEEP_SECONDS: '2' }).redemptionSweepSeconds).toBe(2)
    expect(() => loadConfig({ ...cfg, REDEMPTION_SWEEP_SECONDS: '0' })).toThrow(/REDEMPTION_SWEEP_SECONDS/)
  })
})

describe('a read pool on the same database (another application_name, read-only sessions)', () => {
  let t: TestApp
  let reader: Database
  let w: World
  let rewardId: string
  let primary: ReturnType<typeof counted>
  let read: ReturnType<typeof counted>

  beforeAll(async () => {
    reader = await readPool(await testDatabaseUrl())
    t = await buildTestApp({ readDatabase: reader })
    w = await createWorld(t.db)
    await award(t.db, w.memberA.memberId, 1000)
    rewardId = (await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '1.00', stock: 3 })).id
    primary = counted(t.database)
    read = counted(reader)
  })
  afterAll(async () => {
    await t.app.close()
    await reader.close()
  })

  it('the app reads the second pool for the listed operations, every one of which is served', () => {
    expect(t.app.readDb).toBe(reader.db)
    expect(t.app.readDb).not.toBe(t.app.db)
    const doc = t.app.swagger() as { paths: Record<string, Record<string, { operationId?: string }>> }
    const gets = new Set(
      Object.values(doc.paths).flatMap((ops) => (ops.get?.operationId ? [ops.get.operationId] : [])),
    )
    // only reads, and each one served (a renamed operation must be renamed here too)
    expect(READ_POOL_OPERATIONS.filter((op) => !gets.has(op))).toEqual([])
    expect(Object.keys(readOperations(w, rewardId)).sort()).toEqual([...READ_POOL_OPERATIONS].sort())
  })

  for (const operation of READ_POOL_OPERATIONS) {
    it(`${operation} reads the read pool`, async () => {
      const req = readOperations(w, rewardId)[operation]!
      // first as a warm-up (the caller's grants are read once, from the primary), then counted
      await call(t, req)
      read.reset()
      const res = await call(t, req)
      expect(res.statusCode, res.body.slice(0, 300)).toBe(200)
      expect(read.get()).toBeGreaterThan(0)
    })
  }

  it('the primary alone serves the balance, history, lists, writes, replays and logins', async () => {
    const key = `read-pool-${randomUUID()}`
    const used: Record<string, [number, number]> = {}
    for (const [operation, req] of Object.entries(primaryOperations(w, rewardId, key))) {
      read.reset()
      primary.reset()
      const res = await call(t, req)
      expect(res.statusCode, `${operation}: ${res.body.slice(0, 300)}`).toBeLessThan(300)
      used[operation] = [primary.get(), read.get()]
    }
    const username = (await one<{ username: string }>(
      t.db,
      sql`select username from users where id = ${w.memberA.userId}`,
    ))!.username
    read.reset()
    primary.reset()
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password: TEST_PASSWORD },
    })
    expect(login.statusCode).toBe(200)
    used.login = [primary.get(), read.get()]
    for (const [operation, [onPrimary, onRead]] of Object.entries(used)) {
      expect({ operation, onRead }).toEqual({ operation, onRead: 0 })
      expect(onPrimary, operation).toBeGreaterThan(0)
    }
  })

  it('pg_stat_activity shows the ranking’s statement on the read pool’s own session', async () => {
    // The rollup the ranking reads is locked from another session: the request waits, and the waiting session,
    // seen from outside, is the read pool's (its application_name) running the ranking's read of the rollup.
    const admin = new pg.Client({ connectionString: await testDatabaseUrl() })
    await admin.connect()
    try {
      await admin.query('begin')
      await admin.query('lock table report_member_years in access exclusive mode')
      const answer = call(t, readOperations(w, rewardId).getRanking!)
      let waiting: { application_name: string; query: string }[] = []
      for (let i = 0; i < 200 && waiting.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20))
        waiting = (
          await admin.query(
            `select application_name, query from pg_stat_activity
              where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()`,
          )
        ).rows
      }
      await admin.query('rollback')
      expect(waiting).toHaveLength(1)
      expect(waiting[0]!.application_name).toBe(READ_APP)
      expect(waiting[0]!.query).toMatch(/from report_member_years/)
      expect((await answer).statusCode).toBe(200)
    } finally {
      await admin.end()
    }
    // and its sessions are read-only: a write sent there by mistake fails instead of landing on a replica
    await expect(
      reader.pool!.query(`update members set phone = phone where id = $1`, [w.memberA.memberId]),
    ).rejects.toMatchObject({ code: '25006' })
  })
})

describe('a read pool that cannot connect', () => {
  let t: TestApp
  let reader: Database
  let w: World
  let rewardId: string

  beforeAll(async () => {
    // nothing listens on port 1: every checkout fails at once with ECONNREFUSED
    reader = await readPool('postgres://postgres@127.0.0.1:1/nowhere')
    t = await buildTestApp({ readDatabase: reader })
    w = await createWorld(t.db)
    await award(t.db, w.memberA.memberId, 1000)
    rewardId = (await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '1.00', stock: 3 })).id
  })
  afterAll(async () => {
    await t.app.close()
    await reader.close()
  })

  it('fails exactly the listed operations (503, retry later), and nothing else', async () => {
    const reads: Record<string, number> = {}
    for (const [operation, req] of Object.entries(readOperations(w, rewardId)))
      reads[operation] = (await call(t, req)).statusCode
    expect(
      Object.values(reads).every((s) => s === 503),
      JSON.stringify(reads),
    ).toBe(true)
    const others: Record<string, number> = {}
    for (const [operation, req] of Object.entries(primaryOperations(w, rewardId, `down-${randomUUID()}`)))
      others[operation] = (await call(t, req)).statusCode
    expect(
      Object.values(others).every((s) => s < 300),
      JSON.stringify(others),
    ).toBe(true)
    // readiness is the primary's: one replica down must not take every API process out of the balancer
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
  })
})

describe('without DATABASE_READ_URL', () => {
  let t: TestApp
  let w: World

  beforeAll(async () => {
    t = await buildTestApp()
    w = await createWorld(t.db)
  })
  afterAll(() => t.app.close())

  it('every operation reads the primary', async () => {
    expect(t.app.readDatabase).toBeUndefined()
    expect(t.app.readDb).toBe(t.app.db)
    const primary = counted(t.database)
    const req = readOperations(w, randomUUID()).getSummary!
    await call(t, req)
    primary.reset()
    expect((await call(t, req)).statusCode).toBe(200)
    expect(primary.get()).toBeGreaterThan(0)
  })
})

describe('a lagging replica: a copy of the database frozen before the last writes', () => {
  // Two databases of this run's template: the primary, and after the first award a copy of it standing in for a
  // replica that has not replayed what follows. Reports answer the copy's figures, the balance the primary's.
  const base = inject('databaseUrl')
  const suffix = randomBytes(4).toString('hex')
  const names = { primary: `vp_t_rp_${suffix}`, replica: `vp_t_rr_${suffix}` }
  const urlOf = (name: string) => {
    const u = new URL(base)
    u.pathname = `/${name}`
    return u.toString()
  }
  const admin = new pg.Client({ connectionString: base })
  let primary: Database
  let reader: Database
  let app: FastifyInstance
  let w: World

  beforeAll(async () => {
    await admin.connect()
    await admin.query(`create database ${names.primary} template ${inject('templateDb')}`)
    const seeding = await openDatabase({ databaseUrl: urlOf(names.primary), timezone: 'Asia/Shanghai' })
    w = await createWorld(seeding.db)
    await award(seeding.db, w.memberA.memberId, 1000)
    await seeding.close()
    await admin.query(`create database ${names.replica} template ${names.primary}`)
    primary = await openDatabase({ databaseUrl: urlOf(names.primary), timezone: 'Asia/Shanghai' })
    reader = await readPool(urlOf(names.replica), 2)
    app = await buildApp({
      database: primary,
      readDatabase: reader,
      jwtSecret: TEST_JWT_SECRET,
      timezone: 'Asia/Shanghai',
      rateLimitMax: 1_000_000,
      maxEventLoopDelayMs: 0,
      piiKeys: [parsePiiKey(TEST_PII_KEY)],
    })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await primary?.close()
    await reader?.close()
    for (const name of Object.values(names)) await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  })

  it('reports lag, while the balance, the history and the writes stay current', async () => {
    const as = (userId: string) => ({ authorization: `Bearer ${app.signAccessToken(userId)}` })
    const adjust = await app.inject({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      headers: { ...as(w.secretaryA), 'idempotency-key': `lag-${suffix}` },
      payload: { memberId: w.memberA.memberId, amount: '5.00', reason: 'after the snapshot' },
    })
    expect(adjust.statusCode).toBe(201)
    const balance = await app.inject({
      method: 'GET',
      url: `/api/v1/members/${w.memberA.memberId}/balance`,
      headers: as(w.memberA.userId),
    })
    expect(balance.json().balance).toBe('15.00')
    const ledger = await app.inject({
      method: 'GET',
      url: `/api/v1/members/${w.memberA.memberId}/ledger`,
      headers: as(w.memberA.userId),
    })
    expect(ledger.json().items).toHaveLength(2)
    const ranking = await app.inject({
      method: 'GET',
      url: `/api/v1/reports/ranking?orgUnitId=${w.branchA}&year=${thisYear()}`,
      headers: as(w.secretaryA),
    })
    expect(ranking.statusCode).toBe(200)
    const row = ranking
      .json()
      .items.find((i: { memberId: string }) => i.memberId === w.memberA.memberId) as Record<string, string>
    // the replica's figure: the award before the snapshot, not the adjustment after it
    expect(row).toBeDefined()
    expect(JSON.stringify(row)).toContain('10.00')
    expect(JSON.stringify(row)).not.toContain('15.00')
    // the audit event of the adjustment is on the primary only: the list of history lags with the replica
    const audit = await app.inject({
      method: 'GET',
      url: `/api/v1/audit-events?targetId=${adjust.json().id}`,
      headers: as(w.admin),
    })
    expect(audit.statusCode).toBe(200)
    expect(audit.json().items).toEqual([])
  })
})
