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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export function isUuid(value: string): boolean {
  return UUID.test(value)
}
