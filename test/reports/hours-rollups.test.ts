import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { hoursSummary } from '../../src/modules/activities/reporting'
import { hoursByMonth } from '../../src/modules/reports/breakdowns-repo'
import { createPastActivity, createRequest, recordHours, step, verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import { idemKey } from '../helpers/rewards'

/**
 * The hours rollups (report_hours_days, report_member_days, report_volunteer_days) are kept at commit by
 * the verification and confirmation triggers, follow members who move, and can be rebuilt by
 * report_rollups_rebuild(). Whatever happened, the figures read from them must equal the figures read
 * from the activities and requests themselves, for every unit of the tree and any period.
 */

let t: TestApp
let w: World
let members: { memberId: string; userId: string }[]
let units: string[]

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  members = [
    w.memberA,
    w.memberB,
    await createMemberUser(t.db, w.branchA, { name: '甲' }),
    await createMemberUser(t.db, w.gridA, { name: '乙' }),
    await createMemberUser(t.db, w.gridA, { name: '丙' }),
    await createMemberUser(t.db, w.branchB, { name: '丁' }),
  ]
  // Everyone registered with both communities (双报到): any of them may serve on either side.
  for (const m of members) {
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at)
          select ${m.memberId}::uuid, c, 'accepted', now() from unnest(${`{${w.communityA},${w.communityB}}`}::uuid[]) c
          on conflict do nothing`,
    )
  }
  units = [w.district, w.street, w.communityA, w.branchA, w.gridA, w.communityB, w.branchB]
})

/** A small deterministic PRNG, so a failure replays the same mix. */
function lcg(seed: number) {
  let s = seed
  return (n: number) => {
    s = (s * 1103515245 + 12345) % 2 ** 31
    return Math.floor((s / 2 ** 31) * n)
  }
}

const DAY = 86_400_000

async function pathOf(id: string): Promise<string> {
  return (await one<{ path: string }>(t.db, sql`select path from org_units where id = ${id}`))!.path
}

/** The rollup tables for the world's units and members, rows that count (n <> 0) only. */
async function rollupTables() {
  const ids = sql.join(
    members.map((m) => sql`${m.memberId}::uuid`),
    sql`, `,
  )
  const inWorld = sql`(select id from org_units where path like ${`${await pathOf(w.district)}%`})`
  return {
    hours: await rows(
      t.db,
      sql`select work_unit_id, to_char(day, 'YYYY-MM-DD') as day, home_unit_id, hours_cents::text,
                 records, requests
          from report_hours_days where work_unit_id in ${inWorld} and records <> 0 order by 1, 2, 3`,
    ),
    days: await rows(
      t.db,
      sql`select member_id, to_char(day, 'YYYY-MM-DD') as day, hours_cents::text from report_member_days
          where member_id in (${ids}) order by 1, 2`,
    ),
    volunteers: await rows(
      t.db,
      sql`select unit_id, to_char(day, 'YYYY-MM-DD') as day, prev_day::text, n from report_volunteer_days
          where unit_id in ${inWorld} and n <> 0 order by 1, 2, 3`,
    ),
    subtree: await rows(
      t.db,
      sql`select unit_id, to_char(day, 'YYYY-MM-DD') as day, hours_cents::text, records, requests,
                 visiting_records from report_subtree_hours_days
          where unit_id in ${inWorld} and records <> 0 order by 1, 2`,
    ),
    // Each member's every verified hour (the balance's volunteer star reads it).
    memberHours: await rows(
      t.db,
      sql`select member_id, hours_cents::text from report_member_hours where member_id in (${ids}) order by 1`,
    ),
    // Each member's hours per year (the ranking and standings read it).
    memberYears: await rows(
      t.db,
      sql`select member_id, year, org_unit_id, hours_cents::text from report_member_year_hours
          where member_id in (${ids}) order by 1, 2`,
    ),
  }
}

/**
 * What the rollups should hold, from the tables through the verified_service_hours view (a different
 * path from the triggers' and the rebuild's), days in this connection's zone (the service zone).
 */
async function expectedTables() {
  const ids = sql.join(
    members.map((m) => sql`${m.memberId}::uuid`),
    sql`, `,
  )
  const recs = sql`(select v.member_id, v.org_unit_id as work, v.occurred_at::date as day, v.hours_cents,
                           v.source = 'service_request' as request, m.org_unit_id as home
                    from verified_service_hours v join members m on m.id = v.member_id
                    where v.member_id in (${ids}))`
  const inWorld = sql`(select id from org_units where path like ${`${await pathOf(w.district)}%`})`
  return {
    hours: await rows(
      t.db,
      sql`select work as work_unit_id, to_char(day, 'YYYY-MM-DD') as day, home as home_unit_id,
                 sum(hours_cents)::text as hours_cents, count(*)::int as records,
                 (count(*) filter (where request))::int as requests
          from ${recs} r group by work, day, home order by 1, 2, 3`,
    ),
    days: await rows(
      t.db,
      sql`select member_id, to_char(day, 'YYYY-MM-DD') as day, coalesce(sum(hours_cents), 0)::text as hours_cents
          from ${recs} r group by 1, 2 order by 1, 2`,
    ),
    // Each member-day once for every unit at or above the member's home.
    volunteers: await rows(
      t.db,
      sql`select u.id as unit_id, to_char(day, 'YYYY-MM-DD') as day,
                 coalesce(prev, '-infinity')::text as prev_day, count(*)::int as n
          from (select distinct member_id, home, day,
                       (select max(r2.day) from ${recs} r2 where r2.member_id = r.member_id and r2.day < r.day) as prev
                from ${recs} r) x
          join org_units ho on ho.id = x.home join org_units u on ho.path like u.path || '%'
          where u.id in ${inWorld}
          group by 1, 2, 3 order by 1, 2, 3`,
    ),
    // Each record once for every unit at or above its work unit or its member's home; visiting: the
    // unit is above the work unit only.
    subtree: await rows(
      t.db,
      sql`select u.id as unit_id, to_char(day, 'YYYY-MM-DD') as day, sum(hours_cents)::text as hours_cents,
                 count(*)::int as records, (count(*) filter (where request))::int as requests,
                 (count(*) filter (where not ho.path like u.path || '%'))::int as visiting_records
          from ${recs} r join org_units wo on wo.id = r.work join org_units ho on ho.id = r.home
          join org_units u on wo.path like u.path || '%' or ho.path like u.path || '%'
          where u.id in ${inWorld}
          group by 1, 2 order by 1, 2`,
    ),
    memberHours: await rows(
      t.db,
      sql`select member_id, coalesce(sum(hours_cents), 0)::text as hours_cents from ${recs} r
          group by 1 order by 1`,
    ),
    memberYears: await rows(
      t.db,
      sql`select member_id, extract(year from day)::int as year, home as org_unit_id,
                 coalesce(sum(hours_cents), 0)::text as hours_cents
          from ${recs} r group by 1, 2, 3 order by 1, 2`,
    ),
  }
}

/** Every unit, several periods (open, whole months, odd edges, one day): rollups and tables agree. */
async function figuresAgree(periods: [string | null, string | null][]) {
  let nonZero = 0
  for (const unit of units) {
    const path = await pathOf(unit)
    for (const [from, to] of periods) {
      const raw = await hoursSummary(t.db, path, from, to, false)
      const kept = await hoursSummary(t.db, path, from, to, true)
      expect(kept, `${unit} ${from}..${to}`).toEqual(raw)
      if (raw.volunteers > 0) nonZero++
    }
    for (const year of [2025, 2026]) {
      const range = { from: `${year}-01-01`, to: `${year}-12-31` }
      const raw = await hoursByMonth(t.db, path, range, false)
      const kept = await hoursByMonth(t.db, path, range, true)
      expect(Object.fromEntries(kept), `${unit} ${year} by month`).toEqual(Object.fromEntries(raw))
    }
  }
  expect(nonZero).toBeGreaterThan(units.length)
}

describe('hours rollups', () => {
  it('equal the tables after a random mix of verifications, open hours, confirmed requests and moves, and after a rebuild', async () => {
    const rand = lcg(8_2026)
    const now = Date.now()
    const homes = [w.branchA, w.gridA, w.branchB]
    const dates = new Set<string>()
    for (let i = 0; i < 36; i++) {
      const kind = rand(10)
      if (kind < 6) {
        // An activity on one of ~20 days of the last two months; 15:30Z and 16:30Z straddle midnight in
        // Shanghai, so the zone's day (not UTC's) decides.
        const day = new Date(now - (2 + rand(20) * 3) * DAY)
        const startsAt = `${day.toISOString().slice(0, 10)}T${rand(2) ? '15:30' : '16:30'}:00Z`
        if (new Date(startsAt).getTime() > now - 3 * 3_600_000) continue
        dates.add(startsAt)
        const who = members.filter(() => rand(2) === 0).slice(0, 4)
        if (who.length === 0) continue
        const hours = who.map((m) => [
          m.memberId,
          `${1 + rand(2)}.${String(rand(100)).padStart(2, '0')}`,
        ]) as [string, string][]
        await verifiedActivity(t, w.admin, [w.branchA, w.gridA, w.branchB][rand(3)]!, hours, { startsAt })
      } else if (kind === 6) {
        // Hours recorded at an activity never verified: in no figure.
        const id = await createPastActivity(t, w.admin, w.gridA)
        const res = await recordHours(t, w.admin, id, members[rand(members.length)]!.memberId, '1.00')
        expect(res.statusCode, res.body).toBe(201)
      } else if (kind < 9) {
        const m = members[rand(members.length)]!
        const req = await createRequest(t, w.admin, [w.branchA, w.branchB][rand(2)]!)
        for (const [name, as, payload] of [
          ['dispatch', w.admin, { memberId: m.memberId }],
          ['accept', m.userId, undefined],
          ['complete', m.userId, { hours: `0.${10 + rand(90)}`, note: '完成' }],
          ['confirm', w.admin, undefined],
        ] as const) {
          const r = await step(t, as, req, name, payload)
          expect(r.statusCode, r.body).toBe(200)
        }
      } else {
        const m = members[rand(members.length)]!
        const res = await t.call({
          method: 'PATCH',
          url: `/api/v1/members/${m.memberId}`,
          as: w.admin,
          headers: { 'idempotency-key': idemKey() },
          payload: { orgUnitId: homes[rand(homes.length)] },
        })
        expect(res.statusCode, res.body).toBe(200)
      }
    }
    expect(dates.size).toBeGreaterThan(5)
    // 更正: some verified participations corrected (up, down, to 0.00 and back), interleaved with a move.
    const verified = await rows<{ activityId: string; memberId: string; length: string }>(
      t.db,
      sql`select p.activity_id as "activityId", p.member_id as "memberId", a.length_cents::text as length
          from activity_participants p join activities a on a.id = p.activity_id
          where a.status = 'verified' and p.member_id in (${sql.join(
            members.map((m) => sql`${m.memberId}::uuid`),
            sql`, `,
          )})
          order by a.starts_at, p.member_id`,
    )
    expect(verified.length).toBeGreaterThan(6)
    for (let i = 0; i < 8; i++) {
      const p = verified[rand(verified.length)]!
      const cents = i % 4 === 3 ? 0 : 1 + rand(Number(p.length))
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/activities/${p.activityId}/participants/${p.memberId}/corrections`,
        as: w.admin,
        headers: { 'idempotency-key': idemKey() },
        payload: { hours: (cents / 100).toFixed(2), reason: '更正' },
      })
      expect([201, 409], res.body).toContain(res.statusCode)
      if (i === 4) {
        const moved = await t.call({
          method: 'PATCH',
          url: `/api/v1/members/${p.memberId}`,
          as: w.admin,
          headers: { 'idempotency-key': idemKey() },
          payload: { orgUnitId: homes[rand(homes.length)] },
        })
        expect(moved.statusCode, moved.body).toBe(200)
      }
    }

    const expected = await expectedTables()
    expect(expected.hours.length).toBeGreaterThan(5)
    expect(expected.hours.some((r) => (r as { requests: number }).requests > 0)).toBe(true)
    expect(expected.hours.some((r) => r.work_unit_id !== r.home_unit_id)).toBe(true)
    expect(await rollupTables()).toEqual(expected)

    const sorted = [...dates].map((d) => d.slice(0, 10)).sort()
    const first = sorted[0]!
    const mid = sorted[Math.floor(sorted.length / 2)]!
    const today = new Date(now + 8 * 3_600_000).toISOString().slice(0, 10)
    const periods: [string | null, string | null][] = [
      [null, null],
      [first, null],
      [null, mid],
      [mid, mid],
      [mid, today],
      [`${first.slice(0, 7)}-01`, `${mid.slice(0, 7)}-28`],
      [today, today],
    ]
    await figuresAgree(periods)

    const [r] = await rows<{ n: string }>(t.db, sql`select report_rollups_rebuild() as n`)
    expect(Number(r!.n)).toBeGreaterThanOrEqual(0)
    expect(await rollupTables()).toEqual(expected)
    await figuresAgree(periods)
  })

  it('stay exact when verifications of one branch and day, sharing members, commit together with a move', async () => {
    // Same branch, same day, overlapping members: every commit writes the same rollup rows and the same
    // members' active days. The commit-time lock order must neither deadlock nor lose an update.
    const startsAt = new Date(Date.now() - 50 * DAY).toISOString()
    const ids: string[] = []
    for (let i = 0; i < 6; i++) {
      const id = await createPastActivity(t, w.admin, w.branchA, { startsAt, hours: 2 })
      for (const m of members.slice(i % 3, (i % 3) + 4)) {
        const res = await recordHours(t, w.admin, id, m.memberId, '1.25')
        expect(res.statusCode, res.body).toBe(201)
      }
      ids.push(id)
    }
    // An activity of the same day verified before: its hours are corrected while the others verify.
    const pre = await createPastActivity(t, w.admin, w.branchA, { startsAt, hours: 2 })
    for (const m of members.slice(2, 5)) {
      const res = await recordHours(t, w.admin, pre, m.memberId, '1.50')
      expect(res.statusCode, res.body).toBe(201)
    }
    expect(
      (await t.call({ method: 'POST', url: `/api/v1/activities/${pre}/verify`, as: w.admin })).statusCode,
    ).toBe(200)
    const results = await Promise.all([
      ...ids.map((id) => t.call({ method: 'POST', url: `/api/v1/activities/${id}/verify`, as: w.admin })),
      ...members.slice(2, 5).map((m, i) =>
        t.call({
          method: 'POST',
          url: `/api/v1/activities/${pre}/participants/${m.memberId}/corrections`,
          as: w.admin,
          headers: { 'idempotency-key': idemKey() },
          payload: { hours: ['0.75', '2.00', '0.00'][i], reason: '更正' },
        }),
      ),
      t.call({
        method: 'PATCH',
        url: `/api/v1/members/${members[3]!.memberId}`,
        as: w.admin,
        headers: { 'idempotency-key': idemKey() },
        payload: { orgUnitId: w.branchB },
      }),
    ])
    for (const r of results) expect(r.statusCode, r.body).toBeLessThan(300)
    expect(await rollupTables()).toEqual(await expectedTables())
    const day = startsAt.slice(0, 10)
    await figuresAgree([
      [null, null],
      [day, day],
    ])
  })
})
