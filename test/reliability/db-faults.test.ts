import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { createWorld, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp({ poolSize: 5 })
  w = await createWorld(t.db)
})

/** Connections checked out and never given back: a leak would slowly starve the pool after every fault. */
async function leakedClients(): Promise<number> {
  await new Promise((r) => setTimeout(r, 50))
  const pool = t.database.pool!
  return pool.totalCount - pool.idleCount
}

/** Kills every backend of this file's database except the killer's own (as a failover or a DBA would). */
async function killAppConnections(): Promise<number> {
  const killer = await openTestDatabase({ poolSize: 1 })
  const row = await one<{ n: string }>(
    killer.db,
    sql`select count(pg_terminate_backend(pid)) as n from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid()`,
  )
  await killer.close()
  return Number(row!.n)
}

describe('database connections killed under the server (pg_terminate_backend)', () => {
  it('the process survives, no request gets a false success, and it answers again at once', async () => {
    const balance = () =>
      t.call({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/balance`, as: w.memberA.userId })
    // Warm the pool so there are idle connections to kill (their 'error' events must not crash the process).
    const warm = await Promise.all(Array.from({ length: 10 }, balance))
    expect(warm.every((r) => r.statusCode === 200)).toBe(true)

    const inFlight = Array.from({ length: 20 }, balance)
    const killed = await killAppConnections()
    expect(killed).toBeGreaterThan(0)
    const during = await Promise.all(inFlight)
    for (const r of during) {
      // Either it finished before the kill (a true 200) or it says "retry" (503); never a 500 or a wrong body.
      expect([200, 503]).toContain(r.statusCode)
      if (r.statusCode === 200)
        expect(r.json()).toMatchObject({ memberId: w.memberA.memberId, balance: '0.00' })
      else expect(r.json().code).toBe('unavailable')
    }

    const started = Date.now()
    let after = await balance()
    while (after.statusCode !== 200 && Date.now() - started < 2000) after = await balance()
    expect(after.statusCode).toBe(200)
    expect(Date.now() - started).toBeLessThan(2000)
    expect((await t.call({ method: 'GET', url: '/readyz' })).statusCode).toBe(200)
    expect(await leakedClients()).toBe(0)
  })

  it('a write cut off mid-way is not half-written: a retry with the same key applies it exactly once', async () => {
    const adjust = () =>
      t.call({
        method: 'POST',
        url: '/api/v1/ledger/adjustments',
        as: w.secretaryA,
        headers: { 'idempotency-key': 'fault-adjust-1' },
        payload: { memberId: w.memberA.memberId, amount: '5.00', reason: 'volunteer drive' },
      })
    const inFlight = Array.from({ length: 5 }, adjust)
    await killAppConnections()
    const first = await Promise.all(inFlight)
    for (const r of first) expect([201, 503]).toContain(r.statusCode)
    let retry = await adjust()
    for (let i = 0; i < 20 && retry.statusCode === 503; i++) retry = await adjust()
    expect(retry.statusCode).toBe(201)
    const balance = await t.call({
      method: 'GET',
      url: `/api/v1/members/${w.memberA.memberId}/balance`,
      as: w.memberA.userId,
    })
    expect(balance.json().balance).toBe('5.00')
    expect(await leakedClients()).toBe(0)
  })
})
