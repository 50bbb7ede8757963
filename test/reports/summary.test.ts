import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { localDate } from '../../src/shared/time'
import { createPastActivity, createRequest, step, verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { givePoints, idemKey, redeem, stockedReward } from '../helpers/rewards'

let t: TestApp
let w: World
const today = localDate(new Date(), 'Asia/Shanghai')
// The activities of this file start a few hours before now: between 00:00 and 04:00 in Shanghai that is
// yesterday, so the period asked for starts on the day five hours ago, whatever the hour the suite runs at.
const since = localDate(new Date(Date.now() - 5 * 3_600_000), 'Asia/Shanghai')

function summary(as: string, query: string) {
  return t.call({ method: 'GET', url: `/api/v1/reports/summary?${query}`, as })
}

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  const a = w.memberA.memberId
  const b = await createMember(t.db, w.gridA, { name: '李四' })
  // Hours: 2.00 + 1.50 at a verified activity, an open activity (held, no hours yet), 1.50 on a confirmed request.
  await verifiedActivity(t, w.secretaryA, w.branchA, [
    [a, '2.00'],
    [b, '1.50'],
  ])
  await createPastActivity(t, w.secretaryA, w.gridA)
  const req = await createRequest(t, w.secretaryA, w.branchA)
  for (const [name, as, payload] of [
    ['dispatch', w.secretaryA, { memberId: a }],
    ['accept', w.memberA.userId, undefined],
    ['complete', w.memberA.userId, undefined],
    ['confirm', w.secretaryA, undefined],
  ] as const) {
    const r = await step(t, as, req, name, payload)
    expect(r.statusCode, r.body).toBe(200)
  }
  // Points: 50 + 30 + 2 issued; 8 + 1 deducted.
  await givePoints(t.db, a, 5_000)
  await award(t.db, b, 3_000)
  await award(t.db, b, -800)
  for (const [memberId, amount] of [
    [a, '2.00'],
    [b, '-1.00'],
  ]) {
    const adj = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { memberId, amount, reason: '年终核对' },
    })
    expect(adj.statusCode, adj.body).toBe(201)
  }
  // Redemptions: one fulfilled (2 x 10.00), one only reserved (not counted).
  const reward = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '10.00', stock: 5 })
  const done = await redeem(t, w.clerkA, { memberId: a, rewardId: reward.id, quantity: 2 })
  expect(done.statusCode, done.body).toBe(201)
  const f = await t.call({
    method: 'POST',
    url: `/api/v1/redemptions/${done.json().id}/fulfil`,
    as: w.clerkA,
  })
  expect(f.statusCode, f.body).toBe(200)
  const held = await redeem(t, w.clerkA, { memberId: a, rewardId: reward.id, quantity: 1 })
  expect(held.statusCode, held.body).toBe(201)
  // Someone else's branch: never in branchA's figures.
  await award(t.db, w.memberB.memberId, 9_900)
})

describe('getSummary', () => {
  const expected = {
    activities: 2,
    volunteers: 2,
    serviceHours: '5.00',
    serviceRequestsCompleted: 1,
    pointsIssued: '82.00',
    pointsDeducted: '9.00',
    pointsRedeemed: '20.00',
    redemptions: 1,
  }

  it('gives exact figures for the subtree and period; redemption holds are not deductions', async () => {
    const res = await summary(w.secretaryA, `orgUnitId=${w.branchA}&from=${since}&to=${today}`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual(expected)
  })

  it('an open period gives the same; a period with nothing gives zeros', async () => {
    const open = await summary(w.secretaryA, `orgUnitId=${w.branchA}`)
    expect(open.json()).toEqual(expected)
    const past = await summary(w.secretaryA, `orgUnitId=${w.branchA}&from=2020-01-01&to=2020-12-31`)
    expect(past.statusCode, past.body).toBe(200)
    expect(past.json()).toEqual({
      activities: 0,
      volunteers: 0,
      serviceHours: '0.00',
      serviceRequestsCompleted: 0,
      pointsIssued: '0.00',
      pointsDeducted: '0.00',
      pointsRedeemed: '0.00',
      redemptions: 0,
    })
  })

  it('a sub-unit counts only what lies in it', async () => {
    const res = await summary(w.secretaryA, `orgUnitId=${w.gridA}&from=${since}&to=${today}`)
    expect(res.statusCode, res.body).toBe(200)
    // b lives in gridA: 1.50 verified hours, 30 issued, 9 deducted; the open activity was held there.
    expect(res.json()).toEqual({
      activities: 1,
      volunteers: 1,
      serviceHours: '1.50',
      serviceRequestsCompleted: 0,
      pointsIssued: '30.00',
      pointsDeducted: '9.00',
      pointsRedeemed: '0.00',
      redemptions: 0,
    })
  })

  it('refuses: 404 outside scope, 403 without the role, 400 for to before from', async () => {
    const outside = await summary(w.secretaryB, `orgUnitId=${w.branchA}`)
    expect(outside.statusCode).toBe(404)
    const clerk = await summary(w.clerkA, `orgUnitId=${w.branchA}`)
    expect(clerk.statusCode).toBe(403)
    const backwards = await summary(w.secretaryA, `orgUnitId=${w.branchA}&from=2026-02-01&to=2026-01-01`)
    expect(backwards.statusCode).toBe(400)
    const admin = await summary(w.admin, `orgUnitId=${w.branchA}&from=${since}&to=${today}`)
    expect(admin.json()).toEqual(expected)
  })
})

describe('getSummary hours across subtrees (双报到)', () => {
  it('counts work done in the subtree and work its own members did elsewhere, each record once', async () => {
    const v = await createWorld(t.db)
    const home = await createMember(t.db, v.branchA, { name: '本支部' })
    // Registered with each other's community (双报到), then: B's member serves at A's activity, A's member
    // at B's, both at A's second one (recorded by the admin, who sees both).
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
          values (${v.memberB.memberId}, ${v.communityA}, 'accepted', now()), (${home}, ${v.communityB}, 'accepted', now())`,
    )
    await verifiedActivity(t, v.admin, v.branchA, [[v.memberB.memberId, '1.00']])
    await verifiedActivity(t, v.admin, v.branchB, [[home, '2.00']])
    await verifiedActivity(t, v.admin, v.gridA, [
      [home, '0.50'],
      [v.memberB.memberId, '0.25'],
    ])
    const a = await summary(v.secretaryA, `orgUnitId=${v.branchA}`)
    expect(a.json()).toMatchObject({ activities: 2, volunteers: 2, serviceHours: '3.75' })
    const b = await summary(v.secretaryB, `orgUnitId=${v.branchB}`)
    expect(b.json()).toMatchObject({ activities: 1, volunteers: 2, serviceHours: '3.25' })
    const street = await summary(v.admin, `orgUnitId=${v.street}`)
    expect(street.json()).toMatchObject({ activities: 3, volunteers: 2, serviceHours: '3.75' })
  })
})
