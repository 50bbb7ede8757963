import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { ServiceRequestStatus } from '../../db/schema/activities'
import { formatCents } from '../../shared/decimal'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import type { ServiceRequest } from './schemas'

export interface RequestRow {
  id: string
  orgUnitId: string
  path: string
  requesterName: string
  requesterContact: string | null
  title: string
  description: string
  status: ServiceRequestStatus
  memberId: string | null
  memberName: string | null
  dispatchedAt: Date | null
  acceptedAt: Date | null
  completedAt: Date | null
  hoursCents: string | null
  completionNote: string | null
  confirmedAt: Date | null
  rating: number | null
  feedback: string | null
  cancelledAt: Date | null
  cancelReason: string | null
  declines: { memberId: string; reason: string | null; at: string }[]
  createdAt: Date
  updatedAt: Date
  /** created_at as text, to the microsecond: a keyset cursor from a JS Date (milliseconds) would skip rows. */
  cursorAt: string
}

export function toServiceRequest(r: RequestRow): ServiceRequest {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    requesterName: r.requesterName,
    requesterContact: r.requesterContact,
    title: r.title,
    description: r.description,
    status: r.status,
    memberId: r.memberId,
    memberName: r.memberName,
    dispatchedAt: formatInstantOrNull(r.dispatchedAt),
    acceptedAt: formatInstantOrNull(r.acceptedAt),
    completedAt: formatInstantOrNull(r.completedAt),
    hours: r.hoursCents === null ? null : formatCents(r.hoursCents),
    completionNote: r.completionNote,
    confirmedAt: formatInstantOrNull(r.confirmedAt),
    rating: r.rating,
    feedback: r.feedback,
    cancelledAt: formatInstantOrNull(r.cancelledAt),
    cancelReason: r.cancelReason,
    declines: r.declines.map((d) => ({ memberId: d.memberId, reason: d.reason, at: formatInstant(d.at) })),
    createdAt: formatInstant(r.createdAt),
    updatedAt: formatInstant(r.updatedAt),
  }
}

const REQUEST_SELECT = sql`
  select r.id, r.org_unit_id as "orgUnitId", u.path, r.requester_name as "requesterName",
         r.requester_contact as "requesterContact", r.title, r.description, r.status,
         r.member_id as "memberId", m.name as "memberName", r.dispatched_at as "dispatchedAt",
         r.accepted_at as "acceptedAt", r.completed_at as "completedAt", r.hours_cents as "hoursCents",
         r.completion_note as "completionNote", r.confirmed_at as "confirmedAt", r.rating, r.feedback,
         r.cancelled_at as "cancelledAt", r.cancel_reason as "cancelReason",
         r.created_at as "createdAt", r.updated_at as "updatedAt", r.created_at::text as "cursorAt",
         coalesce((select json_agg(json_build_object('memberId', d.member_id, 'reason', d.reason,
                                                     'at', d.created_at) order by d.created_at, d.id)
                   from service_request_declines d where d.request_id = r.id), '[]'::json) as declines
  from service_requests r
  join org_units u on u.id = r.org_unit_id
  left join members m on m.id = r.member_id`

export async function findRequest(tx: Db, id: string): Promise<RequestRow | undefined> {
  return one<RequestRow>(tx, sql`${REQUEST_SELECT} where r.id = ${id}`)
}

export async function insertRequest(
  tx: Db,
  r: {
    orgUnitId: string
    requesterName: string
    requesterContact: string | null
    title: string
    description: string
    createdBy: string
  },
): Promise<string> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into service_requests (org_unit_id, requester_name, requester_contact, title, description, created_by)
        values (${r.orgUnitId}, ${r.requesterName}, ${r.requesterContact}, ${r.title}, ${r.description}, ${r.createdBy})
        returning id`,
  )
  return row!.id
}

export async function listRequests(
  tx: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<RequestRow[]> {
  const conds = [...where]
  if (after) conds.push(sql`(r.created_at, r.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  return rows<RequestRow>(
    tx,
    sql`${REQUEST_SELECT} where ${sql.join(conds, sql` and `)}
        order by r.created_at desc, r.id desc limit ${limit + 1}`,
  )
}

/**
 * One step of the state machine as a conditional UPDATE: it changes the row only if the row is still in
 * one of `from` (and, for member steps, still the caller's), so of two racing steps exactly one passes;
 * the other finds nothing to update and answers 409 invalid_state.
 */
export async function step(
  tx: Db,
  id: string,
  from: readonly ServiceRequestStatus[],
  set: SQL,
  extra: SQL = sql`true`,
): Promise<boolean> {
  const row = await one(
    tx,
    sql`update service_requests set ${set}, updated_at = now()
        where id = ${id} and status in (${sql.join(
          from.map((s) => sql`${s}`),
          sql`, `,
        )}) and ${extra}
        returning id`,
  )
  return !!row
}

/** Locks the row for this step and tells its state as it is now (the audit's "before"). */
export async function lockRequest(tx: Db, id: string) {
  return one<{ status: ServiceRequestStatus; memberId: string | null }>(
    tx,
    sql`select status, member_id as "memberId" from service_requests where id = ${id} for update`,
  )
}

export async function insertDecline(tx: Db, requestId: string, memberId: string, reason: string | null) {
  await tx.execute(
    sql`insert into service_request_declines (request_id, member_id, reason) values (${requestId}, ${memberId}, ${reason})`,
  )
}
