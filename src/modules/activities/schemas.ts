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
  Page,
  PageQuery,
  Text,
} from '../../shared/schemas'

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
  from: DateString,
  to: DateString,
  orgUnitId: Type.Optional({
    ...Id,
    description:
      "Issuing unit: the member's home unit or one above it, or a community they registered with (双报到); default: the first of these in your scope",
  }),
})
export type IssueCertificateBody = Static<typeof IssueCertificateBody>

const SerialNumber = Text(100, {
  description: 'Unique per issuing unit and year: <year>-<unit code>-<number>',
})

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
  maskedIdentity: Nullable(Text(40, { description: 'The phone number on record, masked (138****5678)' })),
  from: DateString,
  to: DateString,
  totalHours: Decimal,
  records: Type.Array(ServiceHoursRecord, { maxItems: MAX_RECORDS }),
  issuerOrgUnitId: Id,
  issuerName: Text(200),
  issuedByUserId: Id,
  issuedByName: Text(100),
  issuedAt: DateTime,
})
export type ServiceCertificate = Static<typeof ServiceCertificate>

export const CertificateVerification = Type.Object({
  valid: Type.Boolean(),
  serialNumber: SerialNumber,
  memberName: MemberName,
  totalHours: Decimal,
  issuedAt: DateTime,
  issuer: Text(200, { description: 'Name of the issuing unit' }),
})
export type CertificateVerification = Static<typeof CertificateVerification>

export const VerificationCodeParams = Type.Object({
  verificationCode: Type.String({
    minLength: 1,
    maxLength: 64,
    pattern: '^[0-9A-Za-z -]+$',
    description: 'As printed: case, spaces and hyphens do not matter',
  }),
})
