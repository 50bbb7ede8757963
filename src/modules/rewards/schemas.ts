import Type, { type Static } from 'typebox'
import {
  Body,
  Count,
  DateTime,
  Decimal,
  DecimalInput,
  Id,
  Int32,
  NON_BLANK_TEXT_PATTERN,
  PageQuery,
  Text,
} from '../../shared/schemas'

const Name = Text(200, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN })
const Description = Text(2000)
const PerMemberLimit = Int32(1, 100_000, {
  description: 'Units one member may take per calendar year (reserved and fulfilled count)',
})
const Note = Text(500)

export const Reward = Type.Object({
  id: Id,
  orgUnitId: { ...Id, description: 'The community office that keeps this reward' },
  name: Text(200),
  description: Type.Union([Description, Type.Null()]),
  pointsCost: Decimal,
  perMemberLimit: Type.Union([PerMemberLimit, Type.Null()]),
  active: Type.Boolean(),
  stockOnHand: Count('Units in the office: received - handed out - written off'),
  reserved: Count('Units held for reserved redemptions'),
  available: Count('stockOnHand - reserved: what can still be redeemed'),
  createdAt: DateTime,
  updatedAt: DateTime,
})
export type Reward = Static<typeof Reward>

export const CreateRewardBody = Body({
  orgUnitId: Id,
  name: Name,
  description: Type.Optional(Description),
  pointsCost: DecimalInput,
  perMemberLimit: Type.Optional(Type.Union([PerMemberLimit, Type.Null()])),
  active: Type.Optional(Type.Boolean({ default: true })),
})
export type CreateRewardBody = Static<typeof CreateRewardBody>

export const UpdateRewardBody = Body({
  name: Type.Optional(Name),
  description: Type.Optional(Type.Union([Description, Type.Null()])),
  pointsCost: Type.Optional(DecimalInput),
  perMemberLimit: Type.Optional(Type.Union([PerMemberLimit, Type.Null()])),
  active: Type.Optional(Type.Boolean()),
})
export type UpdateRewardBody = Static<typeof UpdateRewardBody>

export const ListRewardsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  active: Type.Optional(Type.Boolean()),
  ...PageQuery,
})
export type ListRewardsQuery = Static<typeof ListRewardsQuery>

const Quantity = Int32(1, 100_000)

export const ReceiveStockBody = Body({
  quantity: Quantity,
  note: Type.Optional(Note),
})
export type ReceiveStockBody = Static<typeof ReceiveStockBody>

export const WriteOffStockBody = Body({
  quantity: Quantity,
  reason: Text(500, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN }),
})
export type WriteOffStockBody = Static<typeof WriteOffStockBody>

export const StockMovement = Type.Object({
  id: Id,
  rewardId: Id,
  kind: Type.Union([
    Type.Literal('received'),
    Type.Literal('reserved'),
    Type.Literal('handed_out'),
    Type.Literal('released'),
    Type.Literal('written_off'),
  ]),
  quantity: Quantity,
  redemptionId: Type.Union([Id, Type.Null()]),
  note: Type.Union([Note, Type.Null()]),
  actorUserId: Type.Union([Id, Type.Null()], { description: 'null: the system (expiry sweep)' }),
  createdAt: DateTime,
})
export type StockMovement = Static<typeof StockMovement>

export const StockChange = Type.Object({ movement: StockMovement, reward: Reward })

export const RedemptionStatus = Type.Union(
  [Type.Literal('reserved'), Type.Literal('fulfilled'), Type.Literal('cancelled'), Type.Literal('expired')],
  { description: 'reserved (points held, stock reserved) > fulfilled | cancelled | expired (final)' },
)

const RedemptionQuantity = Int32(1, 1000)

export const Redemption = Type.Object({
  id: Id,
  memberId: Id,
  rewardId: Id,
  rewardName: Text(200),
  orgUnitId: Id,
  quantity: RedemptionQuantity,
  pointsCost: Decimal,
  amount: Decimal,
  status: RedemptionStatus,
  createdAt: DateTime,
  expiresAt: Type.Union([DateTime, Type.Null()], { description: 'when a reserved redemption lapses' }),
  fulfilledAt: Type.Union([DateTime, Type.Null()]),
  cancelledAt: Type.Union([DateTime, Type.Null()]),
  cancelReason: Type.Union([Note, Type.Null()]),
  expiredAt: Type.Union([DateTime, Type.Null()]),
})
export type Redemption = Static<typeof Redemption>

export const CreateRedemptionBody = Body({
  memberId: Id,
  rewardId: Id,
  quantity: Type.Optional(Int32(1, 1000, { default: 1 })),
})
export type CreateRedemptionBody = Static<typeof CreateRedemptionBody>

export const CancelRedemptionBody = Type.Union([Body({ reason: Type.Optional(Note) }), Type.Null()], {
  description: 'optional',
})

export const ListRedemptionsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  memberId: Type.Optional(Id),
  rewardId: Type.Optional(Id),
  status: Type.Optional(RedemptionStatus),
  ...PageQuery,
})
export type ListRedemptionsQuery = Static<typeof ListRedemptionsQuery>

export const ListStockQuery = Type.Object({ ...PageQuery })

// ---- the counter's member lookup (findMembersAtCounter)

export const COUNTER_LOOKUP_ROWS = 20

export const CounterMembersQuery = Type.Object({
  orgUnitId: {
    ...Id,
    description: 'The community whose counter asks: members whose home unit lies in it or registered with it',
  },
  q: Text(100, {
    minLength: 1,
    pattern: NON_BLANK_TEXT_PATTERN,
    description:
      'Part of the name, the whole phone number or its last 4 digits, or the member code (the member id the ' +
      'member code screen shows)',
  }),
})
export type CounterMembersQuery = Static<typeof CounterMembersQuery>

export const CounterMember = Type.Object({
  id: { ...Id, description: 'The member id (what createRedemption takes as memberId)' },
  name: Text(100),
  maskedPhone: Type.Union([Text(40), Type.Null()], {
    description: 'The phone with its middle digits hidden (138****5678); null without one',
  }),
  homeUnitName: Text(200, { description: "The member's home unit" }),
  availablePoints: { ...Decimal, description: 'balance - held: what a redemption may take now' },
})
export type CounterMember = Static<typeof CounterMember>

export const CounterMembers = Type.Object({
  items: Type.Array(CounterMember, { maxItems: COUNTER_LOOKUP_ROWS }),
  more: Type.Boolean({
    description: `More than ${COUNTER_LOOKUP_ROWS} members match: ask with more of the name, or the phone`,
  }),
})
export type CounterMembers = Static<typeof CounterMembers>
