import Type, { type Static } from 'typebox'
import {
  Body,
  Count,
  DateString,
  DateTime,
  Decimal,
  DecimalInput,
  Id,
  Int32,
  NON_BLANK_TEXT_PATTERN,
  Page,
  PageQuery,
  Text,
} from '../../shared/schemas'
import { IdentityDocument } from '../members'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

// Output limits are the input limits (and the database's title check, 1-200).
const Title = Text(200)
const ItemCode = Text(50)
const Location = Text(200)
const MemberName = Text(100, { description: 'The member name (at most 100 characters)' })
/** Documented bounds of lists that have no page: far above any real activity or period. */
const MAX_PARTICIPANTS = 10_000
const MAX_RECORDS = 10_000

// ---- activities

/** 报名 (issue 18): who may sign up, how many are confirmed, and when. */
const Visibility = Type.Union([Type.Literal('subtree'), Type.Literal('subtree_and_registered')], {
  description:
    "Who may sign up: members of the activity unit's line (subtree), or also members registered with it " +
    'through 双报到 (subtree_and_registered)',
})
const Capacity = Int32(1, 100_000, {
  description: 'The most confirmed sign-ups; more are waitlisted (none: no limit)',
})
const SignUpSettings = {
  capacity: Type.Optional(Capacity),
  signUpOpensAt: Type.Optional({ ...DateTime, description: 'Sign-up opens (none: at once)' }),
  signUpClosesAt: Type.Optional({
    ...DateTime,
    description: 'Sign-up closes, at the latest endsAt (none: when the activity starts)',
  }),
  visibility: Type.Optional({ ...Visibility, default: 'subtree' }),
}

export const CreateActivityBody = Body({
  orgUnitId: Id,
  teamId: Type.Optional(Id),
  title: Text(200, { minLength: 1 }),
  rubricItemCode: Type.Optional(
    Text(50, {
      minLength: 1,
      description: 'Rubric item that verified hours are claimed under automatically (scoring)',
    }),
  ),
  startsAt: DateTime,
  endsAt: DateTime,
  location: Type.Optional(Location),
  ...SignUpSettings,
})
export type CreateActivityBody = Static<typeof CreateActivityBody>

export const Activity = Type.Object({
  id: Id,
  orgUnitId: Id,
  teamId: Nullable(Id),
  title: Title,
  rubricItemCode: Nullable(ItemCode),
  startsAt: DateTime,
  endsAt: DateTime,
  location: Nullable(Location),
  lengthHours: Decimal,
  status: Type.Union([Type.Literal('open'), Type.Literal('verified')]),
  verifiedAt: Nullable(DateTime),
  verifiedByUserId: Nullable(Id),
  participantCount: Count(),
  totalHours: Decimal,
  capacity: Nullable(Capacity),
  signUpOpensAt: Nullable(DateTime),
  signUpClosesAt: Nullable(DateTime),
  visibility: Visibility,
  confirmedCount: Count('Confirmed sign-ups (报名), at most capacity'),
  createdAt: DateTime,
})
export type Activity = Static<typeof Activity>

export const Participant = Type.Object({
  activityId: Id,
  memberId: Id,
  memberName: MemberName,
  /** The current figure: the newest correction (更正), else as recorded. */
  hours: Decimal,
  verified: Type.Boolean(),
  /** As verified, before any correction (null while the activity is open). */
  verifiedHours: Nullable(Decimal),
  /** How many corrections were made (listHoursCorrections lists them). */
  corrections: Count('Corrections of these hours since verification (listHoursCorrections)'),
  recordedAt: DateTime,
})
export type Participant = Static<typeof Participant>

export const ActivityDetail = Type.Object({
  ...Activity.properties,
  participants: Type.Array(Participant, { maxItems: MAX_PARTICIPANTS }),
})
export type ActivityDetail = Static<typeof ActivityDetail>

export const ActivityPage = Page(Activity)

export const ListActivitiesQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('verified')])),
  ...PageQuery,
})
export type ListActivitiesQuery = Static<typeof ListActivitiesQuery>

export const ParticipantParams = Type.Object({ id: Id, memberId: Id })

export const RecordParticipationBody = Body({
  hours: DecimalInput,
})
export type RecordParticipationBody = Static<typeof RecordParticipationBody>

// ---- service hours

export const ServiceHoursRecord = Type.Object({
  date: DateString,
  source: Type.Union([Type.Literal('activity'), Type.Literal('service_request')]),
  sourceId: Id,
  title: Title,
  orgUnitId: Id,
  hours: Decimal,
})
export type ServiceHoursRecord = Static<typeof ServiceHoursRecord>

export const ServiceHours = Type.Object({
  memberId: Id,
  memberName: MemberName,
  from: Nullable(DateString),
  to: Nullable(DateString),
  totalHours: Decimal,
  records: Type.Array(ServiceHoursRecord, { maxItems: MAX_RECORDS }),
})
export type ServiceHours = Static<typeof ServiceHours>

export const PeriodQuery = Type.Object({
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
})
export type PeriodQuery = Static<typeof PeriodQuery>

// ---- service requests: requests-schemas.ts

// ---- certificates (志愿服务记录证明)

export const IssueCertificateBody = Body({
  from: Type.Optional({
    ...DateString,
    description: "First day of the period (required unless requestId is given: then the request's)",
  }),
  to: Type.Optional({
    ...DateString,
    description: "Last day of the period (required unless requestId is given: then the request's)",
  }),
  orgUnitId: Type.Optional({
    ...Id,
    description:
      "Issuing unit: the member's home unit or one above it, or a community they registered with (双报到); default: " +
      'the first of these in your scope (with requestId: the unit asked). It certifies only the service recorded in ' +
      'its own subtree (谁记录谁证明)',
  }),
  requestId: Type.Optional({
    ...Id,
    description:
      "Issue what the member asked for (requestServiceCertificate): the request's period and unit, which from, to " +
      'and orgUnitId, when given, must repeat; the request is then issued',
  }),
})
export type IssueCertificateBody = Static<typeof IssueCertificateBody>

const SerialNumber = Text(100, {
  description: 'Unique per issuing unit and year: <year>-<unit code>-<number>',
})

const CertificateIdentityDocument = Type.Object(
  {
    type: IdentityDocument.properties.type,
    maskedNumber: IdentityDocument.properties.maskedNumber,
  },
  {
    description:
      "The holder's identity document when issued, masked (the number is never answered in clear); null when " +
      'they had none on record, and on certificates issued before identity documents',
  },
)

export const ServiceCertificate = Type.Object({
  id: Id,
  serialNumber: SerialNumber,
  verificationCode: Type.String({
    maxLength: 26,
    pattern: '^[0-9A-HJKMNP-TV-Z]{26}$',
    description: '26 characters (Crockford base32), 130 random bits; anyone may verify with it',
  }),
  memberId: Id,
  memberName: MemberName,
  maskedIdentity: Nullable(
    Text(40, {
      description:
        "As printed: the identity document's masked number (identityDocument.maskedNumber); on certificates " +
        'issued before identity documents, the masked phone (138****5678)',
    }),
  ),
  identityDocument: Nullable(CertificateIdentityDocument),
  volunteerStar: Nullable(
    Text(20, {
      description:
        "The 志愿者星级 the holder's cumulative verified hours had reached when issued (null: none)",
    }),
  ),
  from: DateString,
  to: DateString,
  totalHours: Decimal,
  records: Type.Array(ServiceHoursRecord, {
    maxItems: MAX_RECORDS,
    description: "Verified service recorded by the issuing unit's subtree in the period (谁记录谁证明)",
  }),
  issuerOrgUnitId: Id,
  issuerName: Text(200),
  issuerPersonInCharge: Nullable(
    Text(200, { description: "负责人: the issuing unit's certificate.personInCharge setting when issued" }),
  ),
  issuerContactPhone: Nullable(
    Text(40, { description: "联系电话: the issuing unit's certificate.contactPhone setting when issued" }),
  ),
  issuerSealText: Nullable(
    Text(200, {
      description: "The seal text printed (certificate.sealText when issued; null: the unit's name)",
    }),
  ),
  issuedByUserId: Id,
  issuedByName: Text(100),
  issuedAt: DateTime,
  requestId: Nullable({ ...Id, description: "The member's request it was issued from (null: none)" }),
  revokedAt: Nullable({ ...DateTime, description: 'When it was revoked (null: valid)' }),
  revocationReason: Nullable(Text(500, { description: 'Why it was revoked (staff and the holder only)' })),
})
export type ServiceCertificate = Static<typeof ServiceCertificate>

export const CertificateVerification = Type.Object({
  valid: Type.Boolean({ description: 'false once revoked' }),
  serialNumber: SerialNumber,
  memberName: MemberName,
  totalHours: Decimal,
  issuedAt: DateTime,
  issuer: Text(200, { description: 'Name of the issuing unit' }),
  revokedAt: Nullable({
    ...DateTime,
    description: 'When it was revoked: the certificate is void (null: valid)',
  }),
})
export type CertificateVerification = Static<typeof CertificateVerification>

const Reason = (description: string) =>
  Text(500, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN, description })

export const RevokeCertificateBody = Body({
  reason: Reason('Why the certificate is void (kept with it; not shown by the public check)'),
})
export type RevokeCertificateBody = Static<typeof RevokeCertificateBody>

// ---- certificate requests

export const RequestCertificateBody = Body({
  from: DateString,
  to: DateString,
  orgUnitId: {
    ...Id,
    description:
      'The unit asked (谁记录谁证明: the one that recorded the service): your home unit or one above it, or a ' +
      'community you registered with (双报到)',
  },
})
export type RequestCertificateBody = Static<typeof RequestCertificateBody>

export const DeclineCertificateRequestBody = Body({
  reason: Reason('Why no certificate is issued (the member reads it)'),
})
export type DeclineCertificateRequestBody = Static<typeof DeclineCertificateRequestBody>

export const CertificateRequestStatus = Type.Union(
  [Type.Literal('pending'), Type.Literal('issued'), Type.Literal('declined')],
  { description: 'pending, then issued (certificateId) or declined (declineReason), once' },
)

export const CertificateRequest = Type.Object({
  id: Id,
  memberId: Id,
  memberName: MemberName,
  orgUnitId: Id,
  orgUnitName: Text(200),
  from: DateString,
  to: DateString,
  status: CertificateRequestStatus,
  requestedAt: DateTime,
  decidedAt: Nullable(DateTime),
  decidedByUserId: Nullable(Id),
  declineReason: Nullable(Text(500)),
  certificateId: Nullable(Id),
})
export type CertificateRequest = Static<typeof CertificateRequest>

export const ListCertificateRequestsQuery = Type.Object({
  orgUnitId: Type.Optional({
    ...Id,
    description: 'Requests to this unit and the units below it (staff: one outside your units is 404)',
  }),
  status: Type.Optional(CertificateRequestStatus),
  memberId: Type.Optional(Id),
  ...PageQuery,
})
export type ListCertificateRequestsQuery = Static<typeof ListCertificateRequestsQuery>

export const CertificateRequestPage = Page(CertificateRequest)

export const VerificationCodeParams = Type.Object({
  verificationCode: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[0-9A-Za-z -]+$',
    description: 'As printed: case, spaces and hyphens do not matter',
  }),
})
