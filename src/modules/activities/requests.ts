import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, transaction } from '../../db/client'
import type { ServiceRequestKind } from '../../db/schema/activities'
import {
  type Caller,
  coversPath,
  findUnit,
  hasRole,
  pathInScope,
  requireRole,
  requireUnitInScope,
} from '../../shared/authz'
import { formatCents, parseCents } from '../../shared/decimal'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { type EventType, recordEvent } from '../events'
import { MAX_REQUEST_HOURS_CENTS, mayServeIn, REQUEST_STEPS, type RequestStep, STAFF } from './domain'
import type { EvidenceHooks } from './hooks'
import { memberLine } from './repo'
import * as repo from './requests-repo'
import type {
  BoardQuery,
  CancelBody,
  CompleteBody,
  ConfirmBody,
  CreateServiceRequestBody,
  DeclineBody,
  DispatchBody,
  ListMyServiceRequestsQuery,
  ListServiceRequestsQuery,
  ServiceRequest,
} from './requests-schemas'
import { requireServingMember } from './service'

/**
 * The member a request concerns may see it: the one it is (or was, before they declined it) dispatched to or
 * taken by, and every member of the team it was dispatched to.
 */
async function isMine(tx: Db, caller: Caller, row: repo.RequestRow): Promise<boolean> {
  if (!caller.memberId) return false
  if (row.memberId === caller.memberId || row.declines.some((d) => d.memberId === caller.memberId))
    return true
  return !!row.teamId && (await repo.isTeamMember(tx, row.teamId, caller.memberId))
}

/** The resident who placed the request themself. */
function isResidents(caller: Caller, row: repo.RequestRow): boolean {
  return !!caller.residentId && row.residentId === caller.residentId
}

async function requireForStaff(tx: Db, caller: Caller, id: string) {
  requireRole(caller, STAFF)
  const row = await repo.findRequest(tx, id)
  if (!row || !coversPath(caller, row.path, STAFF)) throw notFound('service request')
  return row
}

/** Steps only the member it was dispatched to may take: staff over it get 403, anyone else 404. */
async function requireForMember(tx: Db, caller: Caller, id: string) {
  if (!caller.memberId && !hasRole(caller, STAFF)) throw forbidden()
  const row = await repo.findRequest(tx, id)
  if (row && (await isMine(tx, caller, row))) return row
  if (row && coversPath(caller, row.path, STAFF)) {
    throw forbidden('only the member the request is dispatched to may take this step')
  }
  throw notFound('service request')
}

/** Runs one step's conditional update; when the row was not in a state that allows it, 409 invalid_state. */
async function runStep(
  tx: Db,
  caller: Caller,
  row: repo.RequestRow,
  name: RequestStep,
  set: SQL,
  audit: Record<string, unknown>,
  extra?: SQL,
): Promise<ServiceRequest> {
  const { from, to } = REQUEST_STEPS[name]
  const before = await repo.lockRequest(tx, row.id)
  if (!(await repo.step(tx, row.id, from, set, extra))) {
    const now = (await repo.findRequest(tx, row.id))!
    const yours = extra && now.memberId !== caller.memberId ? ', and not for you' : ''
    throw invalidState(`the request is ${now.status}${yours}; ${name} needs ${from.join(' or ')}`)
  }
  const after = repo.toServiceRequest((await repo.findRequest(tx, row.id))!, {
    forResident: isResidents(caller, row),
  })
  await recordAudit(tx, caller, {
    action: `service_request.${name}`,
    targetType: 'service_request',
    targetId: row.id,
    orgUnitId: row.orgUnitId,
    before,
    after: { status: to, ...audit },
  })
  const eventType = STEP_EVENTS[name]
  if (eventType) {
    // What a client acts on, without the requester's contact (personal data stays behind the API's scope checks).
    await recordEvent(tx, {
      type: eventType,
      orgUnitId: row.orgUnitId,
      subject: { type: 'service_request', id: row.id },
      memberId: after.memberId,
      data: {
        id: after.id,
        orgUnitId: after.orgUnitId,
        kind: after.kind,
        title: after.title,
        status: after.status,
        teamId: after.teamId,
        teamName: after.teamName,
        memberId: after.memberId,
        memberName: after.memberName,
        dispatchedAt: after.dispatchedAt,
        completedAt: after.completedAt,
        hours: after.hours,
        completionNote: after.completionNote,
      },
    })
  }
  return after
}

/** The steps that are events (issue 20). */
const STEP_EVENTS: Partial<Record<RequestStep, EventType>> = {
  dispatch: 'service_request.dispatched',
  complete: 'service_request.completed',
}

/**
 * Staff key in a resident's request for any unit in their scope; a resident (caller.residentId) places their
 * own at their community, under the name and phone of their record.
 */
export async function createServiceRequest(
  db: Db,
  caller: Caller,
  body: CreateServiceRequestBody,
): Promise<ServiceRequest> {
  const kind: ServiceRequestKind = body.kind === 'wish' ? 'wish' : 'service'
  return transaction(db, async (tx) => {
    let fields: { orgUnitId: string; requesterName: string; requesterContact: string | null }
    let residentId: string | null = null
    if (caller.residentId) {
      const resident = await repo.findResident(tx, caller.residentId)
      if (!resident) throw forbidden()
      if (body.orgUnitId && body.orgUnitId !== resident.orgUnitId) throw notFound('org unit')
      for (const field of ['requesterName', 'requesterContact'] as const) {
        if (body[field] !== undefined)
          throw validation(field, 'a resident orders for themself: it comes from your record')
      }
      fields = {
        orgUnitId: resident.orgUnitId,
        requesterName: resident.name,
        requesterContact: resident.phone,
      }
      residentId = resident.id
    } else {
      requireRole(caller, STAFF)
      if (!body.orgUnitId) throw validation('orgUnitId', 'is required')
      const requesterName = body.requesterName?.trim()
      if (!requesterName) throw validation('requesterName', 'is required')
      const unit = await requireUnitInScope(tx, caller, body.orgUnitId, STAFF)
      fields = { orgUnitId: unit.id, requesterName, requesterContact: body.requesterContact?.trim() || null }
    }
    const id = await repo.insertRequest(tx, {
      ...fields,
      residentId,
      kind,
      title: body.title.trim(),
      description: body.description.trim(),
      createdBy: caller.userId,
    })
    const created = repo.toServiceRequest((await repo.findRequest(tx, id))!, { forResident: !!residentId })
    await recordAudit(tx, caller, {
      action: 'service_request.create',
      targetType: 'service_request',
      targetId: id,
      orgUnitId: fields.orgUnitId,
      after: { status: 'open', kind, title: created.title, residentId },
    })
    return created
  })
}

export async function getServiceRequest(db: Db, caller: Caller, id: string): Promise<ServiceRequest> {
  if (!caller.memberId && !caller.residentId && !hasRole(caller, STAFF)) throw forbidden()
  const row = await repo.findRequest(db, id)
  if (row && isResidents(caller, row)) return repo.toServiceRequest(row, { forResident: true })
  if (!row || !(coversPath(caller, row.path, STAFF) || (await isMine(db, caller, row)))) {
    throw notFound('service request')
  }
  return repo.toServiceRequest(row)
}

/**
 * SQL: the requests a member works on: dispatched to or taken by them, or dispatched to a team of theirs and
 * waiting for someone to accept (unless they declined it).
 */
function memberWork(memberId: string): SQL {
  return sql`(r.member_id = ${memberId}
              or (r.status = 'dispatched' and r.member_id is null and ${repo.inTeam(memberId, sql`r.team_id`)}
                  and not ${repo.declinedThisDispatch(sql`${memberId}::uuid`, sql`r`)}))`
}

/** Staff see the requests of their units; a member sees the requests dispatched to them (or their team). */
export async function listServiceRequests(db: Db, caller: Caller, query: ListServiceRequestsQuery) {
  const staff = hasRole(caller, STAFF)
  if (!staff && !caller.memberId) throw forbidden()
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const mine = caller.memberId ? memberWork(caller.memberId) : sql`false`
  const where = [staff ? sql`(${pathInScope(sql`u.path`, caller, STAFF)} or ${mine})` : mine]
  if (query.orgUnitId) {
    const unit = staff
      ? await requireUnitInScope(db, caller, query.orgUnitId, STAFF)
      : await findUnit(db, query.orgUnitId)
    if (!unit) throw notFound('org unit')
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  if (query.status) where.push(sql`r.status = ${query.status}`)
  if (query.kind) where.push(sql`r.kind = ${query.kind}`)
  if (query.memberId) where.push(sql`r.member_id = ${query.memberId}`)
  const found = await repo.listRequests(db, where, after, limit)
  return toPage(
    found,
    limit,
    (r) => [r.cursorAt, r.id],
    (r) => repo.toServiceRequest(r),
  )
}

/**
 * GET /me/service-requests: a resident's own requests (placed by them), with their state; a member's work (as
 * listServiceRequests shows a member). Anyone else: 403.
 */
export async function listMyServiceRequests(db: Db, caller: Caller, query: ListMyServiceRequestsQuery) {
  const resident = caller.residentId
  if (!resident && !caller.memberId) throw forbidden('only a resident or a member has requests of their own')
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const where = [resident ? sql`r.resident_id = ${resident}` : memberWork(caller.memberId!)]
  if (query.status) where.push(sql`r.status = ${query.status}`)
  if (query.kind) where.push(sql`r.kind = ${query.kind}`)
  const found = await repo.listRequests(db, where, after, limit)
  return toPage(
    found,
    limit,
    (r) => [r.cursorAt, r.id],
    (r) => repo.toServiceRequest(r, { forResident: !!resident }),
  )
}

/** A team the request may go to: on the request's line of the organisation (as a member must be). */
async function requireServingTeam(tx: Db, caller: Caller, teamId: string, unitPath: string) {
  const team = await repo.findTeam(tx, teamId)
  if (team && mayServeIn(unitPath, [team.path])) return team
  if (team && coversPath(caller, team.path, STAFF)) {
    throw new DomainError(
      'out_of_range',
      "the team belongs to another part of the organisation than the request's unit",
    )
  }
  throw notFound('team')
}

/** Dispatch to one member, or to a team (any member of it may then accept): exactly one of the two. */
export async function dispatchServiceRequest(db: Db, caller: Caller, id: string, body: DispatchBody) {
  const { memberId, teamId } = body
  return transaction(db, async (tx) => {
    const row = await requireForStaff(tx, caller, id)
    if ((memberId === undefined) === (teamId === undefined)) {
      throw validation(
        memberId === undefined ? 'memberId' : 'teamId',
        'give exactly one of memberId and teamId',
      )
    }
    if (teamId) {
      const team = await requireServingTeam(tx, caller, teamId, row.path)
      return runStep(
        tx,
        caller,
        row,
        'dispatch',
        sql`status = 'dispatched', member_id = null, team_id = ${team.id}, dispatched_at = now(), dispatched_by = ${caller.userId}`,
        { teamId: team.id },
      )
    }
    await requireServingMember(tx, caller, memberId!, row.path)
    return runStep(
      tx,
      caller,
      row,
      'dispatch',
      sql`status = 'dispatched', member_id = ${memberId!}, team_id = null, dispatched_at = now(), dispatched_by = ${caller.userId}`,
      { memberId },
    )
  })
}

/** An inactive member takes on no new work. */
async function requireActive(tx: Db, memberId: string) {
  const member = await memberLine(tx, memberId)
  if (!member) throw notFound('service request')
  if (member.status !== 'active') throw invalidState('the member is inactive')
  return member
}

/**
 * The member it is dispatched to accepts; for a team dispatch, the first member of the team to accept gets it
 * (one conditional UPDATE: the others find it accepted, 409 invalid_state), unless they declined it.
 */
export async function acceptServiceRequest(db: Db, caller: Caller, id: string) {
  return transaction(db, async (tx) => {
    const row = await requireForMember(tx, caller, id)
    const me = caller.memberId!
    if (row.teamId && row.memberId === null) await requireActive(tx, me)
    const teamTurn = sql`(member_id is null and team_id is not null and ${repo.inTeam(me)}
                          and not ${repo.declinedThisDispatch(sql`${me}::uuid`)})`
    return runStep(
      tx,
      caller,
      row,
      'accept',
      sql`status = 'accepted', member_id = ${me}, accepted_at = now()`,
      { memberId: me, teamId: row.teamId },
      sql`(member_id = ${me} or ${teamTurn})`,
    )
  })
}

/**
 * The member it is dispatched to turns it down: open again, the decline remembered. A member of the team it is
 * dispatched to declines for themself only: the request stays with the team for the others (the decline is
 * remembered, and that member may no longer accept it); when every active member of the team has declined, it
 * is open again.
 */
export async function declineServiceRequest(db: Db, caller: Caller, id: string, body: DeclineBody) {
  return transaction(db, async (tx) => {
    const row = await requireForMember(tx, caller, id)
    const me = caller.memberId!
    const reason = body.reason?.trim() || null
    const before = await repo.lockRequest(tx, id)
    if (before?.status === 'dispatched' && before.memberId === null && before.teamId) {
      return declineForTeam(tx, caller, row, before, reason)
    }
    await runStep(
      tx,
      caller,
      row,
      'decline',
      sql`status = 'open', member_id = null, team_id = null, dispatched_at = null, dispatched_by = null`,
      { declinedBy: me, reason },
      mineCond(caller),
    )
    await repo.insertDecline(tx, id, me, reason)
    return repo.toServiceRequest((await repo.findRequest(tx, id))!)
  })
}

async function declineForTeam(
  tx: Db,
  caller: Caller,
  row: repo.RequestRow,
  before: Awaited<ReturnType<typeof repo.lockRequest>>,
  reason: string | null,
): Promise<ServiceRequest> {
  const me = caller.memberId!
  const mayDecline = await one(
    tx,
    sql`select 1 from service_requests where id = ${row.id} and ${repo.inTeam(me)}
          and not ${repo.declinedThisDispatch(sql`${me}::uuid`)}`,
  )
  if (!mayDecline) {
    throw invalidState('you already declined this request, or are no longer in its team')
  }
  await repo.insertDecline(tx, row.id, me, reason)
  const left = await repo.teamMembersLeft(tx, row.id)
  if (left === 0) {
    await repo.step(
      tx,
      row.id,
      ['dispatched'],
      sql`status = 'open', team_id = null, dispatched_at = null, dispatched_by = null`,
    )
  }
  await recordAudit(tx, caller, {
    action: 'service_request.decline',
    targetType: 'service_request',
    targetId: row.id,
    orgUnitId: row.orgUnitId,
    before,
    after: { status: left === 0 ? 'open' : 'dispatched', declinedBy: me, reason, teamMembersLeft: left },
  })
  return repo.toServiceRequest((await repo.findRequest(tx, row.id))!)
}

export async function completeServiceRequest(db: Db, caller: Caller, id: string, body: CompleteBody) {
  const hoursCents = parseCents(body.hours, 'hours')
  if (hoursCents <= 0) throw validation('hours', 'must be more than 0')
  const note = body.note.trim()
  if (!note) throw validation('note', 'must not be blank')
  return transaction(db, async (tx) => {
    const row = await requireForMember(tx, caller, id)
    if (hoursCents > MAX_REQUEST_HOURS_CENTS) {
      throw new DomainError('out_of_range', 'one service request counts at most 24.00 hours', {
        maxHours: formatCents(MAX_REQUEST_HOURS_CENTS),
      })
    }
    return runStep(
      tx,
      caller,
      row,
      'complete',
      sql`status = 'completed', completed_at = now(), hours_cents = ${hoursCents}, completion_note = ${note}`,
      { hoursCents },
      mineCond(caller),
    )
  })
}

export async function cancelServiceRequest(db: Db, caller: Caller, id: string, body: CancelBody) {
  const reason = body.reason.trim()
  if (!reason) throw validation('reason', 'must not be blank')
  return transaction(db, async (tx) => {
    const row = await requireForStaff(tx, caller, id)
    return runStep(
      tx,
      caller,
      row,
      'cancel',
      sql`status = 'cancelled', cancelled_at = now(), cancelled_by = ${caller.userId}, cancel_reason = ${reason}`,
      { reason },
    )
  })
}

/** Staff put an open request on the community's board, where any member who may serve there takes it. */
export async function publishServiceRequest(db: Db, caller: Caller, id: string) {
  return transaction(db, async (tx) => {
    const row = await requireForStaff(tx, caller, id)
    return runStep(
      tx,
      caller,
      row,
      'publish',
      sql`status = 'published', published_at = now(), published_by = ${caller.userId}`,
      {},
    )
  })
}

/** Staff take a request nobody took off the board: open again (to dispatch, or to publish later). */
export async function unpublishServiceRequest(db: Db, caller: Caller, id: string) {
  return transaction(db, async (tx) => {
    const row = await requireForStaff(tx, caller, id)
    return runStep(
      tx,
      caller,
      row,
      'unpublish',
      sql`status = 'open', published_at = null, published_by = null`,
      {},
    )
  })
}

/**
 * A member who may serve at the request's unit (its line of the organisation, or a community they registered
 * with through 双报到) takes it off the board: one conditional UPDATE published -> accepted, so of members racing
 * for it (in any process) the first wins and the rest get 409 invalid_state. Anyone else: 404; a caller with no
 * member record: 403.
 */
export async function takeServiceRequest(db: Db, caller: Caller, id: string) {
  if (!caller.memberId) throw forbidden('only a member takes a request off the board')
  const me = caller.memberId
  return transaction(db, async (tx) => {
    const row = await repo.findRequest(tx, id)
    const member = await memberLine(tx, me)
    if (!row || !member || !mayServeIn(row.path, member.paths)) throw notFound('service request')
    if (member.status !== 'active') throw invalidState('the member is inactive')
    return runStep(
      tx,
      caller,
      row,
      'take',
      sql`status = 'accepted', member_id = ${me}, team_id = null, accepted_at = now()`,
      { memberId: me },
    )
  })
}

/**
 * The board: published requests and wishes a member may serve (their line of the organisation and their 双报到
 * communities), or, for staff, those of their units. No contact, no resident; the requester by family name.
 */
export async function listServiceRequestBoard(db: Db, caller: Caller, query: BoardQuery) {
  const staff = hasRole(caller, STAFF)
  if (!staff && !caller.memberId) throw forbidden('the board is for members and staff')
  const paths = caller.memberId ? ((await memberLine(db, caller.memberId))?.paths ?? []) : []
  const serves = paths.map((p) => sql`(u.path like ${`${p}%`} or ${p} like u.path || '%')`)
  if (staff) serves.push(pathInScope(sql`u.path`, caller, STAFF))
  const where = [serves.length ? sql`(${sql.join(serves, sql` or `)})` : sql`false`]
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || !(mayServeIn(unit.path, paths) || coversPath(caller, unit.path, STAFF))) {
      throw notFound('org unit')
    }
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  if (query.kind) where.push(sql`r.kind = ${query.kind}`)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const found = await repo.listBoard(db, where, after, limit)
  return toPage(found, limit, (r) => [r.cursorAt, r.id], repo.toBoardEntry)
}

/** Staff over the request confirm; a resident confirms only their own (anyone else's: 404). */
async function requireForConfirm(tx: Db, caller: Caller, id: string) {
  if (!caller.residentId) return requireForStaff(tx, caller, id)
  const row = await repo.findRequest(tx, id)
  if (!row || !isResidents(caller, row)) throw notFound('service request')
  return row
}

/**
 * The resident's rating closes the request: its hours become one verified service-hours record of the
 * member (the verified_service_hours view), and scoring may turn it into a claim. The resident who placed it
 * rates it themself, or staff record the rating for them; the member who did the work never confirms it (403
 * recused).
 */
export async function confirmServiceRequest(
  db: Db,
  caller: Caller,
  id: string,
  body: ConfirmBody,
  hooks: EvidenceHooks,
) {
  return transaction(db, async (tx) => {
    const row = await requireForConfirm(tx, caller, id)
    if (caller.memberId && row.memberId === caller.memberId) {
      throw new DomainError('recused', 'you did this work, so someone else must confirm it')
    }
    const feedback = body.feedback?.trim() || null
    const confirmed = await runStep(
      tx,
      caller,
      row,
      'confirm',
      sql`status = 'confirmed', confirmed_at = now(), confirmed_by = ${caller.userId}, rating = ${body.rating}, feedback = ${feedback}`,
      { rating: body.rating, hours: row.hoursCents === null ? null : formatCents(row.hoursCents) },
    )
    await hooks.serviceRequestConfirmed(tx, caller, id)
    return confirmed
  })
}

function mineCond(caller: Caller): SQL {
  return caller.memberId ? sql`member_id = ${caller.memberId}` : sql`false`
}
