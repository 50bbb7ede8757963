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

export async function hoursSummary(
  tx: Db,
  unitPath: string,
  from: string | null,
  to: string | null,
): Promise<HoursSummary> {
  const like = `${unitPath}%`
  const acts = await one<{ n: string }>(
    tx,
    sql`select count(*) as n from activities a join org_units u on u.id = a.org_unit_id
        where u.path like ${like} and ${period(sql`a.starts_at`, from, to)}`,
  )
  // Written against the tables, not the verified_service_hours view, in two index-driven halves: work
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
          from activities a join activity_participants p on p.activity_id = a.id
          where a.org_unit_id in (select id from units) and a.status = 'verified' and ${inAct}
          union all
          select r.member_id, r.hours_cents, true from service_requests r
          where r.org_unit_id in (select id from units) and r.status = 'confirmed' and ${inReq}
          union all
          select p.member_id, p.hours_cents, false
          from homed h join activity_participants p on p.member_id = h.id join activities a on a.id = p.activity_id
          where a.org_unit_id not in (select id from units) and a.status = 'verified' and ${inAct}
          union all
          select r.member_id, r.hours_cents, true from homed h join service_requests r on r.member_id = h.id
          where r.org_unit_id not in (select id from units) and r.status = 'confirmed' and ${inReq})
        select count(distinct member_id) as volunteers, sum(hours_cents) as cents,
               count(*) filter (where request) as requests
        from recs`,
  )
  return {
    activities: Number(acts!.n),
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
