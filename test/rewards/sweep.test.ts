import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/client'
import { one, rows } from '../../src/db/client'
import { startRedemptionSweep, sweepExpiredRedemptions } from '../../src/modules/rewards/sweep'
import { buildTestApp, type TestApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { createWorld, type World } from '../helpers/factories'
import { balance, givePoints, redeem, redemptionStatuses, stockedReward, stockOf } from '../helpers/rewards'

let t: TestApp
let other: Database
let w: World
const TZ = 'Asia/Shanghai'
const DAY = 86_400_000

beforeAll(async () => {
  t = await buildTestApp()
  other = await openTestDatabase()
  w = await createWorld(t.db)
  await givePoints(t.db, w.memberA.memberId, 100_000)
})

async function reserve(count: number, stock = count) {
  const { id: rewardId } = await stockedReward(t, w.clerkA, w.communityA, { stock })
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    const res = await redeem(t, w.memberA.userId, { memberId: w.memberA.memberId, rewardId })
    expect(res.statusCode, res.body).toBe(201)
    ids.push(res.json().id)
  }
  return { rewardId, ids }
}

const inDays = (days: number) => new Date(Date.now() + days * DAY)

describe('sweepExpiredRedemptions', () => {
  it('leaves redemptions inside the hold period, then releases them: expired, stock and points back, audited', async () => {
    const { rewardId, ids } = await reserve(2, 3)
    const held = (await balance(t.db, w.memberA.memberId)).held
    const early = await sweepExpiredRedemptions(t.db, { holdDays: 7, timezone: TZ, now: inDays(6.9) })
    expect(early.released.filter((id) => ids.includes(id))).toEqual([])
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ reserved: 2 })

    const late = await sweepExpiredRedemptions(t.db, { holdDays: 7, timezone: TZ, now: inDays(7.1) })
    expect(late.released).toEqual(expect.arrayContaining(ids))
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ expired: 2 })
    expect(await stockOf(t.db, rewardId)).toMatchObject({ stockOnHand: 3, reserved: 0, available: 3 })
    expect((await balance(t.db, w.memberA.memberId)).held).toBe(held - 2_000)
    const events = await rows<{ actor: string | null }>(
      t.db,
      sql`select actor_user_id as actor from audit_events where action = 'redemption.expire' and target_id in (${sql.join(
        ids.map((id) => sql`${id}`),
        sql`, `,
      )})`,
    )
    expect(events).toEqual([{ actor: null }, { actor: null }])
    const got = await t.call({ method: 'GET', url: `/api/v1/redemptions/${ids[0]}`, as: w.memberA.userId })
    expect(got.json()).toMatchObject({ status: 'expired', expiresAt: null })
    expect(got.json().expiredAt).toEqual(expect.any(String))
    const fulfil = await t.call({ method: 'POST', url: `/api/v1/redemptions/${ids[0]}/fulfil`, as: w.clerkA })
    expect(fulfil.statusCode).toBe(409)
  })

  it('two processes sweeping at once release each hold exactly once', async () => {
    const { rewardId, ids } = await reserve(12)
    const heldBefore = (await balance(t.db, w.memberA.memberId)).held
    const opts = { holdDays: 7, timezone: TZ, now: inDays(8) }
    const [a, b] = await Promise.all([
      sweepExpiredRedemptions(t.db, opts),
      sweepExpiredRedemptions(other.db, opts),
    ])
    const mine = (r: { released: string[] }) => r.released.filter((id) => ids.includes(id))
    expect([...mine(a), ...mine(b)].sort()).toEqual([...ids].sort())
    expect(mine(a).filter((id) => mine(b).includes(id))).toEqual([])
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ expired: 12 })
    const releases = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from reward_stock_movements where reward_id = ${rewardId} and kind = 'released'`,
    )
    expect(Number(releases!.n)).toBe(12)
    const audits = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from audit_events e join redemptions d on d.id = e.target_id
          where d.reward_id = ${rewardId} and e.action = 'redemption.expire'`,
    )
    expect(Number(audits!.n)).toBe(12)
    expect(await stockOf(t.db, rewardId)).toMatchObject({ reserved: 0, available: 12 })
    expect((await balance(t.db, w.memberA.memberId)).held).toBe(heldBefore - 12_000)
  })

  it('one redemption that cannot be released is reported and skipped; the others are still released', async () => {
    const { rewardId, ids } = await reserve(2)
    // A reserved row with no hold and no reserved stock behind it: releasing it must fail.
    const bad = await one<{ id: string }>(
      t.db,
      sql`insert into redemptions (id, member_id, reward_id, org_unit_id, quantity, points_cost, amount, created_by, created_at)
          values (gen_random_uuid(), ${w.memberA.memberId}, ${rewardId}, ${w.communityA}, 5, 1000, 5000, ${w.clerkA},
                  now() - interval '30 days')
          returning id`,
    )
    const result = await sweepExpiredRedemptions(t.db, { holdDays: 7, timezone: TZ, now: inDays(8) })
    expect(result.failed.map((f) => f.id)).toEqual([bad!.id])
    expect(result.released).toEqual(expect.arrayContaining(ids))
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ expired: 2, reserved: 1 })
    expect(await stockOf(t.db, rewardId)).toMatchObject({ reserved: 0, available: 2 })
  })

  it('a sweep racing a fulfil: the redemption ends exactly one way', async () => {
    const { rewardId, ids } = await reserve(4)
    const [fulfils] = await Promise.all([
      Promise.all(
        ids.map((id) => t.call({ method: 'POST', url: `/api/v1/redemptions/${id}/fulfil`, as: w.clerkA })),
      ),
      sweepExpiredRedemptions(other.db, { holdDays: 7, timezone: TZ, now: inDays(8) }),
    ])
    const won = fulfils.filter((r) => r.statusCode === 200).length
    expect(fulfils.every((r) => r.statusCode === 200 || r.json().code === 'invalid_state')).toBe(true)
    const statuses = await redemptionStatuses(t.db, rewardId)
    expect((statuses.fulfilled ?? 0) + (statuses.expired ?? 0)).toBe(4)
    expect(statuses.fulfilled ?? 0).toBe(won)
    expect(await stockOf(t.db, rewardId)).toMatchObject({ reserved: 0, handedOut: won })
  })
})

describe('startRedemptionSweep', () => {
  it('runs inside the server on an interval and stops when the app closes', async () => {
    let handle: ReturnType<typeof startRedemptionSweep> | undefined
    const server = await buildTestApp({
      beforeReady: (app) => {
        // A zero-day hold makes every reserved redemption due at once.
        app.settings.redemptionHoldDays = 0
        handle = startRedemptionSweep(app, { intervalMs: 25 })
      },
    })
    expect(handle).toBeDefined()
    const { rewardId } = await reserve(1)
    const deadline = Date.now() + 5_000
    while ((await redemptionStatuses(t.db, rewardId)).expired !== 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25))
    }
    expect(await redemptionStatuses(t.db, rewardId)).toEqual({ expired: 1 })
    await server.app.close()
    const after = await reserve(1)
    await new Promise((r) => setTimeout(r, 150))
    expect(await redemptionStatuses(t.db, after.rewardId)).toEqual({ reserved: 1 })
  })
})
