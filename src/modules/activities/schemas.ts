import Type, { type Static } from 'typebox'
import { Body, DateString, DateTime, Decimal, DecimalInput, Id, Page, PageQuery } from '../../shared/schemas'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

// ---- activities

export const CreateActivityBody = Body({
  orgUnitId: Id,
  teamId: Type.Optional(Id),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  rubricItemCode: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 50,
      description: 'Rubric item that verified hours are claimed under automatically (scoring)',
    }),
  ),
  startsAt: DateTime,
  endsAt: DateTime,
  location: Type.Optional(Type.String({ maxLength: 200 })),
})
export type CreateActivityBody = Static<typeof CreateActivityBody>

export const Activity = Type.Object({
  id: Id,
  orgUnitId: Id,
  teamId: Nullable(Id),
  title: Type.String(),
  rubricItemCode: Nullable(Type.String()),
  startsAt: DateTime,
  endsAt: DateTime,
  location: Nullable(Type.String()),
  lengthHours: Decimal,
  status: Type.Union([Type.Literal('open'), Type.Literal('verified')]),
  verifiedAt: Nullable(DateTime),
  verifiedByUserId: Nullable(Id),
  participantCount: Type.Integer(),
  totalHours: Decimal,
  createdAt: DateTime,
})
export type Activity = Static<typeof Activity>

export const Participant = Type.Object({
  activityId: Id,
  memberId: Id,
  memberName: Type.String(),
  hours: Decimal,
  verified: Type.Boolean(),
  recordedAt: DateTime,
})
export type Participant = Static<typeof Participant>

export const ActivityDetail = Type.Object({
  ...Activity.properties,
  participants: Type.Array(Participant),
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
  title: Type.String(),
  orgUnitId: Id,
  hours: Decimal,
})
export type ServiceHoursRecord = Static<typeof ServiceHoursRecord>

export const ServiceHours = Type.Object({
  memberId: Id,
  memberName: Type.String(),
  from: Nullable(DateString),
  to: Nullable(DateString),
  totalHours: Decimal,
  records: Type.Array(ServiceHoursRecord),
})
export type ServiceHours = Static<typeof ServiceHours>

export const PeriodQuery = Type.Object({
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
})
export type PeriodQuery = Static<typeof PeriodQuery>

// ---- service requests (群众点单 / 社区派单 / 党员接单)

export const CreateServiceRequestBody = Body({
  orgUnitId: Id,
  requesterName: Type.String({ minLength: 1, maxLength: 100 }),
  requesterContact: Type.Optional(Type.String({ maxLength: 200 })),
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ minLength: 1, maxLength: 4000 }),
})
export type CreateServiceRequestBody = Static<typeof CreateServiceRequestBody>

export const ServiceRequestDecline = Type.Object({
  memberId: Id,
  reason: Nullable(Type.String()),
  at: DateTime,
})

export const ServiceRequest = Type.Object({
  id: Id,
  orgUnitId: Id,
  requesterName: Type.String(),
  requesterContact: Nullable(Type.String()),
  title: Type.String(),
  description: Type.String(),
  status: Type.String({ enum: ['open', 'dispatched', 'accepted', 'completed', 'confirmed', 'cancelled'] }),
  memberId: Nullable(Id),
  memberName: Nullable(Type.String()),
  dispatchedAt: Nullable(DateTime),
  acceptedAt: Nullable(DateTime),
  completedAt: Nullable(DateTime),
  hours: Nullable(Decimal),
  completionNote: Nullable(Type.String()),
  confirmedAt: Nullable(DateTime),
  rating: Nullable(Type.Integer()),
  feedback: Nullable(Type.String()),
  cancelledAt: Nullable(DateTime),
  cancelReason: Nullable(Type.String()),
  declines: Type.Array(ServiceRequestDecline),
  createdAt: DateTime,
  updatedAt: DateTime,
})
export type ServiceRequest = Static<typeof ServiceRequest>

export const ServiceRequestPage = Page(ServiceRequest)

export const ListServiceRequestsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  status: Type.Optional(
    Type.String({ enum: ['open', 'dispatched', 'accepted', 'completed', 'confirmed', 'cancelled'] }),
  ),
  memberId: Type.Optional(Id),
  ...PageQuery,
})
export type ListServiceRequestsQuery = Static<typeof ListServiceRequestsQuery>

export const DispatchBody = Body({ memberId: Id })
export type DispatchBody = Static<typeof DispatchBody>

export const CompleteBody = Body({
  hours: DecimalInput,
  note: Type.String({ minLength: 1, maxLength: 2000 }),
})
export type CompleteBody = Static<typeof CompleteBody>

export const DeclineBody = Body({ reason: Type.Optional(Type.String({ maxLength: 1000 })) })
export type DeclineBody = Static<typeof DeclineBody>

export const CancelBody = Body({ reason: Type.String({ minLength: 1, maxLength: 1000 }) })
export type CancelBody = Static<typeof CancelBody>

export const ConfirmBody = Body({
  rating: Type.Integer({
    minimum: 1,
    maximum: 5,
    description: "The resident's rating, 1 (poor) to 5 (excellent)",
  }),
  feedback: Type.Optional(Type.String({ maxLength: 2000 })),
})
export type ConfirmBody = Static<typeof ConfirmBody>

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

export const ServiceCertificate = Type.Object({
  id: Id,
  serialNumber: Type.String({ description: 'Unique per issuing unit and year: <year>-<unit code>-<number>' }),
  verificationCode: Type.String({ description: '26 characters, 130 random bits; anyone may verify with it' }),
  memberId: Id,
  memberName: Type.String(),
  maskedIdentity: Nullable(Type.String({ description: 'The phone number on record, masked (138****5678)' })),
  from: DateString,
  to: DateString,
  totalHours: Decimal,
  records: Type.Array(ServiceHoursRecord),
  issuerOrgUnitId: Id,
  issuerName: Type.String(),
  issuedByUserId: Id,
  issuedByName: Type.String(),
  issuedAt: DateTime,
})
export type ServiceCertificate = Static<typeof ServiceCertificate>

export const CertificateVerification = Type.Object({
  valid: Type.Boolean(),
  serialNumber: Type.String(),
  memberName: Type.String(),
  totalHours: Decimal,
  issuedAt: DateTime,
  issuer: Type.String({ description: 'Name of the issuing unit' }),
})
export type CertificateVerification = Static<typeof CertificateVerification>

export const VerificationCodeParams = Type.Object({
  verificationCode: Type.String({ minLength: 1, maxLength: 64 }),
})
