import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { createRedemption } from '../../src/modules/rewards/redemptions'
import type { Caller } from '../../src/shared/authz'
import { buildTestApp, type TestApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import {
  balance,
  givePoints,
  idemKey,
  redeem,
  redemptionStatuses,
  stockedReward,
  stockOf,
} from '../helpers/rewards'

// Two app instances, each with its own pool: two API processes on one database.
let one_: TestApp
let two: TestApp
let w: World

beforeAll(async () => {
  one_ = await buildTestApp({ poolSize: 12 })
  two = await buildTestApp({ poolSize: 12 })
  w = await createWorld(one_.db)
})

const ctx = { timezone: 'Asia/Shanghai', holdDays: 7 }
const app = (i: number) => (i % 2 === 0 ? one_ : two)
const codes = (results: { statusCode: number; json(): { code?: string } }[]) => {
  const out: Record<string, number> = {}
  for (const r of results) {
    const k = r.statusCode === 201 || r.statusCode === 200 ? String(r.statusCode) : (r.json().code ?? '?')
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

describe('concurrent redemptions across two API processes', () => {
  it('one member, a balance covering exactly K: exactly K reserved and available 0.00', async () => {
    const K = 4
    const member = await createMemberUser(one_.db, w.branchA)
    await givePoints(one_.db, member.memberId, K * 1_500)
    // Two rewards, so the race is decided by the ledger's conditional hold, not by one reward's row lock.
    const r1 = await stockedReward(one_, w.clerkA, w.communityA, { pointsCost: '15.00', stock: 50 })
    const r2 = await stockedReward(one_, w.clerkA, w.communityA, { pointsCost: '15.00', stock: 50 })
    const results = await Promise.all(
      Array.from({ length: 3 * K }, (_, i) =>
        redeem(app(i), i % 3 === 0 ? w.clerkA : member.userId, {
          memberId: member.memberId,
          rewardId: (i % 4 < 2 ? r1 : r2).id,
        }),
      ),
    )
    expect(codes(results)).toEqual({ '201': K, insufficient_points: 2 * K })
    expect(await balance(one_.db, member.memberId)).toMatchObject({
      balance: K * 1_500,
      held: K * 1_500,
      available: 0,
    })
    const s1 = await stockOf(one_.db, r1.id)
    const s2 = await stockOf(one_.db, r2.id)
    expect(s1.reserved + s2.reserved).toBe(K)
    const reservedRows = await one<{ n: string }>(
      one_.db,
      sql`select count(*) as n from redemptions where member_id = ${member.memberId} and status = 'reserved'`,
    )
    expect(Number(reservedRows!.n)).toBe(K)
  })

  it('many members racing for the last N units: exactly N reserved, the rest out_of_stock', async () => {
    const N = 3
    const members = await Promise.all(Array.from({ length: 10 }, () => createMemberUser(one_.db, w.branchA)))
    for (const m of members) await givePoints(one_.db, m.memberId, 5_000)
    const { id: rewardId } = await stockedReward(one_, w.clerkA, w.communityA, { stock: N })
    const results = await Promise.all(
      members.map((m, i) => redeem(app(i), m.userId, { memberId: m.memberId, rewardId })),
    )
    expect(codes(results)).toEqual({ '201': N, out_of_stock: members.length - N })
    expect(await stockOf(one_.db, rewardId)).toMatchObject({ stockOnHand: N, reserved: N, available: 0 })
    expect(await redemptionStatuses(one_.db, rewardId)).toEqual({ reserved: N })
    let held = 0
    for (const m of members) held += (await balance(one_.db, m.memberId)).held
    expect(held).toBe(N * 1_000)
  })

  it('one member racing past a yearly limit of L: exactly L reserved, the rest limit_reached', async () => {
    const L = 2
    const member = await createMemberUser(one_.db, w.branchA)
    await givePoints(one_.db, member.memberId, 10_000)
    const { id: rewardId } = await stockedReward(one_, w.clerkA, w.communityA, {
      stock: 20,
      perMemberLimit: L,
    })
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        redeem(app(i), member.userId, { memberId: member.memberId, rewardId }),
      ),
    )
    expect(codes(results)).toEqual({ '201': L, limit_reached: 8 - L })
    expect(await stockOf(one_.db, rewardId)).toMatchObject({ reserved: L })
  })

  it('the same Idempotency-Key sent to both processes at once reserves once and answers alike', async () => {
    const member = await createMemberUser(one_.db, w.branchA)
    await givePoints(one_.db, member.memberId, 10_000)
    const { id: rewardId } = await stockedReward(one_, w.clerkA, w.communityA, { stock: 20 })
    const key = `same-${rewardId}`
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        redeem(app(i), member.userId, { memberId: member.memberId, rewardId }, key),
      ),
    )
    expect(results.map((r) => r.statusCode)).toEqual(Array(6).fill(201))
    expect(new Set(results.map((r) => r.json().id)).size).toBe(1)
    expect(await redemptionStatuses(one_.db, rewardId)).toEqual({ reserved: 1 })
    expect(await balance(one_.db, member.memberId)).toMatchObject({ held: 1_000 })
  })

  it('the same race straight through the service on three separate pools: exactly N reserved', async () => {
    const pools = [one_.db, two.db, (await openTestDatabase({ poolSize: 6 })).db]
    const N = 2
    const { id: rewardId } = await stockedReward(one_, w.clerkA, w.communityA, { stock: N })
    const members = await Promise.all(Array.from({ length: 9 }, () => createMemberUser(one_.db, w.branchA)))
    for (const m of members) await givePoints(one_.db, m.memberId, 5_000)
    const unit = await one<{ path: string }>(one_.db, sql`select path from org_units where id = ${w.branchA}`)
    const outcomes = await Promise.all(
      members.map((m, i) => {
        const caller: Caller = {
          userId: m.userId,
          username: m.userId,
          memberId: m.memberId,
          residentId: null,
          grants: [{ id: m.userId, role: 'member', orgUnitId: w.branchA, path: unit!.path }],
        }
        return createRedemption(
          pools[i % 3]!,
          caller,
          `svc-${m.memberId}`,
          { memberId: m.memberId, rewardId },
          ctx,
        )
          .then((r) => String(r.status))
          .catch((err) => err.code as string)
      }),
    )
    const tally: Record<string, number> = {}
    for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1
    expect(tally).toEqual({ '201': N, out_of_stock: members.length - N })
    expect(await stockOf(one_.db, rewardId)).toMatchObject({ reserved: N, available: 0 })
  })

  it('fulfil racing cancel: one 200 and one 409 invalid_state for each redemption, never both', async () => {
    const member = await createMemberUser(one_.db, w.branchA)
    await givePoints(one_.db, member.memberId, 10_000)
    const { id: rewardId } = await stockedReward(one_, w.clerkA, w.communityA, { stock: 6 })
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const res = await redeem(one_, member.userId, { memberId: member.memberId, rewardId })
      expect(res.statusCode, res.body).toBe(201)
      ids.push(res.json().id)
    }
    const pairs = await Promise.all(
      ids.map((id, i) =>
        Promise.all([
          app(i).call({ method: 'POST', url: `/api/v1/redemptions/${id}/fulfil`, as: w.clerkA }),
          app(i + 1).call({ method: 'POST', url: `/api/v1/redemptions/${id}/cancel`, as: member.userId }),
        ]),
      ),
    )
    let fulfilled = 0
    for (const [fulfil, cancel] of pairs) {
      expect([fulfil!.statusCode, cancel!.statusCode].sort()).toEqual([200, 409])
      const loser = fulfil!.statusCode === 409 ? fulfil! : cancel!
      expect(loser.json().code).toBe('invalid_state')
      if (fulfil!.statusCode === 200) fulfilled++
    }
    const statuses = await redemptionStatuses(one_.db, rewardId)
    expect(statuses).toEqual({
      ...(fulfilled ? { fulfilled } : {}),
      ...(6 - fulfilled ? { cancelled: 6 - fulfilled } : {}),
    })
    expect(await stockOf(one_.db, rewardId)).toMatchObject({
      stockOnHand: 6 - fulfilled,
      reserved: 0,
      handedOut: fulfilled,
      available: 6 - fulfilled,
    })
    expect(await balance(one_.db, member.memberId)).toMatchObject({
      balance: 10_000 - fulfilled * 1_000,
      held: 0,
      available: 10_000 - fulfilled * 1_000,
    })
  })

  // Stock, points and the yearly limit have one owner, redemption_reserve: it locks the member's account and
  // the reward row, decides, then writes. These make it decide between two requests deterministically: both
  // pass the service's read (the reward row is locked by the test, not changed), then queue inside the
  // function (on the reward row, or behind each other on the member's account), and the one let through
  // second finds what the first took.
  async function whileRewardLocked<T>(rewardId: string, waiters: number, run: () => Promise<T>): Promise<T> {
    let out: Promise<T> | undefined
    await one_.db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from rewards where id = ${rewardId} for update`)
      out = run()
      for (let i = 0; ; i++) {
        const w = await one<{ n: string }>(
          two.db,
          sql`select count(*) as n from pg_stat_activity
              where wait_event_type = 'Lock' and query like '%redemption_reserve(%'`,
        )
        if (Number(w!.n) >= waiters) break
        if (i > 500) throw new Error('the reservations never queued on the reward row')
        await new Promise((r) => setTimeout(r, 10))
      }
    })
    return out!
  }

  it('a refusal decided under the locks answers out_of_stock, is kept under its key, writes nothing', async () => {
    const members = await Promise.all([0, 1].map(() => createMemberUser(one_.db, w.branchA)))
    for (const m of members) await givePoints(one_.db, m.memberId, 5_000)
    const { id: rewardId } = await stockedReward(one_, w.clerkA, w.communityA, { stock: 1 })
    const keys = members.map(() => idemKey())
    const results = await whileRewardLocked(rewardId, 2, () =>
      Promise.all(
        members.map((m, i) => redeem(app(i), m.userId, { memberId: m.memberId, rewardId }, keys[i])),
      ),
    )
    expect(codes(results)).toEqual({ '201': 1, out_of_stock: 1 })
    const lost = results.findIndex((r) => r.statusCode !== 201)
    const loser = members[lost]!
    expect(results[lost]!.statusCode).toBe(422)
    expect(results[lost]!.json()).toMatchObject({ code: 'out_of_stock', available: 0 })
    // Nothing of the loser's reservation remains: no redemption, no hold, no audit event.
    expect(await balance(one_.db, loser.memberId)).toMatchObject({ held: 0, available: 5_000 })
    const rows = await one<{ n: string }>(
      one_.db,
      sql`select count(*) as n from redemptions where member_id = ${loser.memberId}`,
    )
    expect(Number(rows!.n)).toBe(0)
    expect(await stockOf(one_.db, rewardId)).toMatchObject({ reserved: 1, available: 0 })
    // The refusal is the key's answer: a retry is refused alike, even after stock arrives.
    const received = await one_.call({
      method: 'POST',
      url: `/api/v1/rewards/${rewardId}/stock`,
      as: w.clerkA,
      headers: { 'idempotency-key': idemKey() },
      payload: { quantity: 1 },
    })
    expect(received.statusCode, received.body).toBeLessThan(300)
    const again = await redeem(two, loser.userId, { memberId: loser.memberId, rewardId }, keys[lost])
    expect(again.statusCode).toBe(422)
    expect(again.json()).toMatchObject({ code: 'out_of_stock', available: 0 })
    const fresh = await redeem(two, loser.userId, { memberId: loser.memberId, rewardId })
    expect(fresh.statusCode, fresh.body).toBe(201)
  })

  it('points spent meanwhile: the hold under the lock refuses insufficient_points and writes nothing', async () => {
    const member = await createMemberUser(one_.db, w.branchA)
    await givePoints(one_.db, member.memberId, 1_500)
    const r1 = await stockedReward(one_, w.clerkA, w.communityA, { pointsCost: '10.00', stock: 5 })
    const results = await whileRewardLocked(r1.id, 2, () =>
      Promise.all(
        [0, 1].map((i) => redeem(app(i), member.userId, { memberId: member.memberId, rewardId: r1.id })),
      ),
    )
    expect(codes(results)).toEqual({ '201': 1, insufficient_points: 1 })
    expect(await balance(one_.db, member.memberId)).toMatchObject({ held: 1_000, available: 500 })
    expect(await redemptionStatuses(one_.db, r1.id)).toEqual({ reserved: 1 })
    expect(await stockOf(one_.db, r1.id)).toMatchObject({ reserved: 1, available: 4 })
  })

  it('the yearly limit decided under the locks: limit_reached with its figures, nothing written', async () => {
    const member = await createMemberUser(one_.db, w.branchA)
    await givePoints(one_.db, member.memberId, 5_000)
    const { id: rewardId } = await stockedReward(one_, w.clerkA, w.communityA, {
      stock: 5,
      perMemberLimit: 1,
    })
    const keys = [idemKey(), idemKey()]
    const results = await whileRewardLocked(rewardId, 2, () =>
      Promise.all(
        [0, 1].map((i) => redeem(app(i), member.userId, { memberId: member.memberId, rewardId }, keys[i])),
      ),
    )
    expect(codes(results)).toEqual({ '201': 1, limit_reached: 1 })
    const lost = results.findIndex((r) => r.statusCode !== 201)
    expect(results[lost]!.statusCode).toBe(422)
    expect(results[lost]!.json()).toMatchObject({ code: 'limit_reached', limit: 1, taken: 1 })
    expect(await redemptionStatuses(one_.db, rewardId)).toEqual({ reserved: 1 })
    expect(await stockOf(one_.db, rewardId)).toMatchObject({ reserved: 1, available: 4 })
    expect(await balance(one_.db, member.memberId)).toMatchObject({ held: 1_000, available: 4_000 })
    // Kept under its key: a retry answers the same.
    const again = await redeem(two, member.userId, { memberId: member.memberId, rewardId }, keys[lost])
    expect(again.json()).toMatchObject({ code: 'limit_reached', limit: 1, taken: 1 })
  })
})
