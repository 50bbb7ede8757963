import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { centsFromDb } from '../../shared/decimal'

/**
 * Verified hours for reports (ranking, unit summaries), so the reports module never reads these tables.
 * Periods are service-zone dates, both ends inclusive, either end open (null).
 *
 * A record counts for a unit's subtree when the work took place there OR the member's home unit lies
 * there: a 双报到 member's hours show for their home branch and for the community they served.
 */

function period(column: SQL, from: string | null, to: string | null): SQL {
  const conds = [sql`true`]
  if (from) conds.push(sql`${column} >= ${from}::date`)
  if (to) conds.push(sql`${column} < ${to}::date + 1`)
  return sql.join(conds, sql` and `)
}

export interface HoursSummary {
  /** Activities that started in the period in the subtree (any status). */
  activities: number
  /** Distinct members with verified hours counted for the subtree. */
  volunteers: number
  serviceHoursCents: number
  /** Service requests confirmed (their work completed) in the period. */
  serviceRequestsConfirmed: number
}

/**
 * `rollups`: read the per-subtree rollups (report_subtree_hours_days, report_volunteer_days,
 * report_subtree_activity_days; kept at verification, confirmation and activity creation, migrations
 * reports_hours_rollups, reports_subtree_hours, reports_subtree_activities) instead of the tables. Only
 * when they are cut in the connection's zone (the caller checks report_settings), else the raw tables:
 * slower, never wrong.
 */
export async function hoursSummary(
  tx: Db,
  unitPath: string,
  from: string | null,
  to: string | null,
  rollups = false,
): Promise<HoursSummary> {
  const like = `${unitPath}%`
  if (rollups) {
    const all = await hoursFromRollupsGrouped(tx, unitPath, from, to, false)
    return all.get('') ?? { activities: 0, volunteers: 0, serviceHoursCents: 0, serviceRequestsConfirmed: 0 }
  }
  const acts = await activitiesHeld(tx, like, from, to)
  return { activities: acts, ...(await hoursFromTables(tx, like, from, to)) }
}

/** Activities that started in the period in the subtree (the raw path). */
async function activitiesHeld(tx: Db, like: string, from: string | null, to: string | null): Promise<number> {
  const acts = await one<{ n: string }>(
    tx,
    sql`select count(*) as n from activities a join org_units u on u.id = a.org_unit_id
        where u.path like ${like} and ${period(sql`a.starts_at`, from, to)}`,
  )
  return Number(acts!.n)
}

async function hoursFromTables(
  tx: Db,
  like: string,
  from: string | null,
  to: string | null,
): Promise<Omit<HoursSummary, 'activities'>> {
  // Written against the tables (and activity_participant_hours, a participation's current, corrected figure),
  // not the verified_service_hours view, in two index-driven halves: work
  // done in the subtree (its units' activities and requests), plus work done elsewhere by members whose
  // home unit lies in it (their participations and requests). One OR across the view's joins made
  // PostgreSQL read every verified hour of the city to answer for a county. Same records, each once.
  const inAct = period(sql`a.starts_at`, from, to)
  const inReq = period(sql`r.completed_at`, from, to)
  const hours = await one<{ volunteers: string; cents: string | null; requests: string }>(
    tx,
    sql`with units as materialized (select id from org_units where path like ${like}),
        homed as materialized (select m.id from members m where m.org_unit_id in (select id from units)),
        recs as (
          select p.member_id, p.hours_cents, false as request
          from activities a join activity_participant_hours p on p.activity_id = a.id
          where a.org_unit_id in (select id from units) and a.status = 'verified' and ${inAct}
          union all
          select r.member_id, r.hours_cents, true from service_requests r
          where r.org_unit_id in (select id from units) and r.status = 'confirmed' and ${inReq}
          union all
          select p.member_id, p.hours_cents, false
          from homed h join activity_participant_hours p on p.member_id = h.id join activities a on a.id = p.activity_id
          where a.org_unit_id not in (select id from units) and a.status = 'verified' and ${inAct}
          union all
          select r.member_id, r.hours_cents, true from homed h join service_requests r on r.member_id = h.id
          where r.org_unit_id not in (select id from units) and r.status = 'confirmed' and ${inReq})
        select count(distinct member_id) as volunteers, sum(hours_cents) as cents,
               count(*) filter (where request) as requests
        from recs`,
  )
  return {
    volunteers: Number(hours!.volunteers),
    serviceHoursCents: centsFromDb(hours!.cents),
    serviceRequestsConfirmed: Number(hours!.requests),
  }
}

/** Verified hours per member in the period (members with none are absent from the map). */
export async function hoursByMember(
  tx: Db,
  memberIds: readonly string[],
  from: string | null,
  to: string | null,
): Promise<Map<string, number>> {
  if (memberIds.length === 0) return new Map()
  const found = await rows<{ memberId: string; cents: string }>(
    tx,
    sql`select v.member_id as "memberId", sum(v.hours_cents) as cents
        from verified_service_hours v
        where v.member_id in (${sql.join(
          memberIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}) and ${period(sql`v.occurred_at`, from, to)}
        group by v.member_id`,
  )
  return new Map(found.map((r) => [r.memberId, centsFromDb(r.cents)]))
}

export interface HoursFigures {
  activities: number
  volunteers: number
  serviceHoursCents: number
  serviceRequestsConfirmed: number
}

/**
 * The summary's hours figures from the rollups, grouped by service-zone month ('YYYY-MM') or in one
 * group (''). Same records as the tables say, counted the same way (work in the subtree OR home in it):
 * - hours, requests: the subtree unit's own report_subtree_hours_days rows (each record was added to
 *   every unit above its work unit and above its member's home, once);
 * - volunteers homed in the subtree: its report_volunteer_days rows in the period whose previous active
 *   day is before the period (or the month): one per member, so a sum, exact;
 * - volunteers homed elsewhere who worked in the subtree (双报到, few): only when the subtree's rows
 *   count visiting records in the period, read raw at the (unit, day) pairs report_hours_days names.
 * - activities held: the subtree unit's own report_subtree_activity_days rows.
 * A city's year is ~365 rows of each, whatever its size. By month, a month's volunteers are counted from
 * its first day, so `from` must be a first of month or open (a year).
 */
export async function hoursFromRollupsGrouped(
  tx: Db,
  unitPath: string,
  from: string | null,
  to: string | null,
  byMonth: boolean,
): Promise<Map<string, HoursFigures>> {
  const like = `${unitPath}%`
  const key = (col: SQL) => (byMonth ? sql`to_char(${col}, 'YYYY-MM')` : sql`''`)
  const dayIn = (col: SQL) => {
    const conds = [sql`true`]
    if (from) conds.push(sql`${col} >= ${from}::date`)
    if (to) conds.push(sql`${col} <= ${to}::date`)
    return sql.join(conds, sql` and `)
  }
  const firstSeen = byMonth
    ? sql`v.prev_day < date_trunc('month', v.day)::date`
    : from
      ? sql`v.prev_day < ${from}::date`
      : sql`v.prev_day = '-infinity'::date`
  const found = await rows<{
    key: string
    activities: string | null
    cents: string | null
    requests: string | null
    visiting: string | null
    volunteers: string | null
  }>(
    tx,
    sql`with s as materialized (select id from org_units where path = ${unitPath}),
        h as (
          select ${key(sql`r.day`)} as key, sum(r.hours_cents) as cents, sum(r.requests) as requests,
                 sum(r.visiting_records) as visiting
          from report_subtree_hours_days r where r.unit_id = (select id from s) and ${dayIn(sql`r.day`)}
          group by 1),
        homed as (
          select ${key(sql`v.day`)} as key, sum(v.n) as n from report_volunteer_days v
          where v.unit_id = (select id from s) and ${dayIn(sql`v.day`)} and ${firstSeen}
          group by 1),
        acts as (
          select ${key(sql`d.day`)} as key, sum(d.activities) as n from report_subtree_activity_days d
          where d.unit_id = (select id from s) and ${dayIn(sql`d.day`)}
          group by 1),
        keys as (select key from h union select key from homed union select key from acts)
        select k.key, h.cents, h.requests, h.visiting, homed.n as volunteers, acts.n as activities
        from keys k left join h on h.key = k.key left join homed on homed.key = k.key
        left join acts on acts.key = k.key`,
  )
  const out = new Map<string, HoursFigures>(
    found.map((r) => [
      r.key,
      {
        activities: Number(r.activities ?? 0),
        volunteers: Number(r.volunteers ?? 0),
        serviceHoursCents: centsFromDb(r.cents),
        serviceRequestsConfirmed: Number(r.requests ?? 0),
      },
    ]),
  )
  if (!found.some((r) => Number(r.visiting ?? 0) > 0)) return out
  // Visitors: the (work unit, day, home unit) pairs of the period with work inside and home outside, then
  // per pair (a nested loop by construction: few pairs) the members at that unit's activities and
  // requests of that day whose home is that unit.
  const visiting = await rows<{ key: string; n: string }>(
    tx,
    sql`with units as materialized (select id from org_units where path like ${like}),
        x as materialized (
          select distinct work_unit_id, day, home_unit_id from report_hours_days
          where work_unit_id in (select id from units) and home_unit_id not in (select id from units)
            and ${dayIn(sql`day`)})
        select ${key(sql`x.day`)} as key, count(distinct v.member_id) as n
        from x cross join lateral (
          select p.member_id from activities a join activity_participants p on p.activity_id = a.id
          join members m on m.id = p.member_id
          where a.org_unit_id = x.work_unit_id and a.status = 'verified'
            and a.starts_at >= x.day and a.starts_at < x.day + 1 and m.org_unit_id = x.home_unit_id
          union all
          select r.member_id from service_requests r join members m on m.id = r.member_id
          where r.org_unit_id = x.work_unit_id and r.status = 'confirmed'
            and r.completed_at >= x.day and r.completed_at < x.day + 1 and m.org_unit_id = x.home_unit_id) v
        group by 1`,
  )
  for (const v of visiting) {
    const row = out.get(v.key)
    if (row) row.volunteers += Number(v.n)
  }
  return out
}
