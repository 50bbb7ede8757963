import { sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { centsFromDb } from '../../shared/decimal'

/**
 * What the scoring module reads about verified work (see service.ts, which re-exports these). Dates are
 * `::date` of a timestamptz: the service-zone date, since every connection runs in the service time zone.
 */

export interface ActivityForClaims {
  id: string
  orgUnitId: string
  rubricItemCode: string | null
  occurredOn: string
  title: string
  participants: { memberId: string; hoursCents: number }[]
}

export async function activityForClaims(tx: Db, activityId: string): Promise<ActivityForClaims | undefined> {
  if (!isUuid(activityId)) return undefined
  const activity = await one<Omit<ActivityForClaims, 'participants'> & { status: string }>(
    tx,
    sql`select id, org_unit_id as "orgUnitId", rubric_item_code as "rubricItemCode", title, status,
               to_char(starts_at::date, 'YYYY-MM-DD') as "occurredOn"
        from activities where id = ${activityId}`,
  )
  if (!activity) return undefined
  const { status, ...rest } = activity
  const participants =
    status === 'verified'
      ? await rows<{ memberId: string; hoursCents: string }>(
          tx,
          sql`select member_id as "memberId", hours_cents as "hoursCents"
              from activity_participant_hours where activity_id = ${activityId} order by member_id`,
        )
      : []
  return {
    ...rest,
    participants: participants.map((p) => ({ memberId: p.memberId, hoursCents: centsFromDb(p.hoursCents) })),
  }
}

export interface ServiceRequestForClaim {
  id: string
  orgUnitId: string
  memberId: string
  hoursCents: number
  completedOn: string
  title: string
}

export async function serviceRequestForClaim(
  tx: Db,
  requestId: string,
): Promise<ServiceRequestForClaim | undefined> {
  if (!isUuid(requestId)) return undefined
  const row = await one<Omit<ServiceRequestForClaim, 'hoursCents'> & { hoursCents: string }>(
    tx,
    sql`select id, org_unit_id as "orgUnitId", member_id as "memberId", hours_cents as "hoursCents", title,
               to_char(completed_at::date, 'YYYY-MM-DD') as "completedOn"
        from service_requests where id = ${requestId} and status = 'confirmed'`,
  )
  return row && { ...row, hoursCents: centsFromDb(row.hoursCents) }
}

/**
 * Which of these ids are NOT the member's own verified participation / confirmed request (a claim citing
 * them must be refused). Ids that are not even UUIDs are foreign too.
 */
export async function foreignEvidence(
  tx: Db,
  memberId: string,
  ids: { activityIds: string[]; serviceRequestIds: string[] },
): Promise<{ activityIds: string[]; serviceRequestIds: string[] }> {
  const own = async (source: 'activity' | 'service_request', wanted: string[]) => {
    const valid = [...new Set(wanted.filter(isUuid))]
    if (valid.length === 0 || !isUuid(memberId)) return new Set<string>()
    const found = await rows<{ id: string }>(
      tx,
      sql`select source_id as id from verified_service_hours
          where source = ${source} and member_id = ${memberId}
            and source_id in (${sql.join(
              valid.map((v) => sql`${v}::uuid`),
              sql`, `,
            )})`,
    )
    return new Set(found.map((f) => f.id))
  }
  const ownActivities = await own('activity', ids.activityIds)
  const ownRequests = await own('service_request', ids.serviceRequestIds)
  return {
    activityIds: ids.activityIds.filter((id) => !ownActivities.has(id.toLowerCase())),
    serviceRequestIds: ids.serviceRequestIds.filter((id) => !ownRequests.has(id.toLowerCase())),
  }
}

/** One piece of a claim's evidence as the panel reads it: what it was, when, and the claimant's own figures. */
export interface EvidenceSummary {
  kind: 'activity' | 'service_request'
  id: string
  /** The member whose claim cites it: hours are theirs. */
  memberId: string
  title: string
  /** The activity's start date, or the date the request was completed (service-zone dates). */
  date: string | null
  /** The member's current verified hours on it (an activity's as corrected); null when not theirs. */
  hoursCents: number | null
  /** The resident's rating (1-5) of a confirmed request; null for an activity. */
  rating: number | null
}

/**
 * The evidence of many claims in ONE statement (a round's queue, whatever its size): for each (member, activity)
 * the activity's title and date and that member's hours on it (only once verified), for each (member, request)
 * its title, completion date, hours and rating (only once confirmed and the member's own). Nothing about the
 * requester (name, contact) and no other participant. References that resolve to nothing are left out.
 */
export async function evidenceSummaries(
  db: Db,
  refs: { memberId: string; activityIds: string[]; serviceRequestIds: string[] }[],
): Promise<EvidenceSummary[]> {
  const wanted = refs.flatMap((r) =>
    isUuid(r.memberId)
      ? [
          ...r.activityIds.filter(isUuid).map((id) => ({ m: r.memberId, k: 'activity', id })),
          ...r.serviceRequestIds.filter(isUuid).map((id) => ({ m: r.memberId, k: 'service_request', id })),
        ]
      : [],
  )
  if (wanted.length === 0) return []
  const found = await rows<Omit<EvidenceSummary, 'hoursCents'> & { hoursCents: string | null }>(
    db,
    sql`with refs as (select distinct x.m, x.k, x.id from jsonb_to_recordset(${JSON.stringify(wanted)}::jsonb)
                        as x(m uuid, k text, id uuid))
        select 'activity' as kind, a.id, r.m as "memberId", a.title,
               to_char(a.starts_at::date, 'YYYY-MM-DD') as date,
               case when a.status = 'verified' then p.hours_cents end as "hoursCents", null::int as rating
          from refs r join activities a on a.id = r.id
          left join activity_participant_hours p on p.activity_id = a.id and p.member_id = r.m
         where r.k = 'activity'
        union all
        select 'service_request', s.id, r.m, s.title, to_char(s.completed_at::date, 'YYYY-MM-DD'),
               case when s.status = 'confirmed' and s.member_id = r.m then s.hours_cents end,
               case when s.status = 'confirmed' and s.member_id = r.m then s.rating end
          from refs r join service_requests s on s.id = r.id
         where r.k = 'service_request'`,
  )
  return found.map((f) => ({ ...f, hoursCents: f.hoursCents === null ? null : centsFromDb(f.hoursCents) }))
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function isUuid(value: string): boolean {
  return UUID.test(value)
}
