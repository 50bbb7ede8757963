import Type, { type Static } from 'typebox'
import { Body, DateTime, Decimal, DecimalInput, Id, Int32, Page, PageQuery, Text } from '../../shared/schemas'

// ---- service requests (群众点单 / 社区派单 / 党员接单, issue 18: residents, teams, the board, 微心愿)

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])

/** Documented bound of a request's declines (no page): far above any real request. */
const MAX_DECLINES = 1000

const STATUSES = ['open', 'published', 'dispatched', 'accepted', 'completed', 'confirmed', 'cancelled']
const Status = Type.String({ enum: STATUSES })
const Kind = Type.String({
  enum: ['service', 'wish'],
  description:
    'service: work a member does; wish (微心愿): a small thing a member brings (a school bag, a walker)',
})

export const CreateServiceRequestBody = Body({
  orgUnitId: Type.Optional({
    ...Id,
    description: "Required for staff; a resident's request is at their own community (the default)",
  }),
  requesterName: Type.Optional(
    Text(100, {
      minLength: 1,
      description: "Required for staff; a resident's name comes from their record (not given)",
    }),
  ),
  requesterContact: Type.Optional(
    Text(200, { description: "Staff only; a resident's phone comes from their record (not given)" }),
  ),
  title: Text(200, { minLength: 1 }),
  description: Text(4000, { minLength: 1 }),
  kind: Type.Optional({ ...Kind, default: 'service' }),
})
export type CreateServiceRequestBody = Static<typeof CreateServiceRequestBody>

export const ServiceRequestDecline = Type.Object({
  memberId: Id,
  reason: Nullable(Text(1000)),
  at: DateTime,
})

export const ServiceRequest = Type.Object({
  id: Id,
  orgUnitId: Id,
  kind: Kind,
  requesterName: Text(100),
  requesterContact: Nullable(Text(200)),
  residentId: Nullable({
    ...Id,
    description: 'The resident who placed it themself (null: keyed in by staff)',
  }),
  title: Text(200),
  description: Text(4000),
  status: Status,
  publishedAt: Nullable({ ...DateTime, description: "Put on the community's board (null: not on it now)" }),
  teamId: Nullable({ ...Id, description: 'The team it was dispatched to: any member of it may accept' }),
  teamName: Nullable(Text(200)),
  memberId: Nullable(Id),
  memberName: Nullable(Text(100, { description: 'The member name (at most 100 characters)' })),
  dispatchedAt: Nullable(DateTime),
  acceptedAt: Nullable(DateTime),
  completedAt: Nullable(DateTime),
  hours: Nullable(Decimal),
  completionNote: Nullable(Text(2000)),
  confirmedAt: Nullable(DateTime),
  rating: Nullable(Int32(1, 5)),
  feedback: Nullable(Text(2000)),
  cancelledAt: Nullable(DateTime),
  cancelReason: Nullable(Text(1000)),
  declines: Type.Array(ServiceRequestDecline, {
    maxItems: MAX_DECLINES,
    description: 'Members who turned it down, with reason and time (empty for the resident who placed it)',
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
})
export type ServiceRequest = Static<typeof ServiceRequest>

export const ServiceRequestPage = Page(ServiceRequest)

export const ListServiceRequestsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  status: Type.Optional(Status),
  kind: Type.Optional(Kind),
  memberId: Type.Optional(Id),
  ...PageQuery,
})
export type ListServiceRequestsQuery = Static<typeof ListServiceRequestsQuery>

export const ListMyServiceRequestsQuery = Type.Object({
  status: Type.Optional(Status),
  kind: Type.Optional(Kind),
  ...PageQuery,
})
export type ListMyServiceRequestsQuery = Static<typeof ListMyServiceRequestsQuery>

/** A request as the board shows it to members: no contact, no resident, the requester's name masked. */
export const BoardEntry = Type.Object({
  id: Id,
  orgUnitId: Id,
  orgUnitName: Text(200),
  kind: Kind,
  requesterName: Text(100, {
    description: 'Masked to the family name (周**); the member taking it sees it whole',
  }),
  title: Text(200),
  description: Text(4000),
  publishedAt: DateTime,
  createdAt: DateTime,
})
export type BoardEntry = Static<typeof BoardEntry>

export const BoardPage = Page(BoardEntry)

export const BoardQuery = Type.Object({
  orgUnitId: Type.Optional({ ...Id, description: 'Only the requests of this unit and the units below it' }),
  kind: Type.Optional(Kind),
  ...PageQuery,
})
export type BoardQuery = Static<typeof BoardQuery>

export const DispatchBody = Body(
  {
    memberId: Type.Optional({ ...Id, description: 'Dispatch to this member (or give teamId)' }),
    teamId: Type.Optional({ ...Id, description: 'Dispatch to this team: any member of it may accept' }),
  },
  'Exactly one of memberId and teamId',
)
export type DispatchBody = Static<typeof DispatchBody>

export const CompleteBody = Body({
  hours: DecimalInput,
  note: Text(2000, { minLength: 1 }),
})
export type CompleteBody = Static<typeof CompleteBody>

export const DeclineBody = Body({ reason: Type.Optional(Text(1000)) })
export type DeclineBody = Static<typeof DeclineBody>

export const CancelBody = Body({ reason: Text(1000, { minLength: 1 }) })
export type CancelBody = Static<typeof CancelBody>

export const ConfirmBody = Body({
  rating: Int32(1, 5, { description: "The resident's rating, 1 (poor) to 5 (excellent)" }),
  feedback: Type.Optional(Text(2000)),
})
export type ConfirmBody = Static<typeof ConfirmBody>
