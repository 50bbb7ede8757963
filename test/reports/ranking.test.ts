import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { transaction } from '../../src/db/client'
import { verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { givePoints, idemKey, redeem, stockedReward } from '../helpers/rewards'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

const YEAR = new Date().getUTCFullYear()

function ranking(as: string, query: string, headers: Record<string, string> = {}) {
  return t.call({ method: 'GET', url: `/api/v1/reports/ranking?${query}`, as, headers })
}

/**
 * Moves a posting to another instant: the ledger is append-only, so only a test may do this (triggers
 * off), and then, as after any change made behind the service, the report rollups are rebuilt.
 */
async function backdate(transactionId: string, at: string) {
  await transaction(t.db, async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`)
    await tx.execute(
      sql`update ledger_transactions set created_at = ${at}::timestamptz where id = ${transactionId}`,
    )
  })
  await t.db.execute(sql`select report_rollups_rebuild()`)
}

describe('getRanking', () => {
  let w: World
  let ids: Record<string, string>
  beforeAll(async () => {
    w = await createWorld(t.db)
    ids = {
      top: w.memberA.memberId,
      second: await createMember(t.db, w.branchA, { name: '李四' }),
      tieA: await createMember(t.db, w.gridA, { name: '王五' }),
      tieB: await createMember(t.db, w.branchA, { name: '赵六' }),
      zero: await createMember(t.db, w.gridA, { name: '钱七' }),
    }
    // top: 50 earned, then redeems 10 — a redemption is spending, not a loss of earned points.
    await givePoints(t.db, ids.top!, 5_000)
    const reward = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '10.00', stock: 5 })
    const r = await redeem(t, w.clerkA, { memberId: ids.top, rewardId: reward.id, quantity: 1 })
    expect(r.statusCode, r.body).toBe(201)
    const f = await t.call({ method: 'POST', url: `/api/v1/redemptions/${r.json().id}/fulfil`, as: w.clerkA })
    expect(f.statusCode, f.body).toBe(200)
    await award(t.db, ids.second!, 3_000)
    await award(t.db, ids.tieA!, 2_000)
    // tieB: 25 awarded, 5 taken back by an adjustment = 20, tying with tieA.
    await award(t.db, ids.tieB!, 2_500)
    const adj = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { memberId: ids.tieB, amount: '-5.00', reason: '重复登记' },
    })
    expect(adj.statusCode, adj.body).toBe(201)
    await verifiedActivity(t, w.secretaryA, w.branchA, [[ids.second!, '2.50']])
  })

  it('ranks every member of the subtree by net points, ties share a rank, zeros included', async () => {
    const res = await ranking(w.secretaryA, `orgUnitId=${w.branchA}&year=${YEAR}`)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.nextCursor).toBeNull()
    const byId = new Map(body.items.map((i: { memberId: string }) => [i.memberId, i]))
    expect(body.items).toHaveLength(5)
    expect(byId.get(ids.top)).toMatchObject({ rank: 1, points: '50.00', hours: '0.00', name: '张三' })
    expect(byId.get(ids.second)).toMatchObject({ rank: 2, points: '30.00', hours: '2.50', name: '李四' })
    expect(byId.get(ids.tieA)).toMatchObject({ rank: 3, points: '20.00' })
    expect(byId.get(ids.tieB)).toMatchObject({ rank: 3, points: '20.00' })
    expect(byId.get(ids.zero)).toMatchObject({ rank: 5, points: '0.00', hours: '0.00' })
    expect(body.items.map((i: { rank: number }) => i.rank)).toEqual([1, 2, 3, 3, 5])
  })

  it('pages with a cursor and keeps the ranks of the whole list', async () => {
    const first = await ranking(w.secretaryA, `orgUnitId=${w.branchA}&year=${YEAR}&limit=3`)
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json().items.map((i: { rank: number }) => i.rank)).toEqual([1, 2, 3])
    const cursor = first.json().nextCursor
    expect(cursor).toEqual(expect.any(String))
    const second = await ranking(w.secretaryA, `orgUnitId=${w.branchA}&year=${YEAR}&limit=3&cursor=${cursor}`)
    expect(second.statusCode, second.body).toBe(200)
    expect(second.json().items.map((i: { rank: number }) => i.rank)).toEqual([3, 5])
    expect(second.json().nextCursor).toBeNull()
    const all = [...first.json().items, ...second.json().items].map((i: { memberId: string }) => i.memberId)
    expect(new Set(all).size).toBe(5)
  })

  it('a sub-unit ranks only its own members', async () => {
    const res = await ranking(w.secretaryA, `orgUnitId=${w.gridA}&year=${YEAR}`)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json().items.map((i: { memberId: string; rank: number }) => [i.memberId, i.rank])).toEqual([
      [ids.tieA, 1],
      [ids.zero, 2],
    ])
  })

  it('gives the whole list as CSV with a BOM', async () => {
    const res = await ranking(w.secretaryA, `orgUnitId=${w.branchA}&year=${YEAR}&limit=1`, {
      accept: 'text/csv',
    })
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(res.body.startsWith('\uFEFF')).toBe(true)
    const lines = res.body.slice(1).trim().split('\r\n')
    expect(lines).toHaveLength(6)
    expect(lines[1]).toBe(`1,张三,50.00,0.00,,${ids.top}`)

    // GET /reports/ranking.csv, the file operation: the same file, with the same name.
    const file = await t.call({
      method: 'GET',
      url: `/api/v1/reports/ranking.csv?orgUnitId=${w.branchA}&year=${YEAR}`,
      as: w.secretaryA,
    })
    expect(file.statusCode, file.body).toBe(200)
    expect(file.body).toBe(res.body)
    expect(file.headers['content-disposition']).toBe(res.headers['content-disposition'])
    // its own validation: the year is required as on the JSON operation
    const bad = await t.call({
      method: 'GET',
      url: `/api/v1/reports/ranking.csv?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().code).toBe('validation_failed')
  })

  it('404 for a unit outside the caller scope, 403 without the secretary role; admin may', async () => {
    const outside = await ranking(w.secretaryB, `orgUnitId=${w.branchA}&year=${YEAR}`)
    expect(outside.statusCode).toBe(404)
    expect(outside.json().code).toBe('not_found')
    const clerk = await ranking(w.clerkA, `orgUnitId=${w.branchA}&year=${YEAR}`)
    expect(clerk.statusCode).toBe(403)
    const member = await ranking(w.memberA.userId, `orgUnitId=${w.branchA}&year=${YEAR}`)
    expect(member.statusCode).toBe(403)
    const admin = await ranking(w.admin, `orgUnitId=${w.branchA}&year=${YEAR}`)
    expect(admin.statusCode).toBe(200)
    expect(admin.json().items).toHaveLength(5)
  })
})

describe('getRanking year boundary (Asia/Shanghai)', () => {
  it('a posting at 2026-12-31T17:00Z is 2027-01-01 01:00 local and counts for 2027, not 2026', async () => {
    const w = await createWorld(t.db)
    const late = await award(t.db, w.memberB.memberId, 1_000)
    const early = await award(t.db, w.memberB.memberId, 700)
    await backdate(late, '2026-12-31T17:00:00Z')
    await backdate(early, '2026-12-31T15:59:59Z')
    const in2026 = await ranking(w.secretaryB, `orgUnitId=${w.branchB}&year=2026`)
    expect(in2026.statusCode, in2026.body).toBe(200)
    expect(in2026.json().items).toEqual([
      {
        rank: 1,
        memberId: w.memberB.memberId,
        name: expect.any(String),
        points: '7.00',
        hours: '0.00',
        grade: null,
      },
    ])
    const in2027 = await ranking(w.secretaryB, `orgUnitId=${w.branchB}&year=2027`)
    expect(in2027.json().items[0]).toMatchObject({ rank: 1, points: '10.00' })
  })
})

describe('getRanking ties (issue 17: not by UUID)', () => {
  let w: World
  let expected: string[]
  beforeAll(async () => {
    w = await createWorld(t.db)
    // grid A holds only these: one member with points, five tied at 0.00 with different hours and names
    // (two of them with the same name, which only the id can order).
    const member = (name: string) => createMember(t.db, w.gridA, { name })
    const leader = await member('张e')
    const most = await member('张b') // 3.00 h
    const sameA = await member('张a') // 1.00 h
    const sameB = await member('张a') // 1.00 h
    const later = await member('张c') // 1.00 h
    const none = await member('张d') // 0.00 h
    await award(t.db, leader, 1_000)
    await verifiedActivity(t, w.secretaryA, w.gridA, [
      [most, '3.00'],
      [sameA, '1.00'],
      [sameB, '1.00'],
      [later, '1.00'],
    ])
    const [first, second] = [sameA, sameB].sort()
    expected = [leader, most, first!, second!, later, none]
  })

  it('orders a tie by hours (most first), then by name, then by id; the tie keeps one rank', async () => {
    const res = await ranking(w.secretaryA, `orgUnitId=${w.gridA}&year=${YEAR}`)
    expect(res.statusCode, res.body).toBe(200)
    const items = res.json().items as { memberId: string; rank: number; points: string; hours: string }[]
    expect(items.map((i) => i.memberId)).toEqual(expected)
    expect(items.map((i) => [i.rank, i.points, i.hours])).toEqual([
      [1, '10.00', '0.00'],
      [2, '0.00', '3.00'],
      [2, '0.00', '1.00'],
      [2, '0.00', '1.00'],
      [2, '0.00', '1.00'],
      [2, '0.00', '0.00'],
    ])
    // the CSV (the whole list, no cursor) in the same order
    const csv = await ranking(w.secretaryA, `orgUnitId=${w.gridA}&year=${YEAR}`, { accept: 'text/csv' })
    const ids = csv.body
      .slice(1)
      .trim()
      .split('\r\n')
      .slice(1)
      .map((line) => line.split(',').pop())
    expect(ids).toEqual(expected)
  })

  it.each([1, 2])('pages of %i walk the tie without repeating or skipping anyone', async (limit) => {
    const walked: string[] = []
    let cursor: string | null = null
    for (let page = 0; page < 10; page++) {
      const res = await ranking(
        w.secretaryA,
        `orgUnitId=${w.gridA}&year=${YEAR}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      )
      expect(res.statusCode, res.body).toBe(200)
      walked.push(...res.json().items.map((i: { memberId: string }) => i.memberId))
      cursor = res.json().nextCursor
      if (!cursor) break
    }
    expect(walked).toEqual(expected)
  })
})
