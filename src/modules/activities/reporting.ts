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
  const hours = await one<{ volunteers: string; cents: string | null; requests: string }>(
    tx,
    sql`select count(distinct v.member_id) as volunteers, sum(v.hours_cents) as cents,
               count(*) filter (where v.source = 'service_request') as requests
        from verified_service_hours v
        join org_units vu on vu.id = v.org_unit_id
        join members m on m.id = v.member_id
        join org_units mu on mu.id = m.org_unit_id
        where (vu.path like ${like} or mu.path like ${like}) and ${period(sql`v.occurred_at`, from, to)}`,
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
