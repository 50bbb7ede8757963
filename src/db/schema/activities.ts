import { sql } from 'drizzle-orm'
import {
  bigint,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import * as col from './columns'
import { members, teams } from './members'

/**
 * 志愿服务活动. Hours are integer hundredths (cents) everywhere. A verified activity is final: a trigger
 * (migration activities_guards) refuses any change to its participants and any way back to open.
 */
export const activities = pgTable(
  'activities',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    teamId: uuid().references(() => teams.id),
    title: text().notNull(),
    rubricItemCode: text(),
    startsAt: col.at().notNull(),
    endsAt: col.at().notNull(),
    location: text(),
    /** The length in hundredths of an hour, rounded down: the most hours anyone may record here. */
    lengthCents: bigint({ mode: 'number' })
      .notNull()
      .generatedAlwaysAs(sql`floor(extract(epoch from (ends_at - starts_at)) / 36)::bigint`),
    status: text().$type<'open' | 'verified'>().notNull().default('open'),
    verifiedAt: col.at(),
    verifiedBy: col.optionalUserId(),
    createdBy: col.userId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    index('activities_unit_starts_idx').on(t.orgUnitId, t.startsAt, t.id),
    // Reports (migrations 0013, 0017): a subtree's verified activities in a period; a team's activities.
    index('activities_verified_idx').on(t.orgUnitId, t.startsAt).where(sql`${t.status} = 'verified'`),
    index('activities_team_starts_idx').on(t.teamId, t.startsAt).where(sql`${t.teamId} is not null`),
    unique('activities_id_length_uq').on(t.id, t.lengthCents),
    check('activities_period_chk', sql`${t.endsAt} > ${t.startsAt}`),
    check('activities_status_chk', sql`${t.status} in ('open','verified')`),
    check(
      'activities_verified_chk',
      sql`(${t.status} = 'verified') = (${t.verifiedAt} is not null and ${t.verifiedBy} is not null)`,
    ),
    check('activities_title_chk', sql`length(${t.title}) between 1 and 200`),
  ],
)

/**
 * One member's hours at one activity: 0 < hours <= the activity's length, both as CHECKs. The length is
 * copied in (by the guard trigger) under a foreign key to the activity's (id, length), so it cannot lie.
 */
export const activityParticipants = pgTable(
  'activity_participants',
  {
    activityId: col.required(() => activities.id),
    memberId: col.memberId(),
    hoursCents: bigint({ mode: 'number' }).notNull(),
    activityLengthCents: bigint({ mode: 'number' }).notNull(),
    recordedBy: col.userId(),
    ...col.timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.activityId, t.memberId] }),
    index('activity_participants_member_idx').on(t.memberId),
    check('activity_participants_hours_chk', sql`${t.hoursCents} > 0`),
    check('activity_participants_length_chk', sql`${t.hoursCents} <= ${t.activityLengthCents}`),
    foreignKey({
      name: 'activity_participants_length_fk',
      columns: [t.activityId, t.activityLengthCents],
      foreignColumns: [activities.id, activities.lengthCents],
    }),
  ],
)

export const SERVICE_REQUEST_STATUSES = [
  'open',
  'dispatched',
  'accepted',
  'completed',
  'confirmed',
  'cancelled',
] as const
export type ServiceRequestStatus = (typeof SERVICE_REQUEST_STATUSES)[number]

/**
 * 群众点单 > 社区派单 > 党员接单. Every step is a conditional UPDATE on `status`; the CHECKs below keep each
 * state's columns consistent, and a trigger (migration activities_guards) refuses illegal transitions.
 */
export const serviceRequests = pgTable(
  'service_requests',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    requesterName: text().notNull(),
    requesterContact: text(),
    title: text().notNull(),
    description: text().notNull(),
    status: text().$type<ServiceRequestStatus>().notNull().default('open'),
    memberId: uuid().references(() => members.id),
    dispatchedAt: col.at(),
    dispatchedBy: col.optionalUserId(),
    acceptedAt: col.at(),
    completedAt: col.at(),
    hoursCents: bigint({ mode: 'number' }),
    completionNote: text(),
    confirmedAt: col.at(),
    confirmedBy: col.optionalUserId(),
    rating: integer(),
    feedback: text(),
    cancelledAt: col.at(),
    cancelledBy: col.optionalUserId(),
    cancelReason: text(),
    createdBy: col.userId(),
    ...col.timestamps(),
  },
  (t) => [
    index('service_requests_unit_idx').on(t.orgUnitId, t.createdAt, t.id),
    index('service_requests_member_idx').on(t.memberId, t.status),
    // Reports (migration 0013): a member's confirmed requests in a period.
    index('service_requests_confirmed_idx')
      .on(t.memberId, t.completedAt)
      .where(sql`${t.status} = 'confirmed'`),
    check('service_requests_status_chk', col.oneOf(t.status, SERVICE_REQUEST_STATUSES)),
    check(
      'service_requests_member_chk',
      sql`${t.status} not in ('dispatched','accepted','completed','confirmed') or ${t.memberId} is not null`,
    ),
    check(
      'service_requests_open_chk',
      sql`${t.status} <> 'open' or (${t.memberId} is null and ${t.acceptedAt} is null)`,
    ),
    check(
      'service_requests_completed_chk',
      sql`(${t.status} in ('completed','confirmed')) = (${t.hoursCents} is not null and ${t.completedAt} is not null)`,
    ),
    check(
      'service_requests_confirmed_chk',
      sql`(${t.status} = 'confirmed') = (${t.confirmedAt} is not null and ${t.rating} is not null)`,
    ),
    check(
      'service_requests_cancelled_chk',
      sql`(${t.status} = 'cancelled') = (${t.cancelledAt} is not null)`,
    ),
    check('service_requests_hours_chk', sql`${t.hoursCents} is null or ${t.hoursCents} between 1 and 2400`),
    check('service_requests_rating_chk', sql`${t.rating} is null or ${t.rating} between 1 and 5`),
  ],
)

/** A member turning a dispatched request down: the request goes back to open, this row remembers why. */
export const serviceRequestDeclines = pgTable(
  'service_request_declines',
  {
    id: col.id(),
    requestId: col.required(() => serviceRequests.id),
    memberId: col.memberId(),
    reason: text(),
    createdAt: col.createdAt(),
  },
  (t) => [index('service_request_declines_request_idx').on(t.requestId, t.createdAt)],
)

/**
 * 志愿服务记录证明: an immutable snapshot (a trigger refuses UPDATE and DELETE). The serial is unique per
 * issuing unit and year; `serviceCertificateSerials` hands out the next number under a row lock.
 */
export const serviceCertificates = pgTable(
  'service_certificates',
  {
    id: col.id(),
    memberId: col.memberId(),
    issuerOrgUnitId: col.orgUnitId(),
    serialYear: integer().notNull(),
    serialSeq: integer().notNull(),
    serialNumber: text().notNull(),
    verificationCode: text().notNull(),
    periodFrom: date({ mode: 'string' }).notNull(),
    periodTo: date({ mode: 'string' }).notNull(),
    memberName: text().notNull(),
    maskedIdentity: text(),
    totalHoursCents: bigint({ mode: 'number' }).notNull(),
    records: jsonb().notNull(),
    issuerName: text().notNull(),
    issuedBy: col.userId(),
    issuedByName: text().notNull(),
    issuedAt: col.at().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('service_certificates_serial_uq').on(t.issuerOrgUnitId, t.serialYear, t.serialSeq),
    uniqueIndex('service_certificates_code_uq').on(t.verificationCode),
    index('service_certificates_member_idx').on(t.memberId),
    check('service_certificates_period_chk', sql`${t.periodFrom} <= ${t.periodTo}`),
    check('service_certificates_total_chk', sql`${t.totalHoursCents} >= 0`),
    check('service_certificates_code_chk', sql`length(${t.verificationCode}) >= 20`),
    check('service_certificates_seq_chk', sql`${t.serialSeq} > 0`),
  ],
)

export const serviceCertificateSerials = pgTable(
  'service_certificate_serials',
  {
    orgUnitId: col.orgUnitId(),
    year: integer().notNull(),
    lastSeq: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgUnitId, t.year] }),
    // Serial numbers only go up: a number once handed out is never handed out again (migration 0006).
    check('service_certificate_serials_seq_chk', sql`${t.lastSeq} > 0`),
  ],
)
