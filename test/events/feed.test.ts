import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/node-postgres'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Db, rows } from '../../src/db/client'
import { type NewEvent, recordEvent } from '../../src/modules/events'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createResidentUser, createWorld, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

type Item = {
  id: string
  type: string
  orgUnitId: string
  subject: { type: string; id: string }
  data: Record<string, unknown>
}

async function feed(as: string, query = '') {
  const res = await t.call({ method: 'GET', url: `/api/v1/events${query}`, as })
  expect(res.statusCode, res.body).toBe(200)
  return res.json() as { items: Item[]; nextCursor: string }
}

/** Everything from `cursor` on, page by page (limit 2), as a polling client reads it. */
async function readAll(as: string, cursor?: string, types?: string) {
  const seen: Item[] = []
  let after = cursor
  for (;;) {
    const q = new URLSearchParams({ limit: '2', ...(after ? { after } : {}), ...(types ? { types } : {}) })
    const page = await feed(as, `?${q}`)
    seen.push(...page.items)
    after = page.nextCursor
    if (page.items.length === 0) return { seen, cursor: after }
  }
}

function pointsEvent(memberId: string, orgUnitId: string, amount: string): NewEvent {
  return {
    type: 'points.posted',
    orgUnitId,
    subject: { type: 'member', id: memberId },
    memberId,
    data: { memberId, amount },
  }
}

describe('listEvents, the pull feed', () => {
  it('never misses an event committed late with an older id, nor repeats one (two concurrent transactions)', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const start = (await readAll(m.userId)).cursor
    const pool = t.database.pool!
    const c1 = await pool.connect()
    const c2 = await pool.connect()
    try {
      const tx1 = drizzle(c1, { casing: 'snake_case' }) as unknown as Db
      const tx2 = drizzle(c2, { casing: 'snake_case' }) as unknown as Db
      await c1.query('begin')
      await c2.query('begin')
      // The first transaction takes the older id, then stays open while the second commits.
      const older = await recordEvent(tx1, pointsEvent(m.memberId, w.branchA, '1.00'))
      const newer = await recordEvent(tx2, pointsEvent(m.memberId, w.branchA, '2.00'))
      expect(older < newer).toBe(true)
      await c2.query('commit')
      const first = await readAll(m.userId, start)
      expect(first.seen.map((e) => e.id)).toEqual([newer])
      await c1.query('commit')
      // Read on from the cursor after the newer one: the older one, committed later, is there, once.
      const second = await readAll(m.userId, first.cursor)
      expect(second.seen.map((e) => e.id)).toEqual([older])
      expect((await readAll(m.userId, second.cursor)).seen).toEqual([])
      expect((await readAll(m.userId, start)).seen.map((e) => e.id)).toEqual([newer, older])
    } finally {
      await c1.query('rollback').catch(() => {})
      await c2.query('rollback').catch(() => {})
      c1.release()
      c2.release()
    }
  })

  it('a member sees their own events, staff their subtree; residents are refused', async () => {
    const m1 = await createMemberUser(t.db, w.branchA)
    const m2 = await createMemberUser(t.db, w.branchA)
    const mB = await createMemberUser(t.db, w.branchB)
    const ids: string[] = []
    await t.db.transaction(async (tx) => {
      ids.push(await recordEvent(tx as unknown as Db, pointsEvent(m1.memberId, w.branchA, '1.00')))
      ids.push(await recordEvent(tx as unknown as Db, pointsEvent(m2.memberId, w.branchA, '2.00')))
      ids.push(await recordEvent(tx as unknown as Db, pointsEvent(mB.memberId, w.branchB, '3.00')))
    })
    const mine = (await readAll(m1.userId)).seen
    expect(mine.map((e) => e.id)).toEqual([ids[0]])
    expect(mine[0]).toMatchObject({
      type: 'points.posted',
      orgUnitId: w.branchA,
      subject: { type: 'member', id: m1.memberId },
      data: { amount: '1.00' },
      occurredAt: expect.stringMatching(/\+08:00$/),
    })
    const secA = (await readAll(w.secretaryA)).seen.map((e) => e.id)
    expect(secA).toEqual(expect.arrayContaining([ids[0], ids[1]]))
    expect(secA).not.toContain(ids[2])
    const secB = (await readAll(w.secretaryB)).seen.map((e) => e.id)
    expect(secB).toContain(ids[2])
    expect(secB).not.toContain(ids[0])
    const admin = (await readAll(w.admin)).seen.map((e) => e.id)
    expect(admin).toEqual(expect.arrayContaining(ids))
    const resident = await createResidentUser(t.db, w.communityA)
    expect((await t.call({ method: 'GET', url: '/api/v1/events', as: resident.userId })).statusCode).toBe(403)
  })

  it('filters by type; an unknown type or a foreign cursor is 400', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await t.db.transaction(async (tx) => {
      await recordEvent(tx as unknown as Db, pointsEvent(m.memberId, w.branchA, '1.00'))
      await recordEvent(tx as unknown as Db, {
        type: 'objection.filed',
        orgUnitId: w.branchA,
        subject: { type: 'objection', id: crypto.randomUUID() },
        memberId: m.memberId,
        data: {},
      })
    })
    expect((await readAll(m.userId, undefined, 'objection.filed')).seen.map((e) => e.type)).toEqual([
      'objection.filed',
    ])
    expect((await readAll(m.userId)).seen).toHaveLength(2)
    expect(
      (await t.call({ method: 'GET', url: '/api/v1/events?types=points.moved', as: m.userId })).statusCode,
    ).toBe(400)
    expect((await t.call({ method: 'GET', url: '/api/v1/events?after=abc', as: m.userId })).statusCode).toBe(
      400,
    )
    const numbered = await rows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from event_feed where seq is null`,
    )
    expect(numbered).toEqual([{ n: 0 }])
  })
})
