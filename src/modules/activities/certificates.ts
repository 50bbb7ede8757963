import { sql } from 'drizzle-orm'
import { type Db, one, pgConstraint, rows } from '../../db/client'
import { idempotent } from '../../plugins/idempotency'
import {
  type Caller,
  coversPath,
  findUnit,
  requireMemberVisible,
  requireRole,
  requireUnitInScope,
  type UnitRow,
} from '../../shared/authz'
import { formatCents, sum } from '../../shared/decimal'
import { DomainError, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import { recordEvent } from '../events'
import { identityDocumentOf } from '../members'
import { effectiveSettings } from '../org'
import { newVerificationCode, normaliseVerificationCode, STAFF, serialNumber } from './domain'
import * as repo from './repo'
import type {
  CertificateVerification,
  IssueCertificateBody,
  RevokeCertificateBody,
  ServiceCertificate,
  ServiceHoursRecord,
} from './schemas'
import { volunteerStandingOf } from './volunteer-star'

/** Revoking a certificate voids a public record: the secretaries over the issuing unit (admin counts as every role). */
export const REVOKERS = ['secretary'] as const

/** The issuing unit: the one asked for, else the member's home unit or 双报到 community first in scope. */
async function issuingUnit(tx: Db, caller: Caller, member: repo.MemberLine, asked: string | undefined) {
  if (asked) {
    const unit = await requireUnitInScope(tx, caller, asked, STAFF)
    if (!member.paths.some((p) => p.startsWith(unit.path))) {
      throw new DomainError(
        'out_of_range',
        "the issuing unit must be the member's home unit or above it, or a community they registered with",
      )
    }
    return unit
  }
  const candidates = [member.orgUnitId, ...member.registrations.map((r) => r.orgUnitId)]
  for (const [i, id] of candidates.entries()) {
    if (coversPath(caller, member.paths[i]!, STAFF)) return (await findUnit(tx, id))!
  }
  throw notFound('member')
}

/**
 * The next serial of a unit and year. The upsert takes the counter row's lock until commit, so concurrent
 * issuers (in any number of processes) queue on it and never share a number; the unique index on
 * (issuer, year, seq) is the backstop.
 */
async function nextSerial(tx: Db, unitId: string): Promise<{ year: number; seq: number }> {
  const row = await one<{ year: number; seq: number }>(
    tx,
    sql`insert into service_certificate_serials (org_unit_id, year, last_seq)
        values (${unitId}, extract(year from now())::int, 1)
        on conflict (org_unit_id, year) do update set last_seq = service_certificate_serials.last_seq + 1
        returning year, last_seq as seq`,
  )
  return row!
}

interface CertificateRow {
  id: string
  memberId: string
  memberName: string
  maskedIdentity: string | null
  identityType: string | null
  volunteerStar: string | null
  from: string
  to: string
  totalHoursCents: string
  records: ServiceHoursRecord[]
  issuerOrgUnitId: string
  issuerName: string
  issuerPersonInCharge: string | null
  issuerContactPhone: string | null
  issuerSealText: string | null
  issuedBy: string
  issuedByName: string
  serialNumber: string
  verificationCode: string
  issuedAt: Date
  requestId: string | null
  revokedAt: Date | null
  revocationReason: string | null
  /** issued_at as text, to the microsecond, for keyset cursors. */
  cursorAt: string
}

const CERTIFICATE_SELECT = sql`
  select id, member_id as "memberId", member_name as "memberName", masked_identity as "maskedIdentity",
         identity_type as "identityType", volunteer_star as "volunteerStar",
         to_char(period_from, 'YYYY-MM-DD') as "from", to_char(period_to, 'YYYY-MM-DD') as "to",
         total_hours_cents as "totalHoursCents", records, issuer_org_unit_id as "issuerOrgUnitId",
         issuer_name as "issuerName", issuer_person_in_charge as "issuerPersonInCharge",
         issuer_contact_phone as "issuerContactPhone", issuer_seal_text as "issuerSealText",
         issued_by as "issuedBy", issued_by_name as "issuedByName",
         serial_number as "serialNumber", verification_code as "verificationCode", issued_at as "issuedAt",
         request_id as "requestId", revoked_at as "revokedAt", revocation_reason as "revocationReason",
         issued_at::text as "cursorAt"
  from service_certificates`

function toCertificate(r: CertificateRow): ServiceCertificate {
  return {
    id: r.id,
    serialNumber: r.serialNumber,
    verificationCode: r.verificationCode,
    memberId: r.memberId,
    memberName: r.memberName,
    maskedIdentity: r.maskedIdentity,
    identityDocument:
      r.identityType && r.maskedIdentity
        ? ({ type: r.identityType, maskedNumber: r.maskedIdentity } as ServiceCertificate['identityDocument'])
        : null,
    volunteerStar: r.volunteerStar,
    from: r.from,
    to: r.to,
    totalHours: formatCents(r.totalHoursCents),
    records: r.records,
    issuerOrgUnitId: r.issuerOrgUnitId,
    issuerName: r.issuerName,
    issuerPersonInCharge: r.issuerPersonInCharge,
    issuerContactPhone: r.issuerContactPhone,
    issuerSealText: r.issuerSealText,
    issuedByUserId: r.issuedBy,
    issuedByName: r.issuedByName,
    issuedAt: formatInstant(r.issuedAt),
    requestId: r.requestId,
    revokedAt: r.revokedAt ? formatInstant(r.revokedAt) : null,
    revocationReason: r.revocationReason,
  }
}

/** The pending request a certificate is issued from, locked until commit (a decline waits, then finds it issued). */
interface RequestLine {
  id: string
  memberId: string
  orgUnitId: string
  unitPath: string
  from: string
  to: string
  status: string
}

async function lockRequest(tx: Db, requestId: string): Promise<RequestLine | undefined> {
  return one<RequestLine>(
    tx,
    sql`select r.id, r.member_id as "memberId", r.org_unit_id as "orgUnitId", u.path as "unitPath",
               to_char(r.period_from, 'YYYY-MM-DD') as "from", to_char(r.period_to, 'YYYY-MM-DD') as "to", r.status
        from service_certificate_requests r join org_units u on u.id = r.org_unit_id
        where r.id = ${requestId} for update of r`,
  )
}

/** What to certify: the period and issuer asked in the body, or those of the member's request. */
async function whatToCertify(
  tx: Db,
  caller: Caller,
  member: repo.MemberLine,
  body: IssueCertificateBody,
): Promise<{ from: string; to: string; issuer: UnitRow; request: RequestLine | null }> {
  if (!body.requestId) {
    const issuer = await issuingUnit(tx, caller, member, body.orgUnitId)
    return { from: body.from!, to: body.to!, issuer, request: null }
  }
  const request = await lockRequest(tx, body.requestId)
  if (!request || request.memberId !== member.id || !coversPath(caller, request.unitPath, STAFF)) {
    throw notFound('certificate request')
  }
  if (request.status !== 'pending') {
    throw new DomainError('invalid_state', `this certificate request is already ${request.status}`)
  }
  if (
    (body.from !== undefined && body.from !== request.from) ||
    (body.to !== undefined && body.to !== request.to) ||
    (body.orgUnitId !== undefined && body.orgUnitId !== request.orgUnitId)
  ) {
    throw new DomainError(
      'out_of_range',
      `the request asks for ${request.from} to ${request.to} from unit ${request.orgUnitId}: leave from, to and ` +
        'orgUnitId out or give those',
    )
  }
  return { from: request.from, to: request.to, issuer: (await findUnit(tx, request.orgUnitId))!, request }
}

/**
 * 志愿服务记录证明 (after 志愿服务记录与证明出具办法): the member's verified hours in the period recorded by the issuing
 * unit's subtree (谁记录谁证明: a member who served in two communities gets one from each) with the records behind
 * them, the holder's identity document (masked) and volunteer star, the issuer's person in charge, contact phone
 * and seal text as set when issued, a serial unique per issuing unit and year, and an unguessable verification
 * code. Stored as an immutable snapshot (revocation is its one change), so what a verifier sees is what was
 * printed. With `requestId`, issues what the member asked for (requestServiceCertificate) and marks it issued.
 */
export async function issueServiceCertificate(
  db: Db,
  caller: Caller,
  memberId: string,
  body: IssueCertificateBody,
  idempotencyKey: string,
) {
  requireRole(caller, STAFF)
  if (!body.requestId) {
    if (body.from === undefined) throw validation('from', 'is required (or give requestId)')
    if (body.to === undefined) throw validation('to', 'is required (or give requestId)')
  }
  if (body.from !== undefined && body.to !== undefined && body.from > body.to) {
    throw validation('to', 'must not be before from')
  }
  return idempotent<ServiceCertificate>(
    db,
    caller,
    idempotencyKey,
    'issueServiceCertificate',
    { memberId, ...body },
    async (tx) => {
      await requireMemberVisible(tx, caller, memberId, STAFF, { allowSelf: false })
      const member = (await repo.memberLine(tx, memberId))!
      const { from, to, issuer, request } = await whatToCertify(tx, caller, member, body)
      // Hours as they stand now (更正: a corrected participation at its corrected figure); a record corrected to
      // 0.00 was struck, so it is not certified. Only what the issuer's subtree recorded.
      const records = (await repo.verifiedRecords(tx, memberId, from, to, issuer.path)).filter(
        (r) => r.hoursCents > 0,
      )
      const total = sum(records.map((r) => r.hoursCents))
      const snapshot = records.map(({ hoursCents: _h, ...r }) => r)
      const unitCode = await one<{ code: string | null }>(
        tx,
        sql`select code from org_units where id = ${issuer.id}`,
      )
      const issuedByName = await one<{ name: string }>(
        tx,
        sql`select coalesce(m.name, u.username) as name from users u left join members m on m.id = u.member_id
            where u.id = ${caller.userId}`,
      )
      // The national rules ask for the holder's identity document: masked only, as every answer shows it.
      const identity = await identityDocumentOf(tx, memberId)
      const { volunteerStar } = await volunteerStandingOf(tx, memberId)
      const { certificate: printed } = await effectiveSettings(tx, issuer.id)
      const { year, seq } = await nextSerial(tx, issuer.id)
      const row = await one<CertificateRow>(
        tx,
        sql`insert into service_certificates (member_id, issuer_org_unit_id, serial_year, serial_seq, serial_number,
              verification_code, period_from, period_to, member_name, masked_identity, identity_type,
              volunteer_star, total_hours_cents, records, issuer_name, issuer_person_in_charge,
              issuer_contact_phone, issuer_seal_text, issued_by, issued_by_name, request_id)
            values (${memberId}, ${issuer.id}, ${year}, ${seq},
              ${serialNumber(year, { id: issuer.id, code: unitCode?.code ?? null }, seq)}, ${newVerificationCode()},
              ${from}, ${to}, ${member.name}, ${identity?.maskedNumber ?? null}, ${identity?.type ?? null},
              ${volunteerStar}, ${total}, ${JSON.stringify(snapshot)}::jsonb, ${issuer.name},
              ${printed.personInCharge}, ${printed.contactPhone}, ${printed.sealText}, ${caller.userId},
              ${issuedByName?.name ?? caller.username}, ${request?.id ?? null})
            returning id`,
      )
      const certificate = toCertificate(
        (await one<CertificateRow>(tx, sql`${CERTIFICATE_SELECT} where id = ${row!.id}`))!,
      )
      if (request) {
        const decided = await one(
          tx,
          sql`update service_certificate_requests
              set status = 'issued', certificate_id = ${certificate.id}, decided_by = ${caller.userId},
                  decided_at = now()
              where id = ${request.id} and status = 'pending' returning id`,
        )
        if (!decided) throw new DomainError('invalid_state', 'this certificate request was decided meanwhile')
        await recordAudit(tx, caller, {
          action: 'service_certificate_request.issue',
          targetType: 'service_certificate_request',
          targetId: request.id,
          orgUnitId: issuer.id,
          before: { status: 'pending' },
          after: { status: 'issued', certificateId: certificate.id },
        })
      }
      await recordAudit(tx, caller, {
        action: 'service_certificate.issue',
        targetType: 'service_certificate',
        targetId: certificate.id,
        orgUnitId: issuer.id,
        after: {
          memberId,
          serialNumber: certificate.serialNumber,
          from,
          to,
          totalHours: certificate.totalHours,
          requestId: request?.id ?? null,
        },
      })
      // The outbox (issue 20), in this transaction: delivered if and only if the certificate is.
      await recordEvent(tx, {
        type: 'certificate.issued',
        orgUnitId: issuer.id,
        subject: { type: 'certificate', id: certificate.id },
        memberId,
        data: {
          certificateId: certificate.id,
          memberId,
          serialNumber: certificate.serialNumber,
          issuerOrgUnitId: issuer.id,
          from,
          to,
          totalHours: certificate.totalHours,
          requestId: request?.id ?? null,
          issuedAt: certificate.issuedAt,
        },
      })
      return { status: 201, body: certificate }
    },
  ).catch((err) => {
    // Two identical codes out of 2^130 would mean a broken random source: fail loudly, never reuse one.
    if (pgConstraint(err) === 'service_certificates_code_uq') throw new Error('verification code collision')
    throw err
  })
}

/**
 * Revokes a certificate (a secretary over the issuing unit): from then on the public check says it is void, with
 * the date. Nothing else about it changes (the database allows no other change). Again: 409 already_revoked.
 */
export async function revokeServiceCertificate(
  db: Db,
  caller: Caller,
  certificateId: string,
  body: RevokeCertificateBody,
  idempotencyKey: string,
) {
  requireRole(caller, REVOKERS)
  return idempotent<ServiceCertificate>(
    db,
    caller,
    idempotencyKey,
    'revokeServiceCertificate',
    { certificateId, ...body },
    async (tx) => {
      const found = await one<{ path: string; revokedAt: Date | null }>(
        tx,
        sql`select u.path, c.revoked_at as "revokedAt"
            from service_certificates c join org_units u on u.id = c.issuer_org_unit_id
            where c.id = ${certificateId} for update of c`,
      )
      if (!found || !coversPath(caller, found.path, REVOKERS)) throw notFound('certificate')
      if (found.revokedAt) {
        throw new DomainError(
          'already_revoked',
          `this certificate was already revoked on ${formatInstant(found.revokedAt)}`,
        )
      }
      await tx.execute(
        sql`update service_certificates
            set revoked_at = now(), revocation_reason = ${body.reason}, revoked_by = ${caller.userId}
            where id = ${certificateId} and revoked_at is null`,
      )
      const certificate = toCertificate(
        (await one<CertificateRow>(tx, sql`${CERTIFICATE_SELECT} where id = ${certificateId}`))!,
      )
      await recordAudit(tx, caller, {
        action: 'service_certificate.revoke',
        targetType: 'service_certificate',
        targetId: certificate.id,
        orgUnitId: certificate.issuerOrgUnitId,
        after: {
          serialNumber: certificate.serialNumber,
          revokedAt: certificate.revokedAt,
          reason: body.reason,
        },
      })
      return { status: 200, body: certificate }
    },
  )
}

/** A certificate again (to reprint it): staff over the member, or the member themself. */
export async function getServiceCertificate(
  db: Db,
  caller: Caller,
  memberId: string,
  certificateId: string,
): Promise<ServiceCertificate> {
  await requireMemberVisible(db, caller, memberId, STAFF, { allowSelf: true })
  const row = await one<CertificateRow>(
    db,
    sql`${CERTIFICATE_SELECT} where id = ${certificateId} and member_id = ${memberId}`,
  )
  if (!row) throw notFound('certificate')
  return toCertificate(row)
}

/** The member's certificates, newest first. */
export async function listServiceCertificates(
  db: Db,
  caller: Caller,
  memberId: string,
  query: { limit?: number; cursor?: string },
) {
  await requireMemberVisible(db, caller, memberId, STAFF, { allowSelf: true })
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const found = await rows<CertificateRow>(
    db,
    sql`${CERTIFICATE_SELECT} where member_id = ${memberId}
        ${after ? sql`and (issued_at, id) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``}
        order by issued_at desc, id desc limit ${limit + 1}`,
  )
  return toPage(found, limit, (r) => [r.cursorAt, r.id], toCertificate)
}

/**
 * The certificate a verification code names, for the public checks: validity and the few facts printed on it
 * (with its period, which the verification page shows); nothing else personal. Undefined when no such code.
 */
export async function certificateByCode(
  db: Db,
  code: string,
): Promise<(CertificateVerification & { from: string; to: string }) | undefined> {
  const normalised = normaliseVerificationCode(code)
  if (!/^[0-9A-Z]{26}$/.test(normalised)) return undefined
  const row = await one<CertificateRow>(
    db,
    sql`${CERTIFICATE_SELECT} where verification_code = ${normalised}`,
  )
  if (!row) return undefined
  return {
    valid: row.revokedAt === null,
    serialNumber: row.serialNumber,
    memberName: row.memberName,
    totalHours: formatCents(row.totalHoursCents),
    issuedAt: formatInstant(row.issuedAt),
    issuer: row.issuerName,
    revokedAt: row.revokedAt ? formatInstant(row.revokedAt) : null,
    from: row.from,
    to: row.to,
  }
}

/** Public: validity (void once revoked, with the date) and the few facts printed on it; nothing else personal. */
export async function verifyServiceCertificate(db: Db, code: string): Promise<CertificateVerification> {
  const found = await certificateByCode(db, code)
  if (!found) throw notFound('certificate')
  const { from: _from, to: _to, ...verification } = found
  return verification
}
