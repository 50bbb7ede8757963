import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
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
import { residents } from './residents'

export const ACTIVITY_VISIBILITIES = ['subtree', 'subtree_and_registered'] as const
export type ActivityVisibility = (typeof ACTIVITY_VISIBILITIES)[number]

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
    /** 报名 (issue 18): the most confirmed sign-ups (null: no limit); more are waitlisted. */
    capacity: integer(),
    /** The sign-up window (null: open from creation / until the activity starts). */
    signUpOpensAt: col.at(),
    signUpClosesAt: col.at(),
    /** Who may sign up: members of the unit's subtree, or also members registered there through 双报到. */
    visibility: text().$type<ActivityVisibility>().notNull().default('subtree'),
    /**
     * Confirmed sign-ups, kept by the sign-up commands with a conditional UPDATE under the CHECK below, so racing
     * sign-ups for the last place confirm exactly `capacity`, across processes.
     */
    confirmedCount: integer().notNull().default(0),
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
    check('activities_capacity_chk', sql`${t.capacity} is null or ${t.capacity} between 1 and 100000`),
    check(
      'activities_confirmed_chk',
      sql`${t.confirmedCount} >= 0 and (${t.capacity} is null or ${t.confirmedCount} <= ${t.capacity})`,
    ),
    check(
      'activities_sign_up_window_chk',
      sql`${t.signUpOpensAt} is null or ${t.signUpClosesAt} is null or ${t.signUpClosesAt} > ${t.signUpOpensAt}`,
    ),
    check('activities_visibility_chk', col.oneOf(t.visibility, ACTIVITY_VISIBILITIES)),
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

export const SIGN_UP_STATUSES = ['confirmed', 'waitlisted', 'cancelled'] as const
export type SignUpStatus = (typeof SIGN_UP_STATUSES)[number]

/**
 * 报名: one row per member and activity. `queuedAt` orders the waitlist (the first waitlisted is promoted when a
 * confirmed member cancels); a member who cancels and signs up again goes to the back. Confirmed rows are counted
 * in activities.confirmed_count by the same transaction.
 */
export const activitySignUps = pgTable(
  'activity_sign_ups',
  {
    activityId: col.required(() => activities.id),
    memberId: col.memberId(),
    status: text().$type<SignUpStatus>().notNull(),
    queuedAt: col.at().notNull().defaultNow(),
    signedUpBy: col.userId(),
    confirmedAt: col.at(),
    cancelledAt: col.at(),
    cancelledBy: col.optionalUserId(),
    cancelReason: text(),
    ...col.timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.activityId, t.memberId] }),
    index('activity_sign_ups_member_idx').on(t.memberId, t.createdAt),
    index('activity_sign_ups_waitlist_idx')
      .on(t.activityId, t.queuedAt, t.memberId)
      .where(sql`${t.status} = 'waitlisted'`),
    check('activity_sign_ups_status_chk', col.oneOf(t.status, SIGN_UP_STATUSES)),
    check('activity_sign_ups_confirmed_chk', sql`${t.status} <> 'confirmed' or ${t.confirmedAt} is not null`),
    check(
      'activity_sign_ups_cancelled_chk',
      sql`(${t.status} = 'cancelled') = (${t.cancelledAt} is not null)`,
    ),
  ],
)

export const CHECK_IN_METHODS = ['code', 'staff'] as const
export type CheckInMethod = (typeof CHECK_IN_METHODS)[number]

/**
 * 签到 / 签退: a member's presence at an activity. At most one open row (no check-out yet) per member and activity
 * (a partial unique index); a check-out closes it with the hours computed from the times. Staff checking someone
 * in or out give a reason.
 */
export const activityCheckIns = pgTable(
  'activity_check_ins',
  {
    id: col.id(),
    activityId: col.required(() => activities.id),
    memberId: col.memberId(),
    checkedInAt: col.at().notNull(),
    checkInMethod: text().$type<CheckInMethod>().notNull(),
    checkedInBy: col.userId(),
    checkInReason: text(),
    checkedOutAt: col.at(),
    checkOutMethod: text().$type<CheckInMethod>(),
    checkedOutBy: col.optionalUserId(),
    checkOutReason: text(),
    /** Hundredths of an hour this stay counted for, set at check-out (rounded down to the documented step). */
    hoursCents: bigint({ mode: 'number' }),
    createdAt: col.createdAt(),
  },
  (t) => [
    uniqueIndex('activity_check_ins_open_uq')
      .on(t.activityId, t.memberId)
      .where(sql`${t.checkedOutAt} is null`),
    index('activity_check_ins_member_idx').on(t.memberId, t.checkedInAt),
    index('activity_check_ins_activity_idx').on(t.activityId, t.checkedInAt),
    check('activity_check_ins_in_method_chk', col.oneOf(t.checkInMethod, CHECK_IN_METHODS)),
    check(
      'activity_check_ins_out_chk',
      sql`(${t.checkedOutAt} is null) = (${t.checkOutMethod} is null) and (${t.checkedOutAt} is null) = (${t.hoursCents} is null)`,
    ),
    check(
      'activity_check_ins_period_chk',
      sql`${t.checkedOutAt} is null or ${t.checkedOutAt} >= ${t.checkedInAt}`,
    ),
    check('activity_check_ins_hours_chk', sql`${t.hoursCents} is null or ${t.hoursCents} >= 0`),
    check(
      'activity_check_ins_reason_chk',
      sql`(${t.checkInMethod} <> 'staff' or ${t.checkInReason} is not null) and (${t.checkOutMethod} is distinct from 'staff' or ${t.checkOutReason} is not null)`,
    ),
  ],
)

/**
 * 更正: a correction of a member's verified hours at a verified activity, append-only (志愿服务记录与证明出具办法 obliges
 * the recording unit to correct a wrong record). The newest correction is the figure totals, reports and
 * certificates use; activity_participants keeps what was verified.
 */
export const activityHoursCorrections = pgTable(
  'activity_hours_corrections',
  {
    id: col.id(),
    activityId: col.required(() => activities.id),
    memberId: col.memberId(),
    /** The figure before this correction (the verified one, or the previous correction's). */
    previousHoursCents: bigint({ mode: 'number' }).notNull(),
    hoursCents: bigint({ mode: 'number' }).notNull(),
    reason: text().notNull(),
    correctedBy: col.userId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    index('activity_hours_corrections_idx').on(t.activityId, t.memberId, t.createdAt),
    index('activity_hours_corrections_member_idx').on(t.memberId),
    foreignKey({
      name: 'activity_hours_corrections_participant_fk',
      columns: [t.activityId, t.memberId],
      foreignColumns: [activityParticipants.activityId, activityParticipants.memberId],
    }),
    check('activity_hours_corrections_hours_chk', sql`${t.hoursCents} >= 0`),
    check('activity_hours_corrections_reason_chk', sql`length(${t.reason}) between 1 and 500`),
  ],
)

export const SERVICE_REQUEST_KINDS = ['service', 'wish'] as const
export type ServiceRequestKind = (typeof SERVICE_REQUEST_KINDS)[number]

export const SERVICE_REQUEST_STATUSES = [
  'open',
  'published',
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
    /** The resident who placed it themself (issue 18); null when staff keyed it in for someone. */
    residentId: uuid().references((): AnyPgColumn => residents.id),
    /** A service, or a 微心愿 (small wish: a thing a member brings rather than work they do). */
    kind: text().$type<ServiceRequestKind>().notNull().default('service'),
    /** Dispatched to a team: any member of it may accept (memberId is then set by the accept). */
    teamId: uuid().references(() => teams.id),
    /** Put on the community's board: any member who may serve there takes it, the first one wins. */
    publishedAt: col.at(),
    publishedBy: col.optionalUserId(),
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
    index('service_requests_resident_idx')
      .on(t.residentId, t.createdAt)
      .where(sql`${t.residentId} is not null`),
    // The community's board: open published requests and wishes.
    index('service_requests_board_idx').on(t.orgUnitId, t.publishedAt).where(sql`${t.status} = 'published'`),
    // Reports (migration 0013): a member's confirmed requests in a period.
    index('service_requests_confirmed_idx')
      .on(t.memberId, t.completedAt)
      .where(sql`${t.status} = 'confirmed'`),
    check('service_requests_status_chk', col.oneOf(t.status, SERVICE_REQUEST_STATUSES)),
    check(
      'service_requests_member_chk',
      sql`${t.status} not in ('accepted','completed','confirmed') or ${t.memberId} is not null`,
    ),
    check(
      'service_requests_dispatched_chk',
      sql`${t.status} <> 'dispatched' or ((${t.memberId} is null) <> (${t.teamId} is null))`,
    ),
    check(
      'service_requests_open_chk',
      sql`${t.status} not in ('open','published') or (${t.memberId} is null and ${t.acceptedAt} is null)`,
    ),
    check('service_requests_published_chk', sql`${t.status} <> 'published' or ${t.publishedAt} is not null`),
    check('service_requests_kind_chk', col.oneOf(t.kind, SERVICE_REQUEST_KINDS)),
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
    /**
     * The holder's identity document type (identity_type of members) when issued; `maskedIdentity` then holds its
     * masked number. Null on certificates issued before identity documents (their `maskedIdentity` is a masked
     * phone) and for a holder without one.
     */
    identityType: text(),
    /** The 志愿者星级 the holder's cumulative verified hours reached when issued (null: none). */
    volunteerStar: text(),
    /** The issuing unit's certificate settings in force when issued: a certificate is a record, kept as printed. */
    issuerPersonInCharge: text(),
    issuerContactPhone: text(),
    issuerSealText: text(),
    /** The member's request it answers (null: issued without one). */
    requestId: uuid().references((): AnyPgColumn => serviceCertificateRequests.id),
    /** Revocation, the one change a certificate takes (a trigger allows nothing else): when, why, by whom. */
    revokedAt: col.at(),
    revocationReason: text(),
    revokedBy: col.optionalUserId(),
  },
  (t) => [
    uniqueIndex('service_certificates_serial_uq').on(t.issuerOrgUnitId, t.serialYear, t.serialSeq),
    uniqueIndex('service_certificates_code_uq').on(t.verificationCode),
    index('service_certificates_member_idx').on(t.memberId),
    uniqueIndex('service_certificates_request_uq').on(t.requestId),
    check('service_certificates_period_chk', sql`${t.periodFrom} <= ${t.periodTo}`),
    check('service_certificates_total_chk', sql`${t.totalHoursCents} >= 0`),
    check('service_certificates_code_chk', sql`length(${t.verificationCode}) >= 20`),
    check('service_certificates_seq_chk', sql`${t.serialSeq} > 0`),
    check(
      'service_certificates_revoked_chk',
      sql`(${t.revokedAt} is null) = (${t.revocationReason} is null)
          and (${t.revokedAt} is null) = (${t.revokedBy} is null)
          and (${t.revocationReason} is null or length(btrim(${t.revocationReason})) > 0)`,
    ),
  ],
)

export const CERTIFICATE_REQUEST_STATUSES = ['pending', 'issued', 'declined'] as const
export type CertificateRequestStatus = (typeof CERTIFICATE_REQUEST_STATUSES)[number]

/**
 * A member asking a unit for a 志愿服务记录证明 of a period (谁记录谁证明: the unit that recorded the service). pending
 * > issued (with the certificate) or declined (with a reason), once: a trigger (src/db/sql/activities.sql) refuses
 * any other change and any DELETE; the CHECKs tie each state to its columns.
 */
export const serviceCertificateRequests = pgTable(
  'service_certificate_requests',
  {
    id: col.id(),
    memberId: col.memberId(),
    orgUnitId: col.orgUnitId(),
    periodFrom: date({ mode: 'string' }).notNull(),
    periodTo: date({ mode: 'string' }).notNull(),
    status: text().notNull().default('pending'),
    requestedBy: col.userId(),
    requestedAt: col.createdAt(),
    decidedBy: col.optionalUserId(),
    decidedAt: col.at(),
    declineReason: text(),
    certificateId: uuid().references((): AnyPgColumn => serviceCertificates.id),
  },
  (t) => [
    index('service_certificate_requests_unit_idx').on(t.orgUnitId, t.requestedAt),
    index('service_certificate_requests_member_idx').on(t.memberId, t.requestedAt),
    // One open request per member and unit: a second one while the first waits is a mistake (409).
    uniqueIndex('service_certificate_requests_pending_uq')
      .on(t.memberId, t.orgUnitId)
      .where(sql`${t.status} = 'pending'`),
    check('service_certificate_requests_status_chk', col.oneOf(t.status, CERTIFICATE_REQUEST_STATUSES)),
    check('service_certificate_requests_period_chk', sql`${t.periodFrom} <= ${t.periodTo}`),
    check(
      'service_certificate_requests_state_chk',
      sql`(${t.status} = 'pending' and ${t.decidedAt} is null and ${t.decidedBy} is null
            and ${t.declineReason} is null and ${t.certificateId} is null)
          or (${t.status} = 'issued' and ${t.decidedAt} is not null and ${t.decidedBy} is not null
            and ${t.declineReason} is null and ${t.certificateId} is not null)
          or (${t.status} = 'declined' and ${t.decidedAt} is not null and ${t.decidedBy} is not null
            and ${t.declineReason} is not null and length(btrim(${t.declineReason})) > 0 and ${t.certificateId} is null)`,
    ),
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
