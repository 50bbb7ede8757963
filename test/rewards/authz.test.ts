import { sql } from 'drizzle-orm'
import { beforeAll, expect } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type Actor,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  reusable,
  runAuthzMatrix,
  signedIn,
} from '../helpers/authz'
import { uniq } from '../helpers/factories'
import { givePoints, idemKey, redeem, redemptionStatuses, stockedReward, stockOf } from '../helpers/rewards'

/**
 * Rewards belong to a community office: the target here is community A (the parent of branch A), its
 * clerk (clerk) keeps the catalogue and the counter, and the clerk of community B (clerkSibling) is the
 * outsider with the same role. Member A lives in branch A, inside community A.
 */
let t: TestApp
let w: AuthzWorld
/** A stocked reward of community A that every redemption fixture draws on. */
let shelf: string
let redemptionOfA: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
  await givePoints(t.db, w.memberA.memberId, 1_000_000)
  shelf = (await stockedReward(t, w.clerkA, w.communityA, { stock: 500, pointsCost: '1.00' })).id
  redemptionOfA = await reserved()
})

/** A fresh reserved redemption of member A, made at the counter. */
async function reserved(): Promise<string> {
  const res = await redeem(t, w.clerkA, { memberId: w.memberA.memberId, rewardId: shelf, quantity: 1 })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

/** Anyone working or living in community A reads its catalogue; community B's people: 404. */
const CATALOGUE_READERS: readonly Actor[] = [
  'admin',
  'secretary',
  'secretaryParent',
  'secretaryChild',
  'panelist',
  'gridWorker',
  'clerk',
  'member',
]
const OUTSIDERS: readonly Actor[] = ['secretarySibling', 'gridWorkerSibling', 'clerkSibling', 'memberSibling']

/** Catalogue and stock writes: the clerk over the office (and admin); every other role 403. */
const clerks = (ok: number) => expectStatuses({ ok, allowed: ['admin', 'clerk'], outside: ['clerkSibling'] })

/**
 * "clerk, the member" (for self): member B asking about member A's things learns nothing (404). A resident (群众)
 * of member A's community holds no points and redeems nothing: 403, as any role without a member record.
 */
const clerksOrMember = (ok: number) =>
  expectStatuses({
    ok,
    allowed: ['admin', 'clerk', 'member'],
    outside: ['clerkSibling', 'memberSibling'],
    cells: { resident: 403 },
  })

/** What the current cell's request was made on, for its check. */
let target = ''

const redemptionStatus = async (id: string) =>
  (await one<{ status: string }>(t.db, sql`select status from redemptions where id = ${id}`))!.status
const cost = async (id: string) =>
  Number(
    (await one<{ cost: string }>(t.db, sql`select points_cost as cost from rewards where id = ${id}`))!.cost,
  )
const fresh = (opts: Parameters<typeof stockedReward>[3]) => async () =>
  (await stockedReward(t, w.clerkA, w.communityA, opts)).id

/** Per write row, one object in its starting state, made again only after a cell changed it. */
const fixtures = {
  priced: reusable(fresh({ pointsCost: '3.00' }), async (id) => (await cost(id)) === 300),
  empty: reusable(fresh({}), async (id) => (await stockOf(t.db, id)).received === 0),
  stocked: reusable(fresh({ stock: 5 }), async (id) => (await stockOf(t.db, id)).writtenOff === 0),
  unclaimed: reusable(
    fresh({ stock: 2, pointsCost: '1.00' }),
    async (id) => Object.keys(await redemptionStatuses(t.db, id)).length === 0,
  ),
  toFulfil: reusable(reserved, async (id) => (await redemptionStatus(id)) === 'reserved'),
  toCancel: reusable(reserved, async (id) => (await redemptionStatus(id)) === 'reserved'),
}

const rows: AuthzRow[] = [
  {
    operation: 'createReward',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/rewards',
      payload: { orgUnitId: w.communityA, name: uniq('毛巾'), pointsCost: '5.00' },
    }),
    expect: clerks(201),
  },
  {
    operation: 'listRewards',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/rewards?orgUnitId=${w.communityA}&limit=200` }),
    // The org directory is public, so the filter itself is no secret: outsiders get an empty catalogue.
    expect: signedIn(200),
    check: (res, _ctx, actor) => {
      if (res.statusCode !== 200) return
      const ids = res.json().items.map((r: { id: string }) => r.id)
      if (OUTSIDERS.includes(actor)) expect(ids).toEqual([])
      else expect(ids).toContain(shelf)
    },
  },
  {
    operation: 'getReward',
    request: () => ({ method: 'GET', url: `/api/v1/rewards/${shelf}` }),
    expect: expectStatuses({ ok: 200, allowed: CATALOGUE_READERS, outside: OUTSIDERS }),
  },
  {
    operation: 'updateReward',
    request: async () => {
      target = await fixtures.priced()
      return { method: 'PATCH', url: `/api/v1/rewards/${target}`, payload: { pointsCost: '4.00' } }
    },
    expect: clerks(200),
    check: async (res) => expect(await cost(target)).toBe(res.statusCode === 200 ? 400 : 300),
  },
  {
    operation: 'receiveStock',
    request: async () => {
      target = await fixtures.empty()
      return {
        method: 'POST',
        url: `/api/v1/rewards/${target}/stock`,
        headers: { 'idempotency-key': idemKey() },
        payload: { quantity: 3 },
      }
    },
    expect: clerks(201),
    check: async (res) => expect((await stockOf(t.db, target)).received).toBe(res.statusCode === 201 ? 3 : 0),
  },
  {
    operation: 'writeOffStock',
    request: async () => {
      target = await fixtures.stocked()
      return {
        method: 'POST',
        url: `/api/v1/rewards/${target}/write-offs`,
        headers: { 'idempotency-key': idemKey() },
        payload: { quantity: 2, reason: '破损' },
      }
    },
    expect: clerks(201),
    check: async (res) =>
      expect((await stockOf(t.db, target)).writtenOff).toBe(res.statusCode === 201 ? 2 : 0),
  },
  {
    operation: 'listStockMovements',
    request: () => ({ method: 'GET', url: `/api/v1/rewards/${shelf}/stock` }),
    expect: clerks(200),
  },
  {
    operation: 'createRedemption',
    request: async ({ w }) => {
      target = await fixtures.unclaimed()
      return {
        method: 'POST',
        url: '/api/v1/redemptions',
        headers: { 'idempotency-key': idemKey() },
        payload: { memberId: w.memberA.memberId, rewardId: target, quantity: 1 },
      }
    },
    // The member for self or the clerk at the counter: a refusal holds no point and reserves no stock.
    expect: clerksOrMember(201),
    check: async (res) => {
      const ok = res.statusCode === 201
      expect(await redemptionStatuses(t.db, target)).toEqual(ok ? { reserved: 1 } : {})
      expect((await stockOf(t.db, target)).reserved).toBe(ok ? 1 : 0)
    },
  },
  {
    operation: 'findMembersAtCounter',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/counter/members?orgUnitId=${w.communityA}&q=${encodeURIComponent('张三')}`,
    }),
    // The counter's lookup, not the roster: the clerk over the office (and admin); the other office's clerk 404.
    expect: clerks(200),
    check: (res, { w }) => {
      if (res.statusCode !== 200) return
      expect(res.json().items.map((m: { id: string }) => m.id)).toContain(w.memberA.memberId)
    },
  },
  {
    operation: 'listRedemptions',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/redemptions?orgUnitId=${w.communityA}&limit=200` }),
    // Members list their own (member B: none of community A's); clerk B gets an empty page.
    expect: { ...clerksOrMember(200), clerkSibling: 200, memberSibling: 200 },
    check: (res, { w }, actor) => {
      if (res.statusCode !== 200) return
      const items: { id: string; memberId: string }[] = res.json().items
      if (actor === 'clerkSibling' || actor === 'memberSibling') expect(items).toEqual([])
      else expect(items.map((d) => d.id)).toContain(redemptionOfA)
      if (actor === 'member')
        expect(new Set(items.map((d) => d.memberId))).toEqual(new Set([w.memberA.memberId]))
    },
  },
  {
    operation: 'getRedemption',
    request: () => ({ method: 'GET', url: `/api/v1/redemptions/${redemptionOfA}` }),
    expect: clerksOrMember(200),
  },
  {
    operation: 'fulfilRedemption',
    request: async () => {
      target = await fixtures.toFulfil()
      return { method: 'POST', url: `/api/v1/redemptions/${target}/fulfil` }
    },
    // Hand-over is the clerk's: the member themselves may not mark it fulfilled (403).
    expect: clerks(200),
    check: async (res) =>
      expect(await redemptionStatus(target)).toBe(res.statusCode === 200 ? 'fulfilled' : 'reserved'),
  },
  {
    operation: 'cancelRedemption',
    request: async () => {
      target = await fixtures.toCancel()
      return { method: 'POST', url: `/api/v1/redemptions/${target}/cancel`, payload: { reason: '不要了' } }
    },
    expect: clerksOrMember(200),
    check: async (res) =>
      expect(await redemptionStatus(target)).toBe(res.statusCode === 200 ? 'cancelled' : 'reserved'),
  },
]

runAuthzMatrix('authorisation matrix: rewards, stock and redemptions', () => ({ t, w }), rows)
