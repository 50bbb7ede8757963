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
} from '../../shared/authz'
import { formatCents, sum } from '../../shared/decimal'
import { DomainError, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import { maskPhone, newVerificationCode, normaliseVerificationCode, STAFF, serialNumber } from './domain'
import * as repo from './repo'
import type {
  CertificateVerification,
  IssueCertificateBody,
  ServiceCertificate,
  ServiceHoursRecord,
} from './schemas'

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
  from: string
  to: string
  totalHoursCents: string
  records: ServiceHoursRecord[]
  issuerOrgUnitId: string
  issuerName: string
  issuedBy: string
  issuedByName: string
  serialNumber: string
  verificationCode: string
  issuedAt: Date
  /** issued_at as text, to the microsecond, for keyset cursors. */
  cursorAt: string
}

const CERTIFICATE_SELECT = sql`
  select id, member_id as "memberId", member_name as "memberName", masked_identity as "maskedIdentity",
         to_char(period_from, 'YYYY-MM-DD') as "from", to_char(period_to, 'YYYY-MM-DD') as "to",
         total_hours_cents as "totalHoursCents", records, issuer_org_unit_id as "issuerOrgUnitId",
         issuer_name as "issuerName", issued_by as "issuedBy", issued_by_name as "issuedByName",
         serial_number as "serialNumber", verification_code as "verificationCode", issued_at as "issuedAt",
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
    from: r.from,
    to: r.to,
    totalHours: formatCents(r.totalHoursCents),
    records: r.records,
    issuerOrgUnitId: r.issuerOrgUnitId,
    issuerName: r.issuerName,
    issuedByUserId: r.issuedBy,
    issuedByName: r.issuedByName,
    issuedAt: formatInstant(r.issuedAt),
  }
}

/**
 * 志愿服务记录证明 (after 志愿服务记录与证明出具办法): the member's verified hours in the period with the
 * records behind them, a serial unique per issuing unit and year, and an unguessable verification code.
 * Stored as an immutable snapshot, so what a verifier sees is what was printed.
 */
export async function issueServiceCertificate(
  db: Db,
  caller: Caller,
  memberId: string,
  body: IssueCertificateBody,
  idempotencyKey: string,
) {
  requireRole(caller, STAFF)
  if (body.from > body.to) throw validation('to', 'must not be before from')
  return idempotent<ServiceCertificate>(
    db,
    caller,
    idempotencyKey,
    'issueServiceCertificate',
    { memberId, ...body },
    async (tx) => {
      await requireMemberVisible(tx, caller, memberId, STAFF, { allowSelf: false })
      const member = (await repo.memberLine(tx, memberId))!
      const issuer = await issuingUnit(tx, caller, member, body.orgUnitId)
      // Hours as they stand now (更正: a corrected participation at its corrected figure); a record corrected to
      // 0.00 was struck, so it is not certified.
      const records = (await repo.verifiedRecords(tx, memberId, body.from, body.to)).filter(
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
      const { year, seq } = await nextSerial(tx, issuer.id)
      const row = await one<CertificateRow>(
        tx,
        sql`insert into service_certificates (member_id, issuer_org_unit_id, serial_year, serial_seq, serial_number,
              verification_code, period_from, period_to, member_name, masked_identity, total_hours_cents, records,
              issuer_name, issued_by, issued_by_name)
            values (${memberId}, ${issuer.id}, ${year}, ${seq},
              ${serialNumber(year, { id: issuer.id, code: unitCode?.code ?? null }, seq)}, ${newVerificationCode()},
              ${body.from}, ${body.to}, ${member.name}, ${maskPhone(member.phone)}, ${total},
              ${JSON.stringify(snapshot)}::jsonb, ${issuer.name}, ${caller.userId},
              ${issuedByName?.name ?? caller.username})
            returning id`,
      )
      const certificate = toCertificate(
        (await one<CertificateRow>(tx, sql`${CERTIFICATE_SELECT} where id = ${row!.id}`))!,
      )
      await recordAudit(tx, caller, {
        action: 'service_certificate.issue',
        targetType: 'service_certificate',
        targetId: certificate.id,
        orgUnitId: issuer.id,
        after: {
          memberId,
          serialNumber: certificate.serialNumber,
          from: body.from,
          to: body.to,
          totalHours: certificate.totalHours,
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
    valid: true,
    serialNumber: row.serialNumber,
    memberName: row.memberName,
    totalHours: formatCents(row.totalHoursCents),
    issuedAt: formatInstant(row.issuedAt),
    issuer: row.issuerName,
    from: row.from,
    to: row.to,
  }
}

/** Public: validity and the few facts printed on the certificate; nothing else personal. */
export async function verifyServiceCertificate(db: Db, code: string): Promise<CertificateVerification> {
  const found = await certificateByCode(db, code)
  if (!found) throw notFound('certificate')
  const { from: _from, to: _to, ...verification } = found
  return verification
}
