import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Database, type Db, one, transaction } from '../../src/db/client'
import { captureHold, getBalanceCents, holdPoints, releaseHold } from '../../src/modules/ledger/service'
import { buildTestApp, type TestApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { createMember, createWorld, uniq, type World } from '../helpers/factories'
import { accountState, award, countTransactions, unbalancedTransactions } from '../helpers/ledger'

let pools: Database[]
let apps: TestApp[]
let w: World

beforeAll(async () => {
  pools = [await openTestDatabase({ poolSize: 13 }), await openTestDatabase({ poolSize: 13 })]
  apps = [await buildTestApp({ poolSize: 6 }), await buildTestApp({ poolSize: 6 })]
  w = await createWorld(pools[0]!.db)
})

const AMOUNT = 300
const K = 17

/** 50 holds at once against a balance that covers exactly K of them, spread over the given handles. */
async function fiftyHolds(handles: Db[]) {
  const memberId = await createMember(handles[0]!, w.branchA)
  await award(handles[0]!, memberId, K * AMOUNT)
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) =>
      transaction(handles[i % handles.length]!, (tx) =>
        holdPoints(tx, null, {
          memberId,
          redemptionId: crypto.randomUUID(),
          amountCents: AMOUNT,
          memo: `hold ${i}`,
        }),
      ),
    ),
  )
  const ok = results.filter((r) => r.status === 'fulfilled')
  const refused = results.filter((r) => r.status === 'rejected')
  return { memberId, ok, refused }
}

async function expectExactlyK(r: Awaited<ReturnType<typeof fiftyHolds>>, db: Db) {
  expect(r.ok).toHaveLength(K)
  expect(r.refused).toHaveLength(50 - K)
  for (const f of r.refused) {
    expect((f as PromiseRejectedResult).reason).toMatchObject({ code: 'insufficient_points', status: 422 })
  }
  expect(await getBalanceCents(db, r.memberId)).toEqual({
    balance: K * AMOUNT,
    held: K * AMOUNT,
    available: 0,
    lifetimeEarned: K * AMOUNT,
  })
  expect(await countTransactions(db, r.memberId, 'hold')).toBe(K)
  expect(await accountState(db, r.memberId)).toMatchObject({ sumAmount: K * AMOUNT, sumHeld: K * AMOUNT })
  expect(await unbalancedTransactions(db, r.memberId)).toEqual([])
}

describe('concurrent holds', () => {
  it('50 holds through separate connections of two pools: exactly K succeed, available ends at 0.00', async () => {
    const r = await fiftyHolds(pools.map((p) => p.db))
    await expectExactlyK(r, pools[0]!.db)
  })

  it('the same through two app instances on one database', async () => {
    const r = await fiftyHolds(apps.map((a) => a.app.db))
    await expectExactlyK(r, apps[0]!.db)
  })

  it('concurrent awards and holds for different members never block each other into an error', async () => {
    const members = await Promise.all(Array.from({ length: 10 }, () => createMember(pools[0]!.db, w.branchA)))
    await Promise.all(members.map((m, i) => award(pools[i % 2]!.db, m, 100 + i)))
    for (const [i, m] of members.entries()) {
      expect((await getBalanceCents(pools[0]!.db, m)).balance).toBe(100 + i)
    }
  })
})

describe('concurrent settlements of one hold', () => {
  it('10 captures and releases at once: exactly one wins, the others get invalid_state in a usable transaction', async () => {
    const memberId = await createMember(pools[0]!.db, w.branchA)
    await award(pools[0]!.db, memberId, 2000)
    // Another outstanding hold keeps `held` above this hold's amount, so only the settlement guard
    // (not the held >= amount condition) can stop a second settlement.
    await transaction(pools[0]!.db, (tx) =>
      holdPoints(tx, null, { memberId, redemptionId: crypto.randomUUID(), amountCents: 600, memo: 'other' }),
    )
    const redemptionId = crypto.randomUUID()
    await transaction(pools[0]!.db, (tx) =>
      holdPoints(tx, null, { memberId, redemptionId, amountCents: 600, memo: 'hold' }),
    )
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        transaction(pools[i % 2]!.db, async (tx) => {
          try {
            if (i % 2) await releaseHold(tx, null, { redemptionId, memo: 'cancel' })
            else
              await captureHold(tx, null, { redemptionId, communityUnitId: w.communityA, memo: 'hand-over' })
          } catch (err) {
            // The refusal must leave the caller's transaction usable (no failed statement inside it).
            await tx.execute(sql`select 1`)
            return (err as { code?: string }).code
          }
          return 'ok'
        }),
      ),
    )
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1)
    expect(outcomes.filter((o) => o === 'invalid_state')).toHaveLength(9)
    const settled = await one<{ n: string }>(
      pools[0]!.db,
      sql`select count(*) as n from ledger_transactions where reference_id = ${redemptionId} and kind in ('post','void')`,
    )
    expect(settled!.n).toBe('1')
    expect((await getBalanceCents(pools[0]!.db, memberId)).held).toBe(600)
  })
})

describe('idempotency under concurrency', () => {
  it('the same Idempotency-Key sent 10 times at once gives one transaction and identical answers', async () => {
    const memberId = await createMember(apps[0]!.db, w.branchA)
    const key = uniq('same')
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        apps[i % 2]!.call({
          method: 'POST',
          url: '/api/v1/ledger/adjustments',
          as: w.secretaryA,
          headers: { 'idempotency-key': key },
          payload: { memberId, amount: '7.25', reason: '补录' },
        }),
      ),
    )
    expect(responses.map((r) => r.statusCode)).toEqual(Array(10).fill(201))
    expect(new Set(responses.map((r) => r.body)).size).toBe(1)
    expect(await countTransactions(apps[0]!.db, memberId)).toBe(1)
    expect((await getBalanceCents(apps[0]!.db, memberId)).balance).toBe(725)
    const audits = await one<{ n: string }>(
      apps[0]!.db,
      sql`select count(*) as n from audit_events where action = 'ledger.adjust' and target_id = ${responses[0]!.json().id}`,
    )
    expect(audits!.n).toBe('1')
  })

  it('10 concurrent reversals of one transaction with different keys: exactly one succeeds', async () => {
    const memberId = await createMember(apps[0]!.db, w.branchA)
    const original = await award(apps[0]!.db, memberId, 500)
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        apps[i % 2]!.call({
          method: 'POST',
          url: `/api/v1/ledger/transactions/${original}/reverse`,
          as: w.secretaryA,
          headers: { 'idempotency-key': uniq('rev') },
          payload: { reason: 'double' },
        }),
      ),
    )
    const codes = responses.map((r) => r.statusCode).sort()
    expect(codes).toEqual([201, ...Array(9).fill(409)])
    expect(await countTransactions(apps[0]!.db, memberId, 'reversal')).toBe(1)
    expect((await getBalanceCents(apps[0]!.db, memberId)).balance).toBe(0)
  })
})
