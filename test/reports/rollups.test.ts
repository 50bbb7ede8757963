import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows, transaction } from '../../src/db/client'
import { alignRollupZone } from '../../src/modules/reports/repo'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { refusal } from '../helpers/refusal'
import { givePoints, idemKey, redeem, stockedReward } from '../helpers/rewards'

/**
 * report_member_months is kept by a trigger in each posting's transaction and can be rebuilt by
 * report_rollups_rebuild(). Both must equal what the raw ledger says, member by member and month by month.
 */

let t: TestApp
let w: World
let members: string[]

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  members = [
    w.memberA.memberId,
    await createMember(t.db, w.branchA, { name: '甲' }),
    await createMember(t.db, w.gridA, { name: '乙' }),
    await createMember(t.db, w.gridA, { name: '丙' }),
  ]
})

interface RollupRow {
  memberId: string
  month: string
  orgUnitId: string
  issued: string
  deducted: string
  postings: string
  redeemed: string
  redemptions: string
}

function rollup(): Promise<RollupRow[]> {
  return rows<RollupRow>(
    t.db,
    sql`select r.member_id as "memberId", to_char(r.month, 'YYYY-MM-DD') as month, r.org_unit_id as "orgUnitId",
               r.issued::text, r.deducted::text, r.earning_postings::text as postings, r.redeemed::text,
               r.redemptions::text
        from report_member_months r where r.member_id in (${sql.join(
          members.map((m) => sql`${m}::uuid`),
          sql`, `,
        )})
        order by 1, 2`,
  )
}

/**
 * The same figures straight from the ledger, said differently on purpose: entry by entry from the member's
 * account, the month of the posting in the service zone (this connection's zone), redemptions from the
 * redemptions table (fulfilled ones) rather than from the ledger's 'post' transactions.
 */
function raw(): Promise<RollupRow[]> {
  const ids = sql.join(
    members.map((m) => sql`${m}::uuid`),
    sql`, `,
  )
  return rows<RollupRow>(
    t.db,
    sql`with earned as (
          select a.member_id, to_char(date_trunc('month', t.created_at), 'YYYY-MM-DD') as month,
                 sum(case when e.amount > 0 then e.amount else 0 end) as issued,
                 sum(case when e.amount < 0 then -e.amount else 0 end) as deducted, count(*) as postings
          from ledger_accounts a join ledger_entries e on e.account_id = a.id
          join ledger_transactions t on t.id = e.transaction_id
          where a.member_id in (${ids}) and t.kind in ('award','deduction','adjustment','reversal')
          group by 1, 2),
        spent as (
          select r.member_id, to_char(date_trunc('month', r.fulfilled_at), 'YYYY-MM-DD') as month,
                 sum(r.amount) as redeemed, count(*) as redemptions
          from redemptions r where r.member_id in (${ids}) and r.status = 'fulfilled' group by 1, 2)
        select coalesce(x.member_id, s.member_id) as "memberId", coalesce(x.month, s.month) as month,
               m.org_unit_id as "orgUnitId", coalesce(x.issued, 0)::text as issued,
               coalesce(x.deducted, 0)::text as deducted, coalesce(x.postings, 0)::text as postings,
               coalesce(s.redeemed, 0)::text as redeemed, coalesce(s.redemptions, 0)::text as redemptions
        from earned x full join spent s on s.member_id = x.member_id and s.month = x.month
        join members m on m.id = coalesce(x.member_id, s.member_id)
        order by 1, 2`,
  )
}

/**
 * report_member_years of the world's members against the ledger itself: each member's earning postings summed per
 * service-zone year (this connection's zone), positive and negative entries apart, under their current home
 * unit; a member with only redemptions in a year has no row.
 */
async function yearsAgree(): Promise<void> {
  const ids = sql.join(
    members.map((m) => sql`${m}::uuid`),
    sql`, `,
  )
  const kept = await rows(
    t.db,
    sql`select member_id as "memberId", year, org_unit_id as "orgUnitId", issued::text, deducted::text
        from report_member_years where member_id in (${ids}) order by 1, 2`,
  )
  const raw = await rows(
    t.db,
    sql`select a.member_id as "memberId", extract(year from t.created_at)::int as year,
               m.org_unit_id as "orgUnitId", sum(greatest(e.amount, 0))::text as issued,
               sum(greatest(-e.amount, 0))::text as deducted
        from ledger_accounts a join ledger_entries e on e.account_id = a.id
        join ledger_transactions t on t.id = e.transaction_id join members m on m.id = a.member_id
        where a.member_id in (${ids}) and t.kind in ('award','deduction','adjustment','reversal')
        group by 1, 2, 3 order by 1, 2`,
  )
  expect(raw.length).toBeGreaterThan(0)
  expect(kept).toEqual(raw)
}

/** report_unit_months of the world's units against the member rollup summed per unit (and so the ledger). */
async function unitsAgree(): Promise<void> {
  const units = sql`select id from org_units where path like (select path from org_units where id = ${w.street}) || '%'`
  const kept = await rows(
    t.db,
    sql`select org_unit_id, to_char(month, 'YYYY-MM-DD') as month, issued::text, deducted::text,
               earning_postings::text as postings, redeemed::text, redemptions::text
        from report_unit_months where org_unit_id in (${units}) and (issued, deducted, earning_postings, redeemed, redemptions) <> (0, 0, 0, 0, 0)
        order by 1, 2`,
  )
  const summed = await rows(
    t.db,
    sql`select org_unit_id, to_char(month, 'YYYY-MM-DD') as month, sum(issued)::text as issued,
               sum(deducted)::text as deducted, sum(earning_postings)::text as postings,
               sum(redeemed)::text as redeemed, sum(redemptions)::text as redemptions
        from report_member_months where org_unit_id in (${units})
        group by 1, 2 order by 1, 2`,
  )
  expect(summed.length).toBeGreaterThan(0)
  expect(kept).toEqual(summed)
}

/**
 * report_unit_days of the world's units against the ledger itself, per (member's home unit, service-zone
 * day): entries of the members' accounts, redemptions from the redemptions table.
 */
async function unitDaysAgree(): Promise<void> {
  const units = sql`select id from org_units where path like (select path from org_units where id = ${w.street}) || '%'`
  const kept = await rows(
    t.db,
    sql`select org_unit_id, to_char(day, 'YYYY-MM-DD') as day, issued::text, deducted::text,
               earning_postings::text as postings, redeemed::text, redemptions::text
        from report_unit_days where org_unit_id in (${units})
          and (issued, deducted, earning_postings, redeemed, redemptions) <> (0, 0, 0, 0, 0)
        order by 1, 2`,
  )
  const raw = await rows(
    t.db,
    sql`with earned as (
          select m.org_unit_id, t.created_at::date as day,
                 sum(greatest(e.amount, 0)) as issued, sum(greatest(-e.amount, 0)) as deducted, count(*) as postings
          from members m join ledger_accounts a on a.member_id = m.id join ledger_entries e on e.account_id = a.id
          join ledger_transactions t on t.id = e.transaction_id
          where m.org_unit_id in (${units}) and t.kind in ('award','deduction','adjustment','reversal')
          group by 1, 2),
        spent as (
          select m.org_unit_id, r.fulfilled_at::date as day, sum(r.amount) as redeemed, count(*) as redemptions
          from members m join redemptions r on r.member_id = m.id
          where m.org_unit_id in (${units}) and r.status = 'fulfilled' group by 1, 2)
        select coalesce(x.org_unit_id, s.org_unit_id) as org_unit_id,
               to_char(coalesce(x.day, s.day), 'YYYY-MM-DD') as day, coalesce(x.issued, 0)::text as issued,
               coalesce(x.deducted, 0)::text as deducted, coalesce(x.postings, 0)::text as postings,
               coalesce(s.redeemed, 0)::text as redeemed, coalesce(s.redemptions, 0)::text as redemptions
        from earned x full join spent s on s.org_unit_id = x.org_unit_id and s.day = x.day
        order by 1, 2`,
  )
  expect(raw.length).toBeGreaterThan(0)
  expect(kept).toEqual(raw)
}

async function rebuild(zone?: string): Promise<number> {
  const [r] = await rows<{ n: string }>(
    t.db,
    zone ? sql`select report_rollups_rebuild(${zone}) as n` : sql`select report_rollups_rebuild() as n`,
  )
  return Number(r!.n)
}

/** A small deterministic PRNG, so a failure replays the same mix. */
function lcg(seed: number) {
  let s = seed
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    // The high bits: an LCG's low bits cycle with a short period.
    return Math.floor((s / 2 ** 31) * n)
  }
}

async function api(
  method: 'POST' | 'PATCH',
  url: string,
  as: string,
  payload: Record<string, unknown>,
  expected = 201,
) {
  const res = await t.call({ method, url, as, headers: { 'idempotency-key': idemKey() }, payload })
  expect(res.statusCode, res.body).toBe(expected)
  return res.json()
}

describe('report_member_months', () => {
  it('equals the raw ledger after a random mix of postings, and after a rebuild', async () => {
    const rand = lcg(20261127)
    const reward = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '3.00', stock: 100 })
    for (const m of members) await givePoints(t.db, m, 10_000)
    const reversible: string[] = []
    for (let i = 0; i < 40; i++) {
      const m = members[rand(members.length)]!
      switch (rand(6)) {
        case 0:
          reversible.push(await award(t.db, m, 1 + rand(5_000)))
          break
        case 1:
          reversible.push(await award(t.db, m, -(1 + rand(900))))
          break
        case 2: {
          const amount = `${rand(2) ? '-' : ''}${1 + rand(20)}.${String(rand(100)).padStart(2, '0')}`
          const adj = await api('POST', '/api/v1/ledger/adjustments', w.secretaryA, {
            memberId: m,
            amount,
            reason: '核对',
          })
          reversible.push(adj.id)
          break
        }
        case 3: {
          const original = reversible.splice(rand(reversible.length || 1), 1)[0]
          if (original) {
            await api('POST', `/api/v1/ledger/transactions/${original}/reverse`, w.secretaryA, {
              reason: '撤销',
            })
          }
          break
        }
        default: {
          const r = await redeem(t, w.clerkA, { memberId: m, rewardId: reward.id, quantity: 1 + rand(2) })
          expect(r.statusCode, r.body).toBe(201)
          const settle = rand(3) === 0 ? 'cancel' : 'fulfil'
          const s = await t.call({
            method: 'POST',
            url: `/api/v1/redemptions/${r.json().id}/${settle}`,
            as: w.clerkA,
          })
          expect(s.statusCode, s.body).toBe(200)
        }
      }
    }
    const kept = await rollup()
    const expected = await raw()
    expect(expected.length).toBeGreaterThan(0)
    expect(expected.some((r) => r.redemptions !== '0')).toBe(true)
    expect(expected.some((r) => r.deducted !== '0')).toBe(true)
    expect(kept).toEqual(expected)
    await unitsAgree()
    await unitDaysAgree()
    await yearsAgree()

    await rebuild()
    expect(await rollup()).toEqual(expected)
    await unitsAgree()
    await unitDaysAgree()
    await yearsAgree()
  })

  it('follows a member who moves to another home unit', async () => {
    const m = members[1]!
    await award(t.db, m, 700)
    await api('PATCH', `/api/v1/members/${m}`, w.secretaryA, { orgUnitId: w.gridA }, 200)
    const mine = (await rollup()).filter((r) => r.memberId === m)
    expect(mine.length).toBeGreaterThan(0)
    expect(mine.every((r) => r.orgUnitId === w.gridA)).toBe(true)
    expect(await rollup()).toEqual(await raw())
    await unitsAgree()
    await unitDaysAgree()
    await yearsAgree()
  })

  it('a rebuild cuts months in its zone: a posting at 2026-01-31T16:30Z is February in Shanghai, January in UTC', async () => {
    const m = await createMember(t.db, w.branchB, { name: '月末' })
    members.push(m)
    const id = await award(t.db, m, 1_234)
    await transaction(t.db, async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`)
      await tx.execute(
        sql`update ledger_transactions set created_at = '2026-01-31T16:30:00Z' where id = ${id}::uuid`,
      )
    })
    // Changed behind the triggers' back: the rollup still has the posting's real month until rebuilt.
    expect((await rollup()).filter((r) => r.memberId === m).map((r) => r.month)).not.toEqual(['2026-02-01'])
    await rebuild()
    expect((await rollup()).filter((r) => r.memberId === m)).toMatchObject([
      { month: '2026-02-01', issued: '1234' },
    ])
    expect(await rollup()).toEqual(await raw())
    try {
      await rebuild('UTC')
      expect((await rollup()).filter((r) => r.memberId === m)).toMatchObject([{ month: '2026-01-01' }])
    } finally {
      await rebuild('Asia/Shanghai')
    }
    expect(await rollup()).toEqual(await raw())
    await unitsAgree()
    await unitDaysAgree()
  })

  it('at start, rollups cut in another zone than TIMEZONE are recut in it, once (reports read only the rollups)', async () => {
    await rebuild('UTC')
    try {
      expect(await alignRollupZone(t.db, 'Asia/Shanghai')).toBe('UTC')
    } finally {
      await rebuild('Asia/Shanghai')
    }
    const [zone] = await rows<{ z: string }>(t.db, sql`select time_zone as z from report_settings`)
    expect(zone!.z).toBe('Asia/Shanghai')
    expect(await rollup()).toEqual(await raw())
    await unitsAgree()
    await unitDaysAgree()
    expect(await alignRollupZone(t.db, 'Asia/Shanghai')).toBeNull()
  })

  it('refuses an unknown zone and keeps the rows', async () => {
    const before = await rollup()
    expect(await refusal(rebuild('Mars/Olympus'))).toMatchObject({
      code: '22023',
      message: expect.stringMatching(/time zone .* not recognized/),
    })
    expect(await rollup()).toEqual(before)
    const [zone] = await rows<{ z: string }>(t.db, sql`select time_zone as z from report_settings`)
    expect(zone!.z).toBe('Asia/Shanghai')
  })
})
