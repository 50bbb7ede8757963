import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { sweepExpiredRedemptions, sweepExpiringRedemptions } from '../../src/modules/rewards/sweep'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import { givePoints, redeem, stockedReward } from '../helpers/rewards'

let t: TestApp
let w: World
const TZ = 'Asia/Shanghai'
const DAY = 86_400_000

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  await givePoints(t.db, w.memberA.memberId, 100_000)
})

async function eventsOf(subjectId: string) {
  return rows<{ type: string; orgUnitId: string; memberId: string | null; data: Record<string, unknown> }>(
    t.db,
    sql`select type, org_unit_id as "orgUnitId", member_id as "memberId", data from events
        where subject_id = ${subjectId} order by tx_id, id`,
  )
}

async function reserveOne(stock = 3) {
  const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { stock })
  const res = await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id as string
}

describe('redemption events', () => {
  it('reserve writes redemption.reserved in the same statement; fulfil writes redemption.fulfilled', async () => {
    const id = await reserveOne()
    const reserved = await eventsOf(id)
    expect(reserved).toEqual([
      {
        type: 'redemption.reserved',
        orgUnitId: w.communityA,
        memberId: w.memberA.memberId,
        data: expect.objectContaining({ id, status: 'reserved', amount: '10.00' }),
      },
    ])
    const f = await t.call({ method: 'POST', url: `/api/v1/redemptions/${id}/fulfil`, as: w.clerkA })
    expect(f.statusCode, f.body).toBe(200)
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['redemption.reserved', 'redemption.fulfilled'])
  })

  it('cancel writes redemption.cancelled; a refused reservation writes nothing', async () => {
    const id = await reserveOne()
    const c = await t.call({
      method: 'POST',
      url: `/api/v1/redemptions/${id}/cancel`,
      as: w.memberA.userId,
      payload: { reason: '不要了' },
    })
    expect(c.statusCode, c.body).toBe(200)
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['redemption.reserved', 'redemption.cancelled'])
    // A second cancel is refused (409): no event.
    const again = await t.call({
      method: 'POST',
      url: `/api/v1/redemptions/${id}/cancel`,
      as: w.memberA.userId,
      payload: {},
    })
    expect(again.statusCode).toBe(409)
    expect(await eventsOf(id)).toHaveLength(2)

    const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { stock: 0 })
    const before = await rows(t.db, sql`select count(*)::int as n from events`)
    const refused = await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId })
    expect(refused.statusCode).toBe(422)
    expect(await rows(t.db, sql`select count(*)::int as n from events`)).toEqual(before)
  })

  it('a day before the hold lapses the sweep writes redemption.expiring once; at the end, redemption.expired', async () => {
    const id = await reserveOne()
    const opts = { holdDays: 7, timezone: TZ }
    await sweepExpiringRedemptions(t.db, { ...opts, now: new Date(Date.now() + 5.5 * DAY) })
    expect((await eventsOf(id)).map((e) => e.type)).toEqual(['redemption.reserved'])
    const at = new Date(Date.now() + 6.5 * DAY)
    const [a, b] = await Promise.all([
      sweepExpiringRedemptions(t.db, { ...opts, now: at }),
      sweepExpiringRedemptions(t.db, { ...opts, now: at }),
    ])
    expect(a.noticed + b.noticed).toBeGreaterThanOrEqual(1)
    await sweepExpiringRedemptions(t.db, { ...opts, now: at })
    const events = await eventsOf(id)
    expect(events.map((e) => e.type)).toEqual(['redemption.reserved', 'redemption.expiring'])
    expect(events[1]!.data).toMatchObject({ id, status: 'reserved', expiresAt: expect.any(String) })

    const late = await sweepExpiredRedemptions(t.db, { ...opts, now: new Date(Date.now() + 7.5 * DAY) })
    expect(late.released).toContain(id)
    expect((await eventsOf(id)).map((e) => e.type)).toEqual([
      'redemption.reserved',
      'redemption.expiring',
      'redemption.expired',
    ])
    // Expired: no more expiring notices.
    await sweepExpiringRedemptions(t.db, { ...opts, now: new Date(Date.now() + 7.5 * DAY) })
    expect(await eventsOf(id)).toHaveLength(3)
  })

  it('the outbox is append-only, and a feed row changes once: its number', async () => {
    await reserveOne()
    const appendOnly = { code: '55000', message: expect.stringContaining('events is append-only') }
    expect(await refusal(t.db.execute(sql`update events set type = 'x.y'`))).toMatchObject(appendOnly)
    expect(await refusal(t.db.execute(sql`delete from events`))).toMatchObject(appendOnly)
    // Every event entered the feed in the statement that wrote it.
    const [missing] = await rows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from events e where not exists (select 1 from event_feed f where f.event_id = e.id)`,
    )
    expect(missing).toEqual({ n: 0 })
    await t.call({ method: 'GET', url: '/api/v1/events', as: w.memberA.userId }) // numbers what has committed
    const onlyNumbered = {
      code: '55000',
      message: expect.stringContaining('event_feed rows are only numbered'),
    }
    expect(await refusal(t.db.execute(sql`update event_feed set seq = seq + 1000000`))).toMatchObject(
      onlyNumbered,
    )
    expect(await refusal(t.db.execute(sql`update event_feed set member_id = null`))).toMatchObject(
      onlyNumbered,
    )
    expect(await refusal(t.db.execute(sql`delete from event_feed`))).toMatchObject(onlyNumbered)
  })
})
