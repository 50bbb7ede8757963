import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, pgErrorCode, rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser, createWorld, uniq, type World } from '../helpers/factories'
import { auditCount, idemKey, stockedReward, stockOf } from '../helpers/rewards'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const create = (as: string, payload: Record<string, unknown>) =>
  t.call({ method: 'POST', url: '/api/v1/rewards', as, payload })

const receive = (as: string, id: string, payload: Record<string, unknown>, key = idemKey()) =>
  t.call({
    method: 'POST',
    url: `/api/v1/rewards/${id}/stock`,
    as,
    headers: { 'idempotency-key': key },
    payload,
  })

async function rewardCount(name: string): Promise<number> {
  const row = await one<{ n: string }>(t.db, sql`select count(*) as n from rewards where name = ${name}`)
  return Number(row!.n)
}

async function listIds(as: string, query = ''): Promise<string[]> {
  const res = await t.call({ method: 'GET', url: `/api/v1/rewards?limit=200${query}`, as })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items.map((r: { id: string }) => r.id)
}

describe('POST /api/v1/rewards', () => {
  it('a clerk adds a reward to their community: 201 with empty stock, and an audit event', async () => {
    const res = await create(w.clerkA, {
      orgUnitId: w.communityA,
      name: ' 保温杯 ',
      description: '不锈钢',
      pointsCost: 12.5,
      perMemberLimit: 2,
    })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({
      orgUnitId: w.communityA,
      name: '保温杯',
      description: '不锈钢',
      pointsCost: '12.50',
      perMemberLimit: 2,
      active: true,
      stockOnHand: 0,
      reserved: 0,
      available: 0,
    })
    expect(body.createdAt).toMatch(/\+08:00$/)
    expect(await auditCount(t.db, body.id, 'reward.create')).toBe(1)
  })

  it('only a community keeps a catalogue: a branch answers 400 validation_failed naming orgUnitId', async () => {
    const clerkOnBranch = await createUser(t.db, { grants: [['clerk', w.branchA]] })
    const name = uniq('杯')
    const res = await create(clerkOnBranch, { orgUnitId: w.branchA, name, pointsCost: '1.00' })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: 'orgUnitId' }] })
    expect(await rewardCount(name)).toBe(0)
  })

  it('outside the clerk scope is 404; a role that never keeps catalogues is 403; nothing is written', async () => {
    const name = uniq('杯')
    const other = await create(w.clerkB, { orgUnitId: w.communityA, name, pointsCost: '1.00' })
    expect(other.statusCode).toBe(404)
    expect(other.json().code).toBe('not_found')
    for (const who of [w.memberA.userId, w.secretaryA]) {
      const res = await create(who, { orgUnitId: w.communityA, name, pointsCost: '1.00' })
      expect(res.statusCode).toBe(403)
      expect(res.json().code).toBe('forbidden')
    }
    expect(await rewardCount(name)).toBe(0)
  })

  it.each([
    [{ pointsCost: '0.00' }, 'pointsCost'],
    [{ pointsCost: '-1.00' }, 'pointsCost'],
    [{ pointsCost: '1.234' }, 'pointsCost'],
    [{ pointsCost: '1.00', perMemberLimit: 0 }, 'perMemberLimit'],
    [{ pointsCost: '1.00', colour: 'red' }, 'colour'],
    [{ pointsCost: '1.00', name: '   ' }, 'name'],
  ])('rejects %j with 400 validation_failed', async (fields, field) => {
    const res = await create(w.clerkA, { orgUnitId: w.communityA, name: uniq('杯'), ...fields })
    expect(res.statusCode, res.body).toBe(400)
    expect(res.json().code).toBe('validation_failed')
    expect(JSON.stringify(res.json().errors)).toContain(field)
  })
})

describe('PATCH /api/v1/rewards/{id}', () => {
  it('the clerk changes price, limit and active flag; the audit event keeps before and after', async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '5.00', perMemberLimit: 3 })
    const res = await t.call({
      method: 'PATCH',
      url: `/api/v1/rewards/${id}`,
      as: w.clerkA,
      payload: { pointsCost: '6.50', perMemberLimit: null, active: false },
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({ pointsCost: '6.50', perMemberLimit: null, active: false })
    const event = await one<{ before: { pointsCost: string }; after: { pointsCost: string } }>(
      t.db,
      sql`select before, after from audit_events where target_id = ${id} and action = 'reward.update'`,
    )
    expect(event).toMatchObject({ before: { pointsCost: '5.00' }, after: { pointsCost: '6.50' } })
    const nothing = await t.call({ method: 'PATCH', url: `/api/v1/rewards/${id}`, as: w.clerkA, payload: {} })
    expect(nothing.json()).toMatchObject({ pointsCost: '6.50', active: false })
    expect(await auditCount(t.db, id, 'reward.update')).toBe(1)
  })

  it("another office's clerk gets 404, a member 403, and the reward is unchanged", async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '5.00' })
    const other = await t.call({
      method: 'PATCH',
      url: `/api/v1/rewards/${id}`,
      as: w.clerkB,
      payload: { active: false },
    })
    expect(other.statusCode).toBe(404)
    const member = await t.call({
      method: 'PATCH',
      url: `/api/v1/rewards/${id}`,
      as: w.memberA.userId,
      payload: { active: false },
    })
    expect(member.statusCode).toBe(403)
    const row = await one<{ active: boolean }>(t.db, sql`select active from rewards where id = ${id}`)
    expect(row!.active).toBe(true)
  })
})

describe('GET /api/v1/rewards', () => {
  it("members see their own community's catalogue, and a registered (双报到) community's too", async () => {
    const world = await createWorld(t.db)
    const a = await stockedReward(t, world.clerkA, world.communityA, { stock: 3 })
    const b = await stockedReward(t, world.clerkB, world.communityB)
    expect(await listIds(world.memberA.userId)).toEqual([a.id])
    const getB = await t.call({ method: 'GET', url: `/api/v1/rewards/${b.id}`, as: world.memberA.userId })
    expect(getB.statusCode).toBe(404)

    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${world.memberA.memberId}, ${world.communityB}, 'accepted', now())`,
    )
    expect((await listIds(world.memberA.userId)).sort()).toEqual([a.id, b.id].sort())
    const one_ = await t.call({ method: 'GET', url: `/api/v1/rewards/${a.id}`, as: world.memberA.userId })
    expect(one_.json()).toMatchObject({ id: a.id, stockOnHand: 3, reserved: 0, available: 3 })
  })

  it('staff see communities above or inside their units; orgUnitId narrows; pages follow the cursor', async () => {
    const world = await createWorld(t.db)
    const a1 = await stockedReward(t, world.clerkA, world.communityA, { name: 'a1' })
    const a2 = await stockedReward(t, world.clerkA, world.communityA, { name: 'a2' })
    const b = await stockedReward(t, world.clerkB, world.communityB, { name: 'b' })
    expect(await listIds(world.secretaryA)).toEqual([a1.id, a2.id])
    expect(await listIds(world.clerkB)).toEqual([b.id])
    expect(await listIds(world.admin, `&orgUnitId=${world.street}`)).toEqual([a1.id, a2.id, b.id])
    expect(await listIds(world.admin, `&orgUnitId=${world.gridA}`)).toEqual([a1.id, a2.id])

    const first = await t.call({
      method: 'GET',
      url: `/api/v1/rewards?orgUnitId=${world.street}&limit=2`,
      as: world.admin,
    })
    expect(first.json().items).toHaveLength(2)
    const cursor = first.json().nextCursor
    expect(cursor).toEqual(expect.any(String))
    const second = await t.call({
      method: 'GET',
      url: `/api/v1/rewards?orgUnitId=${world.street}&limit=2&cursor=${cursor}`,
      as: world.admin,
    })
    expect(second.json()).toEqual({ items: [expect.objectContaining({ id: b.id })], nextCursor: null })
  })
})

describe('POST /api/v1/rewards/{id}/stock', () => {
  it('receiving stock raises on hand and available, records who and why, and replays under the same key', async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA)
    const key = idemKey()
    const first = await receive(w.clerkA, id, { quantity: 20, note: '街道配发' }, key)
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json()).toMatchObject({
      movement: { rewardId: id, kind: 'received', quantity: 20, note: '街道配发', actorUserId: w.clerkA },
      reward: { stockOnHand: 20, reserved: 0, available: 20 },
    })
    const again = await receive(w.clerkA, id, { quantity: 20, note: '街道配发' }, key)
    expect(again.statusCode).toBe(201)
    expect(again.headers['idempotent-replayed']).toBe('true')
    expect(again.json()).toEqual(first.json())
    const reused = await receive(w.clerkA, id, { quantity: 21 }, key)
    expect(reused.statusCode).toBe(409)
    expect(reused.json().code).toBe('idempotency_key_reused')
    expect(await stockOf(t.db, id)).toMatchObject({ stockOnHand: 20, received: 20, available: 20 })
    expect(await auditCount(t.db, id, 'reward.stock_receive')).toBe(1)
  })

  it('needs an Idempotency-Key and a positive whole quantity (400); other offices 404; members 403', async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA)
    const noKey = await t.call({
      method: 'POST',
      url: `/api/v1/rewards/${id}/stock`,
      as: w.clerkA,
      payload: { quantity: 1 },
    })
    expect(noKey.statusCode).toBe(400)
    for (const quantity of [0, -1, 1.5, '3']) {
      expect((await receive(w.clerkA, id, { quantity })).statusCode).toBe(400)
    }
    expect((await receive(w.clerkB, id, { quantity: 1 })).statusCode).toBe(404)
    expect((await receive(w.memberA.userId, id, { quantity: 1 })).statusCode).toBe(403)
    expect(await stockOf(t.db, id)).toMatchObject({ stockOnHand: 0, received: 0 })
  })
})

describe('POST /api/v1/rewards/{id}/write-offs and GET /api/v1/rewards/{id}/stock', () => {
  it('writes off available units with a reason; more than available is 422 out_of_stock and writes nothing', async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA, { stock: 5 })
    const post = (payload: Record<string, unknown>) =>
      t.call({
        method: 'POST',
        url: `/api/v1/rewards/${id}/write-offs`,
        as: w.clerkA,
        headers: { 'idempotency-key': idemKey() },
        payload,
      })
    expect((await post({ quantity: 1 })).statusCode).toBe(400)
    const tooMany = await post({ quantity: 6, reason: '受潮' })
    expect(tooMany.statusCode).toBe(422)
    expect(tooMany.json()).toMatchObject({ code: 'out_of_stock', available: 5 })
    const ok = await post({ quantity: 2, reason: '受潮' })
    expect(ok.statusCode, ok.body).toBe(201)
    expect(ok.json().reward).toMatchObject({ stockOnHand: 3, available: 3 })
    expect(await stockOf(t.db, id)).toMatchObject({ writtenOff: 2, stockOnHand: 3 })

    const list = await t.call({ method: 'GET', url: `/api/v1/rewards/${id}/stock`, as: w.clerkA })
    expect(list.statusCode).toBe(200)
    expect(list.json().items.map((m: { kind: string; note: string }) => [m.kind, m.note])).toEqual([
      ['written_off', '受潮'],
      ['received', null],
    ])
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/rewards/${id}/stock`, as: w.clerkB })).statusCode,
    ).toBe(404)
  })
})

describe('stock invariants in PostgreSQL', () => {
  it('the counters cannot go below zero or disagree, and movements cannot be edited or deleted', async () => {
    const { id } = await stockedReward(t, w.clerkA, w.communityA, { stock: 2 })
    const fails = async (q: ReturnType<typeof sql>) => {
      try {
        await t.db.execute(q)
      } catch (err) {
        return pgErrorCode(err)
      }
      return 'ok'
    }
    expect(
      await fails(sql`update rewards set stock_reserved = 3, stock_available = -1 where id = ${id}`),
    ).toBe('23514')
    expect(await fails(sql`update rewards set stock_available = 5 where id = ${id}`)).toBe('23514')
    expect(await fails(sql`update reward_stock_movements set quantity = 9 where reward_id = ${id}`)).toBe(
      '55000',
    )
    expect(await fails(sql`delete from reward_stock_movements where reward_id = ${id}`)).toBe('55000')
    const kept = await rows(
      t.db,
      sql`select 1 from reward_stock_movements where reward_id = ${id} and quantity = 2`,
    )
    expect(kept).toHaveLength(1)
  })
})
