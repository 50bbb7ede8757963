import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { idempotent } from '../../plugins/idempotency'
import { type Caller, coversPath, findUnit, hasRole, pathInScope, requireRole } from '../../shared/authz'
import { DomainError, forbidden, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import { STAFF } from './domain'
import * as repo from './repo'
import type {
  CertificateRequest,
  DeclineCertificateRequestBody,
  ListCertificateRequestsQuery,
  RequestCertificateBody,
} from './schemas'

/**
 * 志愿服务记录证明 on request: a member asks the unit that recorded their service (谁记录谁证明) for a certificate of a
 * period; that unit's staff issue it (issueServiceCertificate with requestId) or decline it with a reason. pending >
 * issued | declined, once: the service moves it with a conditional UPDATE, the database refuses any other move
 * (src/db/sql/activities.sql, service_certificate_requests_guard) and ties each state to its columns (CHECKs).
 */

interface RequestRow {
  id: string
  memberId: string
  memberName: string
  orgUnitId: string
  orgUnitName: string
  unitPath: string
  from: string
  to: string
  status: CertificateRequest['status']
  requestedAt: Date
  decidedAt: Date | null
  decidedBy: string | null
  declineReason: string | null
  certificateId: string | null
  /** requested_at as text, to the microsecond, for keyset cursors. */
  cursorAt: string
}

const REQUEST_SELECT = sql`
  select r.id, r.member_id as "memberId", m.name as "memberName", r.org_unit_id as "orgUnitId",
         u.name as "orgUnitName", u.path as "unitPath",
         to_char(r.period_from, 'YYYY-MM-DD') as "from", to_char(r.period_to, 'YYYY-MM-DD') as "to", r.status,
         r.requested_at as "requestedAt", r.decided_at as "decidedAt", r.decided_by as "decidedBy",
         r.decline_reason as "declineReason", r.certificate_id as "certificateId", r.requested_at::text as "cursorAt"
  from service_certificate_requests r
  join members m on m.id = r.member_id
  join org_units u on u.id = r.org_unit_id`

function toRequest(r: RequestRow): CertificateRequest {
  return {
    id: r.id,
    memberId: r.memberId,
    memberName: r.memberName,
    orgUnitId: r.orgUnitId,
    orgUnitName: r.orgUnitName,
    from: r.from,
    to: r.to,
    status: r.status,
    requestedAt: formatInstant(r.requestedAt),
    decidedAt: r.decidedAt ? formatInstant(r.decidedAt) : null,
    decidedByUserId: r.decidedBy,
    declineReason: r.declineReason,
    certificateId: r.certificateId,
  }
}

async function readRequest(db: Db, id: string, lock = false): Promise<RequestRow | undefined> {
  return one<RequestRow>(db, sql`${REQUEST_SELECT} where r.id = ${id} ${lock ? sql`for update of r` : sql``}`)
}

/**
 * A member asks for a certificate of their own service in a period from a unit on their line: their home unit or
 * one above it, or a community they registered with (双报到) or one above it, the units that may certify them.
 * Another unit: 404, as for one that does not exist. One pending request per unit (409 conflict while it waits).
 */
export async function requestServiceCertificate(
  db: Db,
  caller: Caller,
  body: RequestCertificateBody,
  idempotencyKey: string,
) {
  const memberId = caller.memberId
  if (!memberId) throw forbidden()
  if (body.from > body.to) throw validation('to', 'must not be before from')
  return idempotent<CertificateRequest>(
    db,
    caller,
    idempotencyKey,
    'requestServiceCertificate',
    body,
    async (tx) => {
      const member = await repo.memberLine(tx, memberId)
      const unit = await findUnit(tx, body.orgUnitId)
      if (!member || !unit || !member.paths.some((p) => p.startsWith(unit.path))) throw notFound('org unit')
      const inserted = await one<{ id: string }>(
        tx,
        sql`insert into service_certificate_requests (member_id, org_unit_id, period_from, period_to, requested_by)
            values (${memberId}, ${unit.id}, ${body.from}, ${body.to}, ${caller.userId})
            on conflict (member_id, org_unit_id) where status = 'pending' do nothing
            returning id`,
      )
      if (!inserted) {
        throw new DomainError(
          'conflict',
          'you already asked this unit for a certificate and it has not answered yet; wait for that answer',
        )
      }
      const request = toRequest((await readRequest(tx, inserted.id))!)
      await recordAudit(tx, caller, {
        action: 'service_certificate_request.create',
        targetType: 'service_certificate_request',
        targetId: request.id,
        orgUnitId: unit.id,
        after: { memberId, orgUnitId: unit.id, from: body.from, to: body.to },
      })
      return { status: 201, body: request }
    },
  )
}

/**
 * Requests, newest first: staff (secretary, grid worker) see those made to units in their subtrees; a member sees
 * their own. `orgUnitId` narrows to a unit's subtree (staff: outside their units 404, unless they are a member
 * reading their own).
 */
export async function listServiceCertificateRequests(
  db: Db,
  caller: Caller,
  query: ListCertificateRequestsQuery,
) {
  const staff = hasRole(caller, STAFF)
  if (!staff && !caller.memberId) throw forbidden()
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const visible: SQL[] = []
  if (caller.memberId) visible.push(sql`r.member_id = ${caller.memberId}::uuid`)
  if (staff) visible.push(pathInScope(sql`u.path`, caller, STAFF))
  const where: SQL[] = [sql`(${sql.join(visible, sql` or `)})`]
  if (query.orgUnitId) {
    const unit = await findUnit(db, query.orgUnitId)
    if (!unit || (!coversPath(caller, unit.path, STAFF) && !caller.memberId)) throw notFound('org unit')
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  if (query.status) where.push(sql`r.status = ${query.status}`)
  if (query.memberId) where.push(sql`r.member_id = ${query.memberId}`)
  if (after) where.push(sql`(r.requested_at, r.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  const found = await rows<RequestRow>(
    db,
    sql`${REQUEST_SELECT} where ${sql.join(where, sql` and `)}
        order by r.requested_at desc, r.id desc limit ${limit + 1}`,
  )
  return toPage(found, limit, (r) => [r.cursorAt, r.id], toRequest)
}

/** The unit's staff decline a pending request with a reason the member reads; decided already: 409 invalid_state. */
export async function declineServiceCertificateRequest(
  db: Db,
  caller: Caller,
  requestId: string,
  body: DeclineCertificateRequestBody,
  idempotencyKey: string,
) {
  requireRole(caller, STAFF)
  return idempotent<CertificateRequest>(
    db,
    caller,
    idempotencyKey,
    'declineServiceCertificateRequest',
    { requestId, ...body },
    async (tx) => {
      const found = await readRequest(tx, requestId, true)
      if (!found || !coversPath(caller, found.unitPath, STAFF)) throw notFound('certificate request')
      if (found.status !== 'pending') {
        throw new DomainError('invalid_state', `this certificate request is already ${found.status}`)
      }
      // Locked above and pending: the conditional update finds it (the database refuses any other move).
      await tx.execute(
        sql`update service_certificate_requests
            set status = 'declined', decline_reason = ${body.reason}, decided_by = ${caller.userId},
                decided_at = now()
            where id = ${requestId} and status = 'pending'`,
      )
      const request = toRequest((await readRequest(tx, requestId))!)
      await recordAudit(tx, caller, {
        action: 'service_certificate_request.decline',
        targetType: 'service_certificate_request',
        targetId: request.id,
        orgUnitId: request.orgUnitId,
        before: { status: 'pending' },
        after: { status: 'declined', reason: body.reason },
      })
      return { status: 200, body: request }
    },
  )
}
