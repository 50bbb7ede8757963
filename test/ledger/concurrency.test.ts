import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Database, type Db, one } from '../../src/db/client'
import { createRedemption } from '../../src/modules/rewards/redemptions'
import type { Caller } from '../../src/shared/authz'
import { buildTestApp, type TestApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { createMember, createMemberUser, createWorld, uniq, type World } from '../helpers/factories'
import { accountState, award, countTransactions, unbalancedTransactions } from '../helpers/ledger'
import { balance, endRedemption, redeem, reserveFor, stockedReward } from '../helpers/rewards'

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
const ctx = { timezone: 'Asia/Shanghai', holdDays: 7 }

/**
 * 50 redemptions at once against a balance that covers exactly K of them: the holds race in ledger_post's
 * conditional update (`balance - held >= amount`) on the one member account. Five rewards with stock for all,
 * so no reward's stock or row lock decides anything. `through` sends request i to the service on a pool
 * (createRedemption, as the route calls it) or to an app instance over HTTP.
 */
async function fiftyHolds(through: 'pools' | 'apps') {
  const member = await createMemberUser(pools[0]!.db, w.branchA)
  await award(pools[0]!.db, member.memberId, K * AMOUNT)
  const rewards = await Promise.all(
    Array.from({ length: 5 }, () =>
      stockedReward(apps[0]!, w.clerkA, w.communityA, { pointsCost: (AMOUNT / 100).toFixed(2), stock: 50 }),
    ),
  )
  const unit = await one<{ path: string }>(
    pools[0]!.db,
    sql`select path from org_units where id = ${w.branchA}`,
  )
  const caller: Caller = {
    userId: member.userId,
    username: member.userId,
    memberId: member.memberId,
    residentId: null,
    grants: [{ id: member.userId, role: 'member', orgUnitId: w.branchA, path: unit!.path }],
  }
  const outcomes = await Promise.all(
    Array.from({ length: 50 }, (_, i) => {
      const body = { memberId: member.memberId, rewardId: rewards[i % 5]!.id }
      if (through === 'apps') {
        return redeem(apps[i % 2]!, member.userId, body).then((r) =>
          r.statusCode === 201 ? 'ok' : `${r.statusCode} ${r.json().code}`,
        )
      }
      return createRedemption(pools[i % 2]!.db, caller, uniq('hold'), body, ctx).then(
        (r) => (r.status === 201 ? 'ok' : `${r.status}`),
        (err) => `${err.status} ${err.code}`,
      )
    }),
  )
  return { memberId: member.memberId, outcomes }
}

async function expectExactlyK(r: Awaited<ReturnType<typeof fiftyHolds>>, db: Db) {
  const tally: Record<string, number> = {}
  for (const o of r.outcomes) tally[o] = (tally[o] ?? 0) + 1
  expect(tally).toEqual({ ok: K, '422 insufficient_points': 50 - K })
  expect(await balance(db, r.memberId)).toEqual({
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
  it('50 redemptions through the service on separate connections of two pools: exactly K hold, available ends at 0.00', async () => {
    const r = await fiftyHolds('pools')
    await expectExactlyK(r, pools[0]!.db)
  })

  it('the same through two app instances on one database', async () => {
    const r = await fiftyHolds('apps')
    await expectExactlyK(r, apps[0]!.db)
  })

  it('concurrent awards and holds for different members never block each other into an error', async () => {
    const members = await Promise.all(Array.from({ length: 10 }, () => createMember(pools[0]!.db, w.branchA)))
    await Promise.all(members.map((m, i) => award(pools[i % 2]!.db, m, 100 + i)))
    for (const [i, m] of members.entries()) {
      expect((await balance(pools[0]!.db, m)).balance).toBe(100 + i)
    }
  })
})

describe('concurrent settlements of one hold', () => {
  it('10 fulfils and cancels at once: exactly one wins, the others get 409 invalid_state', async () => {
    const memberId = await createMember(pools[0]!.db, w.branchA)
    await award(pools[0]!.db, memberId, 2000)
    // Another outstanding hold keeps `held` above this hold's amount, so only the settlement guard
    // (not the held >= amount condition) can stop a second settlement.
    const other = await reserveFor(apps[0]!, w.clerkA, w.communityA, memberId, 600)
    expect(other.statusCode, other.body).toBe(201)
    const held = await reserveFor(apps[0]!, w.clerkA, w.communityA, memberId, 600)
    expect(held.statusCode, held.body).toBe(201)
    const redemptionId = held.json().id as string
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        endRedemption(apps[i % 2]!, w.clerkA, redemptionId, i % 2 ? 'cancel' : 'fulfil').then((r) =>
          r.statusCode === 200 ? 'ok' : `${r.statusCode} ${r.json().code}`,
        ),
      ),
    )
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1)
    expect(outcomes.filter((o) => o === '409 invalid_state')).toHaveLength(9)
    const settled = await one<{ n: string }>(
      pools[0]!.db,
      sql`select count(*) as n from ledger_transactions where reference_id = ${redemptionId} and kind in ('post','void')`,
    )
    expect(settled!.n).toBe('1')
    expect((await balance(pools[0]!.db, memberId)).held).toBe(600)
    expect(await unbalancedTransactions(pools[0]!.db, memberId)).toEqual([])
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
    expect((await balance(apps[0]!.db, memberId)).balance).toBe(725)
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
    expect((await balance(apps[0]!.db, memberId)).balance).toBe(0)
  })
})
