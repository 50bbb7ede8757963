import { type SQL, sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
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
import { MAX_REQUEST_HOURS_CENTS, REQUEST_STEPS, type RequestStep, STAFF } from './domain'
import type { EvidenceHooks } from './hooks'
import * as repo from './requests-repo'
import type {
  CancelBody,
  CompleteBody,
  ConfirmBody,
  CreateServiceRequestBody,
  DeclineBody,
  DispatchBody,
  ListServiceRequestsQuery,
  ServiceRequest,
} from './schemas'
import { requireServingMember } from './service'

/** The member a request is (or was, before they declined it) dispatched to may see it. */
function isMine(caller: Caller, row: repo.RequestRow): boolean {
  if (!caller.memberId) return false
  return row.memberId === caller.memberId || row.declines.some((d) => d.memberId === caller.memberId)
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
  if (row && isMine(caller, row)) return row
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
    const yours = extra && now.memberId !== caller.memberId ? ', and not dispatched to you' : ''
    throw invalidState(`the request is ${now.status}${yours}; ${name} needs ${from.join(' or ')}`)
  }
  const after = repo.toServiceRequest((await repo.findRequest(tx, row.id))!)
  await recordAudit(tx, caller, {
    action: `service_request.${name}`,
    targetType: 'service_request',
    targetId: row.id,
    orgUnitId: row.orgUnitId,
    before,
    after: { status: to, ...audit },
  })
  return after
}

export async function createServiceRequest(
  db: Db,
  caller: Caller,
  body: CreateServiceRequestBody,
): Promise<ServiceRequest> {
  return transaction(db, async (tx) => {
    const unit = await requireUnitInScope(tx, caller, body.orgUnitId, STAFF)
    const id = await repo.insertRequest(tx, {
      orgUnitId: unit.id,
      requesterName: body.requesterName.trim(),
      requesterContact: body.requesterContact?.trim() || null,
      title: body.title.trim(),
      description: body.description.trim(),
      createdBy: caller.userId,
    })
    const created = repo.toServiceRequest((await repo.findRequest(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'service_request.create',
      targetType: 'service_request',
      targetId: id,
      orgUnitId: unit.id,
      after: { status: 'open', title: created.title },
    })
    return created
  })
}

export async function getServiceRequest(db: Db, caller: Caller, id: string): Promise<ServiceRequest> {
  if (!caller.memberId && !hasRole(caller, STAFF)) throw forbidden()
  const row = await repo.findRequest(db, id)
  if (!row || !(isMine(caller, row) || coversPath(caller, row.path, STAFF))) throw notFound('service request')
  return repo.toServiceRequest(row)
}

/** Staff see the requests of their units; a member sees the requests dispatched to them. */
export async function listServiceRequests(db: Db, caller: Caller, query: ListServiceRequestsQuery) {
  const staff = hasRole(caller, STAFF)
  if (!staff && !caller.memberId) throw forbidden()
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const mine = caller.memberId ? sql`r.member_id = ${caller.memberId}` : sql`false`
  const where = [staff ? sql`(${pathInScope(sql`u.path`, caller, STAFF)} or ${mine})` : mine]
  if (query.orgUnitId) {
    const unit = staff
      ? await requireUnitInScope(db, caller, query.orgUnitId, STAFF)
      : await findUnit(db, query.orgUnitId)
    if (!unit) throw notFound('org unit')
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  if (query.status) where.push(sql`r.status = ${query.status}`)
  if (query.memberId) where.push(sql`r.member_id = ${query.memberId}`)
  const found = await repo.listRequests(db, where, after, limit)
  return toPage(found, limit, (r) => [r.cursorAt, r.id], repo.toServiceRequest)
}

export async function dispatchServiceRequest(db: Db, caller: Caller, id: string, body: DispatchBody) {
  return transaction(db, async (tx) => {
    const row = await requireForStaff(tx, caller, id)
    await requireServingMember(tx, caller, body.memberId, row.path)
    return runStep(
      tx,
      caller,
      row,
      'dispatch',
      sql`status = 'dispatched', member_id = ${body.memberId}, dispatched_at = now(), dispatched_by = ${caller.userId}`,
      { memberId: body.memberId },
    )
  })
}

export async function acceptServiceRequest(db: Db, caller: Caller, id: string) {
  return transaction(db, async (tx) => {
    const row = await requireForMember(tx, caller, id)
    return runStep(
      tx,
      caller,
      row,
      'accept',
      sql`status = 'accepted', accepted_at = now()`,
      {},
      mineCond(caller),
    )
  })
}

export async function declineServiceRequest(db: Db, caller: Caller, id: string, body: DeclineBody) {
  return transaction(db, async (tx) => {
    const row = await requireForMember(tx, caller, id)
    const reason = body.reason?.trim() || null
    await runStep(
      tx,
      caller,
      row,
      'decline',
      sql`status = 'open', member_id = null, dispatched_at = null, dispatched_by = null`,
      { declinedBy: caller.memberId, reason },
      mineCond(caller),
    )
    await repo.insertDecline(tx, id, caller.memberId!, reason)
    return repo.toServiceRequest((await repo.findRequest(tx, id))!)
  })
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

/**
 * The resident's rating closes the request: its hours become one verified service-hours record of the
 * member (the verified_service_hours view), and scoring may turn it into a claim. The member who did the
 * work never confirms it (403 recused).
 */
export async function confirmServiceRequest(
  db: Db,
  caller: Caller,
  id: string,
  body: ConfirmBody,
  hooks: EvidenceHooks,
) {
  return transaction(db, async (tx) => {
    const row = await requireForStaff(tx, caller, id)
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
