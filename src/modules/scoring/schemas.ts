import Type, { type Static } from 'typebox'
import { Body, DateString, DateTime, Decimal, DecimalInput, Id } from '../../shared/schemas'

const ClaimStatus = Type.Union(
  [
    Type.Literal('submitted'),
    Type.Literal('scoring'),
    Type.Literal('scored'),
    Type.Literal('posted'),
    Type.Literal('withdrawn'),
  ],
  { description: 'submitted > scoring (in a round) > scored (results in publicity) > posted; or withdrawn' },
)
const Aggregation = Type.Union([Type.Literal('mean'), Type.Literal('median'), Type.Literal('trimmed_mean')])
const Ids = Type.Array(Id, { maxItems: 50, uniqueItems: true })

export const Evidence = Type.Object(
  {
    activityIds: Type.Optional(Ids),
    serviceRequestIds: Type.Optional(Ids),
    links: Type.Optional(Type.Array(Type.String({ format: 'uri', maxLength: 2000 }), { maxItems: 20 })),
  },
  { additionalProperties: false },
)
export type Evidence = Static<typeof Evidence>

export const CreateClaimBody = Body({
  memberId: Id,
  rubricId: Id,
  itemCode: Type.String({ minLength: 1, maxLength: 32 }),
  occurredOn: DateString,
  quantity: Type.Optional(
    Type.Union([DecimalInput], {
      description: 'Hours or occurrences (whole numbers); a fixed item always counts 1 and may omit it',
    }),
  ),
  description: Type.String({ minLength: 1, maxLength: 4000 }),
  evidence: Type.Optional(Evidence),
})
export type CreateClaimBody = Static<typeof CreateClaimBody>

export const Claim = Type.Object({
  id: Id,
  memberId: Id,
  orgUnitId: Id,
  rubricId: Id,
  itemCode: Type.String(),
  kind: Type.Union([Type.Literal('award'), Type.Literal('deduction')]),
  occurredOn: DateString,
  quantity: Decimal,
  ceiling: Decimal,
  description: Type.String(),
  evidence: Type.Object({
    activityIds: Type.Array(Id),
    serviceRequestIds: Type.Array(Id),
    links: Type.Array(Type.String()),
  }),
  source: Type.Union([Type.Literal('manual'), Type.Literal('activity'), Type.Literal('service_request')]),
  status: ClaimStatus,
  roundId: Type.Union([Id, Type.Null()]),
  result: Type.Union([Decimal, Type.Null()], { description: 'The panel result, once the round closed' }),
  awarded: Type.Union([Decimal, Type.Null()], { description: 'What was posted to the ledger' }),
  cappedAmount: Type.Union([Decimal, Type.Null()], { description: 'What the yearly cap cut off' }),
  capReason: Type.Union([Type.String(), Type.Null()]),
  ledgerTransactionId: Type.Union([Id, Type.Null()]),
  createdAt: DateTime,
  updatedAt: DateTime,
})

export const ListClaimsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  memberId: Type.Optional(Id),
  status: Type.Optional(ClaimStatus),
  roundId: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
})
export type ListClaimsQuery = Static<typeof ListClaimsQuery>

export const CreateRoundBody = Body({
  orgUnitId: Id,
  rubricId: Id,
  periodStart: DateString,
  periodEnd: DateString,
  panelUserIds: Type.Array(Id, { minItems: 1, maxItems: 50, uniqueItems: true }),
  quorum: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: a majority of the panel' })),
  aggregation: Type.Optional(Aggregation),
  publicityDays: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 60, description: "Default: the unit's publicityDays setting (5)" }),
  ),
  divergenceThreshold: Type.Optional(
    Type.Union([DecimalInput], { description: "Default: a third of each claim's ceiling" }),
  ),
})
export type CreateRoundBody = Static<typeof CreateRoundBody>

export const RoundClaim = Type.Object({
  claimId: Id,
  memberId: Id,
  itemCode: Type.String(),
  ceiling: Decimal,
  status: ClaimStatus,
  scoreCount: Type.Integer({ description: 'Scores given so far (values stay hidden until close)' }),
  scoredByMe: Type.Boolean(),
  myScore: Type.Union(
    [
      Type.Object({
        time: Type.Integer(),
        content: Type.Integer(),
        quality: Type.Integer(),
        points: Decimal,
        comment: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ],
    { description: 'Your own score of the claim in its current scoring (you always see your own)' },
  ),
  recused: Type.Boolean({ description: 'The claim is your own: you do not score it' }),
})

export const Round = Type.Object({
  id: Id,
  orgUnitId: Id,
  rubricId: Id,
  periodStart: DateString,
  periodEnd: DateString,
  panelUserIds: Type.Array(Id),
  quorum: Type.Integer(),
  aggregation: Aggregation,
  publicityDays: Type.Union([Type.Integer(), Type.Null()]),
  divergenceThreshold: Type.Union([Decimal, Type.Null()]),
  status: Type.Union([Type.Literal('scoring'), Type.Literal('publicity'), Type.Literal('finalized')]),
  claimCount: Type.Integer(),
  claims: Type.Array(RoundClaim),
  closedAt: Type.Union([DateTime, Type.Null()]),
  publicityEndsAt: Type.Union([DateTime, Type.Null()]),
  finalizedAt: Type.Union([DateTime, Type.Null()]),
  createdAt: DateTime,
})

export const RoundSummary = Type.Omit(Round, ['claims'])

export const ListRoundsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  rubricId: Type.Optional(Id),
  status: Type.Optional(
    Type.Union([Type.Literal('scoring'), Type.Literal('publicity'), Type.Literal('finalized')]),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
})
export type ListRoundsQuery = Static<typeof ListRoundsQuery>

export const RoundClaimParams = Type.Object({ id: Id, claimId: Id })

export const ScoreBody = Body({
  time: Type.Integer({ minimum: 0, maximum: 5, description: '时间' }),
  content: Type.Integer({ minimum: 0, maximum: 5, description: '内容' }),
  quality: Type.Integer({ minimum: 0, maximum: 5, description: '质量' }),
  points: DecimalInput,
  comment: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
})
export type ScoreBody = Static<typeof ScoreBody>

export const Score = Type.Object({
  claimId: Id,
  panelistUserId: Id,
  time: Type.Integer(),
  content: Type.Integer(),
  quality: Type.Integer(),
  points: Decimal,
  comment: Type.Union([Type.String(), Type.Null()]),
  updatedAt: DateTime,
})

export const Objection = Type.Object({
  id: Id,
  claimId: Id,
  roundId: Id,
  memberId: Id,
  reason: Type.String(),
  status: Type.Union([Type.Literal('open'), Type.Literal('upheld'), Type.Literal('rescore')]),
  reply: Type.Union([Type.String(), Type.Null()]),
  createdAt: DateTime,
  resolvedAt: Type.Union([DateTime, Type.Null()]),
})

export const ResultItem = Type.Object({
  claimId: Id,
  memberId: Id,
  memberName: Type.String(),
  itemCode: Type.String(),
  status: ClaimStatus,
  ceiling: Decimal,
  result: Type.Union([Decimal, Type.Null()], { description: 'null while the claim is being rescored' }),
  spread: Type.Union([Decimal, Type.Null()]),
  divergent: Type.Union([Type.Boolean(), Type.Null()]),
  awarded: Type.Union([Decimal, Type.Null()]),
  cappedAmount: Type.Union([Decimal, Type.Null()]),
  capReason: Type.Union([Type.String(), Type.Null()]),
  scores: Type.Array(Type.Omit(Score, ['claimId', 'updatedAt'])),
  objections: Type.Array(Type.Omit(Objection, ['claimId', 'roundId', 'memberId'])),
})

export const ResultsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 500 })),
})

export const ObjectionBody = Body({ reason: Type.String({ minLength: 1, maxLength: 4000 }) })
export const ResolveBody = Body({
  decision: Type.Union([Type.Literal('upheld'), Type.Literal('rescore')]),
  reply: Type.String({ minLength: 1, maxLength: 4000 }),
})
export type ResolveBody = Static<typeof ResolveBody>

export const FinalizeResult = Type.Object({
  posted: Type.Integer({ description: 'Ledger transactions posted by this finalize' }),
  totalPoints: Decimal,
})

export const ListObjectionsQuery = Type.Object({
  roundId: Id,
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('upheld'), Type.Literal('rescore')])),
})
