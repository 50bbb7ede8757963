import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows, transaction } from '../../db/client'
import { centsFromDb } from '../../shared/decimal'
import { startOfLocalDate } from '../../shared/time'
import type { PeriodPlan } from './domain'

/**
 * Report queries. Reports read other modules' tables (members, ledger, redemptions) READ-ONLY, each
 * figure in one aggregate query: going through per-member service calls would turn a county ranking
 * into thousands of round trips. Nothing here writes. Points come from the monthly rollups
 * (report_member_months, report_unit_months) for whole months and, for the days at a period's edges
 * (see domain.ts planPeriod), from report_unit_days for a subtree's totals or the raw postings per member.
 */

/** Kinds that move a member's earned points; hold/post/void are redemptions and never count. */
const EARNING_KINDS = sql`('award','deduction','adjustment','reversal')`

/**
 * Reports read the rollups only, so they must be cut in the service's zone: at start, when report_settings names
 * another zone (TIMEZONE changed), the rollups are rebuilt in `tz` before the service answers. Returns the zone
 * they were cut in when it rebuilt, else null. Several processes starting together rebuild once: the settings row
 * is locked first and read again once the lock is held.
 */
export async function alignRollupZone(db: Db, tz: string): Promise<string | null> {
  return transaction(db, async (tx) => {
    const row = await one<{ tz: string }>(tx, sql`select time_zone as tz from report_settings for update`)
    if (!row || row.tz === tz) return null
    await tx.execute(sql`select report_rollups_rebuild(${tz})`)
    return row.tz
  })
}

function instant(date: string | null, tz: string): string | null {
  return date === null ? null : startOfLocalDate(date, tz).toISOString()
}

/** `col` within a day range of the plan (local dates, `to` exclusive), as instants. */
function inDays(col: SQL, range: { from: string | null; to: string | null }, tz: string): SQL {
  const conds = [sql`true`]
  const from = instant(range.from, tz)
  const to = instant(range.to, tz)
  if (from) conds.push(sql`${col} >= ${from}::timestamptz`)
  if (to) conds.push(sql`${col} < ${to}::timestamptz`)
  return sql.join(conds, sql` and `)
}

function inMonths(col: SQL, months: { from: string | null; to: string | null }): SQL {
  const conds = [sql`true`]
  if (months.from) conds.push(sql`${col} >= ${months.from}::date`)
  if (months.to) conds.push(sql`${col} < ${months.to}::date`)
  return sql.join(conds, sql` and `)
}

/**
 * (member_id, cents): net points earned in the period by the members `memberIds` (a subquery of ids)
 * names: rollup rows for the whole months, member entries of earning postings for the edge days.
 */
function earnedByMember(memberIds: SQL, plan: PeriodPlan, tz: string): SQL {
  const parts: SQL[] = []
  if (plan.months) {
    parts.push(sql`select r.member_id, r.issued - r.deducted as cents from report_member_months r
                   where r.member_id in (${memberIds}) and ${inMonths(sql`r.month`, plan.months)}`)
  }
  for (const range of plan.days) {
    parts.push(sql`select t.member_id, e.amount as cents
                   from ledger_transactions t
                   join ledger_entries e on e.transaction_id = t.id and e.account_id = t.account_id
                   where t.member_id in (${memberIds}) and t.kind in ${EARNING_KINDS}
                     and ${inDays(sql`t.created_at`, range, tz)}`)
  }
  if (parts.length === 0) return sql`select null::uuid as member_id, 0::bigint as cents where false`
  return sql`select member_id, sum(cents) as cents from (${sql.join(parts, sql` union all `)}) x group by member_id`
}

export interface RankedRow {
  rank: number
  memberId: string
  name: string
  /** The member's home unit (whose settings grade them). */
  orgUnitId: string
  pointsCents: number
  hoursCents: number
}

/** Where a ranking page ends: the last row's rank, hours, name and id (the whole sort key). */
export interface RankingKey {
  rank: number
  hoursCents: number
  name: string
  memberId: string
}

/**
 * Members whose home unit lies in the subtree, ranked by net points earned in the service-zone year — zero
 * for those with none — with rank() so ties share a rank, and their verified hours of the year. Within a tie: more hours first, then by name, then by id (a total order, so pages neither
 * repeat nor skip a member). Keyset on (rank, -hours, name, id).
 */
export async function rankMembers(
  db: Db,
  unitPath: string,
  year: number,
  after: RankingKey | undefined,
  limit: number | null,
): Promise<RankedRow[]> {
  const found = await rows<{
    rank: string
    memberId: string
    name: string
    orgUnitId: string
    cents: string
    hours: string
  }>(
    db,
    sql`with u as materialized (select id from org_units where path like ${`${unitPath}%`}),
        m as materialized (select m.id, m.name, m.org_unit_id from members m where m.org_unit_id in (select id from u)),
        -- points earned and verified hours of the service-zone year: the year rollups, read by the members' home
        -- units (one index-only range per unit, its members' rows side by side; by member id they were one random
        -- leaf page each, and before the year rollups twelve months and every day of each member)
        p as (select r.member_id, r.issued - r.deducted as cents from report_member_years r
              where r.org_unit_id in (select id from u) and r.year = ${year}::integer),
        h as (select r.member_id, r.hours_cents as hours from report_member_year_hours r
              where r.org_unit_id in (select id from u) and r.year = ${year}::integer),
        ranked as (
          select m.id, m.name, m.org_unit_id, coalesce(p.cents, 0) as cents, coalesce(h.hours, 0) as hours,
                 rank() over (order by coalesce(p.cents, 0) desc) as rank
          from m left join p on p.member_id = m.id left join h on h.member_id = m.id)
        select rank, id as "memberId", name, org_unit_id as "orgUnitId", cents, hours from ranked
        ${
          after
            ? sql`where (rank, -hours, name, id) >
                    (${after.rank}::bigint, ${-after.hoursCents}::bigint, ${after.name}::text, ${after.memberId}::uuid)`
            : sql``
        }
        order by rank, -hours, name, id
        ${limit === null ? sql`` : sql`limit ${limit}`}`,
  )
  return found.map((r) => ({
    rank: Number(r.rank),
    memberId: r.memberId,
    name: r.name,
    orgUnitId: r.orgUnitId,
    pointsCents: centsFromDb(r.cents),
    hoursCents: centsFromDb(r.hours),
  }))
}

/** Net points earned in the period per member, for a set of members (teams, pages). */
export async function earnedOf(
  db: Db,
  memberIds: SQL,
  plan: PeriodPlan,
  tz: string,
): Promise<Map<string, number>> {
  const found = await rows<{ memberId: string; cents: string }>(
    db,
    sql`select member_id as "memberId", cents from (${earnedByMember(memberIds, plan, tz)}) p`,
  )
  return new Map(found.map((r) => [r.memberId, centsFromDb(r.cents)]))
}

export interface PointsFigures {
  issuedCents: number
  deductedCents: number
  redeemedCents: number
  redemptions: number
}

/** The unit whose subtree a report sums: its id (the folded rows) and its path (the units under it). */
export interface SubtreeRoot {
  id: string
  path: string
}

interface PointsRow {
  key: string
  issued: string | null
  deducted: string | null
  redeemed: string | null
  n: string | null
}

/**
 * Points of members of the subtree (by home unit): positive and negative earning postings separately, and
 * their fulfilled redemptions (wherever handed out, so the same members are counted on both sides of the
 * points, as in the ranking). Grouped by `keyOf` (a month 'YYYY-MM' in the service zone, or one group).
 */
async function pointsGrouped(
  db: Db,
  unit: SubtreeRoot,
  plan: PeriodPlan,
  byMonth: boolean,
): Promise<PointsRow[]> {
  const units = sql`select id from org_units where path like ${`${unit.path}%`}`
  const parts: SQL[] = []
  const months = plan.months
  if (months) {
    // The months that are over from the subtree's own folded rows and their deltas (report_points_fold_finish in
    // src/db/sql/reports.sql), the rest (the open month, or any the fold has not reached) from each unit's rows.
    // Deltas of months from the boundary on (a fold begun, not finished) are in the unit rows already: not read.
    // The boundary is read first, on its own: it only ever moves forward, and each part below is read in the
    // one statement's snapshot, so a fold in between only means a month summed from the unit rows (exact, slower).
    const folded = await one<{ before: string }>(
      db,
      sql`select points_folded_before::text as before from report_settings`,
    )
    const before = folded?.before ?? '-infinity'
    const subtree = (table: SQL) =>
      sql`select s.month, s.issued, s.deducted, s.redeemed, s.redemptions from ${table} s
          where s.unit_id = ${unit.id} and s.month < ${before}::date and ${inMonths(sql`s.month`, months)}`
    parts.push(sql`select ${byMonth ? sql`to_char(x.month, 'YYYY-MM')` : sql`''`} as key,
                          sum(x.issued) as issued, sum(x.deducted) as deducted,
                          sum(x.redeemed) as redeemed, sum(x.redemptions) as n
                   from (${subtree(sql`report_subtree_months`)}
                         union all ${subtree(sql`report_subtree_month_deltas`)}
                         union all
                         select r.month, r.issued, r.deducted, r.redeemed, r.redemptions from report_unit_months r
                         where r.org_unit_id in (${units}) and r.month >= ${before}::date
                           and ${inMonths(sql`r.month`, months)}) x
                   group by 1`)
  }
  for (const range of plan.days) {
    // The edge days from report_unit_days (days of the same zone): one index-only range per unit.
    const conds = [sql`true`]
    if (range.from) conds.push(sql`r.day >= ${range.from}::date`)
    if (range.to) conds.push(sql`r.day < ${range.to}::date`)
    parts.push(sql`select ${byMonth ? sql`to_char(r.day, 'YYYY-MM')` : sql`''`} as key,
                          sum(r.issued) as issued, sum(r.deducted) as deducted,
                          sum(r.redeemed) as redeemed, sum(r.redemptions) as n
                   from report_unit_days r
                   where r.org_unit_id in (${units}) and ${sql.join(conds, sql` and `)}
                   group by 1`)
  }
  if (parts.length === 0) return []
  return rows<PointsRow>(
    db,
    sql`select key, sum(issued) as issued, sum(deducted) as deducted, sum(redeemed) as redeemed, sum(n) as n
        from (${sql.join(parts, sql` union all `)}) x group by key`,
  )
}

function toFigures(r: PointsRow | undefined): PointsFigures {
  return {
    issuedCents: centsFromDb(r?.issued ?? null),
    deductedCents: centsFromDb(r?.deducted ?? null),
    redeemedCents: centsFromDb(r?.redeemed ?? null),
    redemptions: Number(r?.n ?? 0),
  }
}

/** A subtree's points over a period: the plan's months from report_unit_months, its edge days from report_unit_days. */
export async function pointsFigures(db: Db, unit: SubtreeRoot, plan: PeriodPlan): Promise<PointsFigures> {
  const [row] = await pointsGrouped(db, unit, plan, false)
  return toFigures(row)
}

/** The same figures per service-zone month ('YYYY-MM'); months with nothing are absent. */
export async function pointsByMonth(
  db: Db,
  unit: SubtreeRoot,
  plan: PeriodPlan,
): Promise<Map<string, PointsFigures>> {
  const found = await pointsGrouped(db, unit, plan, true)
  return new Map(found.map((r) => [r.key, toFigures(r)]))
}

/** SQL "select 1 ..." finding an earning posting of the member `memberCol` in the period (for NOT EXISTS). */
export function earningPostingOf(memberCol: SQL, plan: PeriodPlan, tz: string): SQL {
  const parts: SQL[] = []
  if (plan.months) {
    parts.push(sql`select 1 from report_member_months r
                   where r.member_id = ${memberCol} and r.earning_postings > 0 and ${inMonths(sql`r.month`, plan.months)}`)
  }
  for (const range of plan.days) {
    parts.push(sql`select 1 from ledger_transactions t
                   where t.member_id = ${memberCol} and t.kind in ${EARNING_KINDS}
                     and ${inDays(sql`t.created_at`, range, tz)}`)
  }
  if (parts.length === 0) return sql`select 1 where false`
  return sql.join(parts, sql` union all `)
}
