import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, pgErrorCode } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser, createWorld, type World } from '../helpers/factories'
import {
  auditCount,
  balance,
  givePoints,
  idemKey,
  redeem,
  redemptionStatuses,
  stockedReward,
  stockOf,
} from '../helpers/rewards'

let t: TestApp

beforeAll(async () => {
  t = await buildTestApp()
})

const post = (url: string, as: string, payload?: Record<string, unknown>) =>
  t.call({ method: 'POST', url, as, ...(payload ? { payload } : {}) })
const patch = (id: string, as: string, payload: Record<string, unknown>) =>
  t.call({ method: 'PATCH', url: `/api/v1/rewards/${id}`, as, payload })

async function setThreshold(unitId: string, cents: number | null) {
  await t.db.execute(sql`update org_units set redemption_threshold = ${cents} where id = ${unitId}`)
}

describe('POST /api/v1/redemptions', () => {
  let w: World
  beforeAll(async () => {
    w = await createWorld(t.db)
    await givePoints(t.db, w.memberA.memberId, 10_000)
  })

  it('a member redeems for self: 201 reserved, points held, one unit reserved, audited', async () => {
    const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '12.50', stock: 5 })
    const before = await balance(t.db, w.memberA.memberId)
    const res = await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId, quantity: 2 })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({
      memberId: w.memberA.memberId,
      rewardId,
      orgUnitId: w.communityA,
      quantity: 2,
      pointsCost: '12.50',
      amount: '25.00',
      status: 'reserved',
      fulfilledAt: null,
      cancelledAt: null,
    })
    expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt)).toBe(7 * 86_400_000)
    const after = await balance(t.db, w.memberA.memberId)
    expect(after.held - before.held).toBe(2500)
    expect(after.available).toBe(before.available - 2500)
    expect(after.balance).toBe(before.balance)
    expect(await stockOf(t.db, rewardId)).toMatchObject({ stockOnHand: 5, reserved: 2, available: 3 })
    expect(await auditCount(t.db, body.id, 'redemption.create')).toBe(1)
  })

  it('a clerk at the counter redeems for a member in scope; the same key replays, another body is 409', async () => {
    const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { stock: 5 })
    const key = idemKey()
    const body = { memberId: w.memberA.memberId, rewardId }
    const first = await redeem(t, w.clerkA, body, key)
    expect(first.statusCode, first.body).toBe(201)
    const again = await redeem(t, w.clerkA, body, key)
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    const other = await redeem(t, w.clerkA, { ...body, quantity: 2 }, key)
    expect(other.statusCode).toBe(409)
    expect(other.json().code).toBe('idempotency_key_reused')
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ reserved: 1 })
    expect(await stockOf(t.db, rewardId)).toMatchObject({ reserved: 1 })
  })

  it('checks in the documented order: member, reward, active, threshold, limit, stock, points', async () => {
    const world = await createWorld(t.db)
    const m = world.memberA
    // The nearest setting wins: the branch's 50.00, not the street's 1000.00.
    await setThreshold(world.street, 100_000)
    await setThreshold(world.branchA, 5_000)
    await givePoints(t.db, m.memberId, 4_000)
    const { id: rewardId } = await stockedReward(t, world.clerkA, world.communityA, {
      pointsCost: '30.00',
      stock: 1,
      perMemberLimit: 1,
    })
    const { id: rewardB } = await stockedReward(t, world.clerkB, world.communityB, { stock: 1 })
    const expectRefusal = async (as: string, body: Record<string, unknown>, status: number, code: string) => {
      const res = await redeem(t, as, body)
      expect(res.statusCode, res.body).toBe(status)
      expect(res.json().code).toBe(code)
      return res.json()
    }
    const mine = { memberId: m.memberId, rewardId }
    // 1. someone else's member record, or a member the clerk cannot see: 404 as if it did not exist
    await expectRefusal(m.userId, { memberId: world.memberB.memberId, rewardId }, 404, 'not_found')
    await expectRefusal(world.clerkB, mine, 404, 'not_found')
    // 2. a reward outside the member's catalogue (community B, not registered there)
    await expectRefusal(m.userId, { memberId: m.memberId, rewardId: rewardB }, 404, 'not_found')
    // 3. inactive
    expect((await patch(rewardId, world.clerkA, { active: false })).statusCode).toBe(200)
    await expectRefusal(m.userId, mine, 409, 'invalid_state')
    expect((await patch(rewardId, world.clerkA, { active: true })).statusCode).toBe(200)
    // 4. below the threshold (40.00 earned < 50.00)
    const below = await expectRefusal(m.userId, mine, 422, 'below_threshold')
    expect(below).toMatchObject({ lifetimeEarned: '40.00', threshold: '50.00' })
    await givePoints(t.db, m.memberId, 2_000)
    expect((await redeem(t, m.userId, mine)).statusCode).toBe(201)
    // 5. the yearly limit (1, already reserved) answers before the empty stock does
    await expectRefusal(m.userId, mine, 422, 'limit_reached')
    expect((await patch(rewardId, world.clerkA, { perMemberLimit: 5, pointsCost: '40.00' })).statusCode).toBe(
      200,
    )
    // 6. no stock left, and points short too (30.00 available < 40.00): stock answers first
    await expectRefusal(m.userId, mine, 422, 'out_of_stock')
    const stocked = await t.call({
      method: 'POST',
      url: `/api/v1/rewards/${rewardId}/stock`,
      as: world.clerkA,
      headers: { 'idempotency-key': idemKey() },
      payload: { quantity: 1 },
    })
    expect(stocked.statusCode).toBe(201)
    // 7. points
    await expectRefusal(m.userId, mine, 422, 'insufficient_points')

    // Not one refusal wrote anything: one redemption, one unit reserved, 30.00 held.
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ reserved: 1 })
    expect(await stockOf(t.db, rewardId)).toMatchObject({ stockOnHand: 2, reserved: 1, available: 1 })
    expect(await balance(t.db, m.memberId)).toMatchObject({ balance: 6_000, held: 3_000, available: 3_000 })
  })

  it('a 双报到 registration opens that community: the clerk there may redeem for the member', async () => {
    const world = await createWorld(t.db)
    await givePoints(t.db, world.memberA.memberId, 1_000)
    const { id: rewardId } = await stockedReward(t, world.clerkB, world.communityB, { stock: 1 })
    const body = { memberId: world.memberA.memberId, rewardId }
    expect((await redeem(t, world.clerkB, body)).statusCode).toBe(404)
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${world.memberA.memberId}, ${world.communityB}, 'accepted', now())`,
    )
    const res = await redeem(t, world.clerkB, body)
    expect(res.statusCode, res.body).toBe(201)
  })

  it('the yearly limit counts reserved and fulfilled units, not cancelled ones', async () => {
    const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { stock: 5, perMemberLimit: 2 })
    const body = { memberId: w.memberA.memberId, rewardId }
    const a = (await redeem(t, w.memberA.userId, body)).json()
    expect((await post(`/api/v1/redemptions/${a.id}/cancel`, w.memberA.userId)).statusCode).toBe(200)
    const b = (await redeem(t, w.memberA.userId, body)).json()
    expect((await post(`/api/v1/redemptions/${b.id}/fulfil`, w.clerkA)).statusCode).toBe(200)
    expect((await redeem(t, w.memberA.userId, body)).statusCode).toBe(201)
    const over = await redeem(t, w.memberA.userId, body)
    expect(over.statusCode).toBe(422)
    expect(over.json()).toMatchObject({ code: 'limit_reached', limit: 2, taken: 2 })
    const two = await redeem(t, w.clerkA, { ...body, quantity: 2 })
    expect(two.json().code).toBe('limit_reached')
  })

  it('without a token every rewards route answers 401 unauthorized', async () => {
    for (const [method, url] of [
      ['POST', '/api/v1/redemptions'],
      ['GET', '/api/v1/redemptions'],
      ['GET', '/api/v1/rewards'],
    ] as const) {
      const res = await t.call({
        method,
        url,
        headers: { 'idempotency-key': idemKey() },
        payload: method === 'POST' ? {} : undefined,
      })
      expect(res.statusCode).toBe(401)
      expect(res.json().code).toBe('unauthorized')
    }
  })

  it('rejects bad bodies with 400 and a missing Idempotency-Key with 400', async () => {
    const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { stock: 1 })
    for (const body of [
      { memberId: w.memberA.memberId },
      { memberId: w.memberA.memberId, rewardId, quantity: 0 },
      { memberId: w.memberA.memberId, rewardId, quantity: '1' },
      { memberId: 'nope', rewardId },
      { memberId: w.memberA.memberId, rewardId, pointsCost: '0.01' },
    ]) {
      const res = await redeem(t, w.memberA.userId, body)
      expect(res.statusCode, JSON.stringify(body)).toBe(400)
    }
    const noKey = await post('/api/v1/redemptions', w.memberA.userId, {
      memberId: w.memberA.memberId,
      rewardId,
    })
    expect(noKey.statusCode).toBe(400)
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({})
  })
})

describe('POST /api/v1/redemptions/{id}/fulfil and /cancel', () => {
  let w: World
  beforeAll(async () => {
    w = await createWorld(t.db)
    await givePoints(t.db, w.memberA.memberId, 10_000)
  })

  async function reserved(cost = '10.00') {
    const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: cost, stock: 3 })
    const res = await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId })
    expect(res.statusCode, res.body).toBe(201)
    return { rewardId, id: res.json().id as string }
  }

  it('fulfil posts the held points and hands the unit out, once; then fulfil or cancel is 409', async () => {
    const { rewardId, id } = await reserved('10.00')
    const before = await balance(t.db, w.memberA.memberId)
    const res = await post(`/api/v1/redemptions/${id}/fulfil`, w.clerkA)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ id, status: 'fulfilled', expiresAt: null })
    expect(res.json().fulfilledAt).toEqual(expect.any(String))
    const after = await balance(t.db, w.memberA.memberId)
    expect(after.balance).toBe(before.balance - 1_000)
    expect(after.held).toBe(before.held - 1_000)
    expect(after.available).toBe(before.available)
    expect(after.lifetimeEarned).toBe(before.lifetimeEarned)
    expect(await stockOf(t.db, rewardId)).toMatchObject({
      stockOnHand: 2,
      reserved: 0,
      available: 2,
      handedOut: 1,
    })
    for (const action of ['fulfil', 'cancel']) {
      const again = await post(`/api/v1/redemptions/${id}/${action}`, w.clerkA)
      expect(again.statusCode).toBe(409)
      expect(again.json().code).toBe('invalid_state')
    }
    const row = await one<{ capture: string | null }>(
      t.db,
      sql`select capture_transaction_id as capture from redemptions where id = ${id}`,
    )
    expect(row!.capture).toEqual(expect.any(String))
    // PostgreSQL itself refuses to reopen a final redemption or to change what it reserved.
    for (const change of [sql`status = 'reserved', fulfilled_at = null`, sql`quantity = 2, amount = 2000`]) {
      const refused = await t.db.execute(sql`update redemptions set ${change} where id = ${id}`).then(
        () => 'ok',
        (err) => pgErrorCode(err),
      )
      expect(refused).toBe('55000')
    }
    expect(await auditCount(t.db, id, 'redemption.fulfil')).toBe(1)
  })

  it('only a clerk fulfils: the member gets 403, another office 404, and nothing changes', async () => {
    const { rewardId, id } = await reserved()
    expect((await post(`/api/v1/redemptions/${id}/fulfil`, w.memberA.userId)).statusCode).toBe(403)
    expect((await post(`/api/v1/redemptions/${id}/fulfil`, w.clerkB)).statusCode).toBe(404)
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ reserved: 1 })
    expect(await stockOf(t.db, rewardId)).toMatchObject({ reserved: 1, handedOut: 0 })
  })

  it('the member cancels their reserved redemption: hold voided and stock released', async () => {
    const { rewardId, id } = await reserved('20.00')
    const before = await balance(t.db, w.memberA.memberId)
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/redemptions/${id}/cancel`,
      as: w.memberA.userId,
      payload: { reason: '不需要了' },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ status: 'cancelled', cancelReason: '不需要了' })
    const after = await balance(t.db, w.memberA.memberId)
    expect(after).toMatchObject({ balance: before.balance, held: before.held - 2_000 })
    expect(after.available).toBe(before.available + 2_000)
    expect(await stockOf(t.db, rewardId)).toMatchObject({ stockOnHand: 3, reserved: 0, available: 3 })
    expect(await auditCount(t.db, id, 'redemption.cancel')).toBe(1)
    const again = await post(`/api/v1/redemptions/${id}/cancel`, w.memberA.userId)
    expect(again.statusCode).toBe(409)
  })

  it('a clerk cancels; another member gets 404, another office 404, a secretary 403', async () => {
    const { id } = await reserved()
    const stranger = await post(`/api/v1/redemptions/${id}/cancel`, w.memberB.userId)
    expect(stranger.statusCode).toBe(404)
    expect((await post(`/api/v1/redemptions/${id}/cancel`, w.clerkB)).statusCode).toBe(404)
    expect((await post(`/api/v1/redemptions/${id}/cancel`, w.secretaryA)).statusCode).toBe(403)
    const res = await post(`/api/v1/redemptions/${id}/cancel`, w.clerkA)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().status).toBe('cancelled')
  })
})

describe('GET /api/v1/redemptions', () => {
  it('a member lists their own, a clerk their office, filters by status and member, pages by cursor', async () => {
    const w = await createWorld(t.db)
    await givePoints(t.db, w.memberA.memberId, 10_000)
    await givePoints(t.db, w.memberB.memberId, 10_000)
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${w.memberB.memberId}, ${w.communityA}, 'accepted', now())`,
    )
    const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { stock: 10 })
    const a1 = (await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId })).json()
    const a2 = (await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId })).json()
    const b1 = (await redeem(t, w.memberB.userId, { memberId: w.memberB.memberId, rewardId })).json()
    await post(`/api/v1/redemptions/${a1.id}/fulfil`, w.clerkA)
    const ids = async (as: string, q = '') => {
      const res = await t.call({ method: 'GET', url: `/api/v1/redemptions?limit=200${q}`, as })
      expect(res.statusCode, res.body).toBe(200)
      return res.json().items.map((d: { id: string }) => d.id)
    }
    expect(await ids(w.memberA.userId)).toEqual([a2.id, a1.id])
    expect(await ids(w.clerkA, `&orgUnitId=${w.communityA}`)).toEqual([b1.id, a2.id, a1.id])
    expect(await ids(w.clerkA, `&memberId=${w.memberA.memberId}&status=fulfilled`)).toEqual([a1.id])
    expect(await ids(w.clerkB, `&rewardId=${rewardId}`)).toEqual([])
    expect(await ids(w.memberB.userId, `&memberId=${w.memberA.memberId}`)).toEqual([])
    const page = await t.call({
      method: 'GET',
      url: `/api/v1/redemptions?rewardId=${rewardId}&limit=2`,
      as: w.clerkA,
    })
    const next = await t.call({
      method: 'GET',
      url: `/api/v1/redemptions?rewardId=${rewardId}&limit=2&cursor=${page.json().nextCursor}`,
      as: w.clerkA,
    })
    expect(next.json().items.map((d: { id: string }) => d.id)).toEqual([a1.id])
    const noRole = await createUser(t.db, { grants: [['panelist', w.branchA]] })
    expect((await t.call({ method: 'GET', url: '/api/v1/redemptions', as: noRole })).statusCode).toBe(403)
    const got = await t.call({ method: 'GET', url: `/api/v1/redemptions/${b1.id}`, as: w.memberA.userId })
    expect(got.statusCode).toBe(404)
  })
})
