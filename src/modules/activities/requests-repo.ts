import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { ServiceRequestKind, ServiceRequestStatus } from '../../db/schema/activities'
import { formatCents } from '../../shared/decimal'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import type { BoardEntry, ServiceRequest } from './requests-schemas'

export interface RequestRow {
  id: string
  orgUnitId: string
  path: string
  kind: ServiceRequestKind
  requesterName: string
  requesterContact: string | null
  residentId: string | null
  title: string
  description: string
  status: ServiceRequestStatus
  publishedAt: Date | null
  teamId: string | null
  teamName: string | null
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

/** The request as staff and its members see it; the resident who placed it sees no declines (`forResident`). */
export function toServiceRequest(r: RequestRow, opts: { forResident?: boolean } = {}): ServiceRequest {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    kind: r.kind,
    requesterName: r.requesterName,
    requesterContact: r.requesterContact,
    residentId: r.residentId,
    title: r.title,
    description: r.description,
    status: r.status,
    publishedAt: formatInstantOrNull(r.publishedAt),
    teamId: r.teamId,
    teamName: r.teamName,
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
    declines: (opts.forResident ? [] : r.declines).map((d) => ({
      memberId: d.memberId,
      reason: d.reason,
      at: formatInstant(d.at),
    })),
    createdAt: formatInstant(r.createdAt),
    updatedAt: formatInstant(r.updatedAt),
  }
}

const REQUEST_SELECT = sql`
  select r.id, r.org_unit_id as "orgUnitId", u.path, r.kind, r.requester_name as "requesterName",
         r.requester_contact as "requesterContact", r.resident_id as "residentId", r.title, r.description,
         r.status, r.published_at as "publishedAt", r.team_id as "teamId", t.name as "teamName",
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
  left join members m on m.id = r.member_id
  left join teams t on t.id = r.team_id`

export async function findRequest(tx: Db, id: string): Promise<RequestRow | undefined> {
  return one<RequestRow>(tx, sql`${REQUEST_SELECT} where r.id = ${id}`)
}

export async function insertRequest(
  tx: Db,
  r: {
    orgUnitId: string
    requesterName: string
    requesterContact: string | null
    residentId: string | null
    kind: ServiceRequestKind
    title: string
    description: string
    createdBy: string
  },
): Promise<string> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into service_requests (org_unit_id, requester_name, requester_contact, resident_id, kind, title,
                                      description, created_by)
        values (${r.orgUnitId}, ${r.requesterName}, ${r.requesterContact}, ${r.residentId}, ${r.kind}, ${r.title},
                ${r.description}, ${r.createdBy})
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
  return one<{ status: ServiceRequestStatus; memberId: string | null; teamId: string | null }>(
    tx,
    sql`select status, member_id as "memberId", team_id as "teamId" from service_requests where id = ${id} for update`,
  )
}

export async function insertDecline(tx: Db, requestId: string, memberId: string, reason: string | null) {
  await tx.execute(
    sql`insert into service_request_declines (request_id, member_id, reason) values (${requestId}, ${memberId}, ${reason})`,
  )
}

/** The resident behind a login: the community they live in, their name and phone. */
export async function findResident(tx: Db, residentId: string) {
  return one<{ id: string; orgUnitId: string; name: string; phone: string | null; path: string }>(
    tx,
    sql`select r.id, r.org_unit_id as "orgUnitId", r.name, r.phone, u.path
        from residents r join org_units u on u.id = r.org_unit_id where r.id = ${residentId}`,
  )
}

/** The team with its unit path (teams belong to the members module; read-only lookup). */
export async function findTeam(tx: Db, teamId: string) {
  return one<{ id: string; name: string; path: string }>(
    tx,
    sql`select t.id, t.name, u.path from teams t join org_units u on u.id = t.org_unit_id where t.id = ${teamId}`,
  )
}

/** SQL: the member belongs to the request's team (r is the service_requests row, aliased or the table). */
export function inTeam(memberId: string, teamIdExpr: SQL = sql`team_id`): SQL {
  return sql`exists (select 1 from team_members tm where tm.team_id = ${teamIdExpr} and tm.member_id = ${memberId})`
}

/** Whether the member is in the team. */
export async function isTeamMember(tx: Db, teamId: string, memberId: string): Promise<boolean> {
  return !!(await one(
    tx,
    sql`select 1 from team_members where team_id = ${teamId} and member_id = ${memberId}`,
  ))
}

/** SQL: the member declined the request `r` since its current dispatch (r: the service_requests row). */
export function declinedThisDispatch(memberIdExpr: SQL, r: SQL = sql`service_requests`): SQL {
  return sql`exists (select 1 from service_request_declines d
                     where d.request_id = ${r}.id and d.member_id = ${memberIdExpr}
                       and d.created_at >= ${r}.dispatched_at)`
}

/** How many active members of the team the request is dispatched to have not declined it (this dispatch). */
export async function teamMembersLeft(tx: Db, requestId: string): Promise<number> {
  const row = await one<{ n: number }>(
    tx,
    sql`select count(*)::int as n
        from service_requests r join team_members tm on tm.team_id = r.team_id join members m on m.id = tm.member_id
        where r.id = ${requestId} and m.status = 'active' and not ${declinedThisDispatch(sql`tm.member_id`, sql`r`)}`,
  )
  return row?.n ?? 0
}

interface BoardRow {
  id: string
  orgUnitId: string
  orgUnitName: string
  kind: ServiceRequestKind
  requesterName: string
  title: string
  description: string
  publishedAt: Date
  createdAt: Date
  cursorAt: string
}

/** "周桂兰" -> "周**": the board names the requester by family name only. */
export function maskName(name: string): string {
  const chars = [...name.trim()]
  return chars.length <= 1 ? '*' : `${chars[0]}${'*'.repeat(chars.length - 1)}`
}

export function toBoardEntry(r: BoardRow): BoardEntry {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    orgUnitName: r.orgUnitName,
    kind: r.kind,
    requesterName: maskName(r.requesterName),
    title: r.title,
    description: r.description,
    publishedAt: formatInstant(r.publishedAt),
    createdAt: formatInstant(r.createdAt),
  }
}

/**
 * The board: published requests whose unit satisfies `where` (written against u, the request's unit, and r),
 * the most recently published first. Contact and resident are not even read.
 */
export async function listBoard(
  tx: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<BoardRow[]> {
  const conds = [sql`r.status = 'published'`, ...where]
  if (after) conds.push(sql`(r.published_at, r.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  return rows<BoardRow>(
    tx,
    sql`select r.id, r.org_unit_id as "orgUnitId", u.name as "orgUnitName", r.kind, r.requester_name as "requesterName",
               r.title, r.description, r.published_at as "publishedAt", r.created_at as "createdAt",
               r.published_at::text as "cursorAt"
        from service_requests r join org_units u on u.id = r.org_unit_id
        where ${sql.join(conds, sql` and `)}
        order by r.published_at desc, r.id desc limit ${limit + 1}`,
  )
}
