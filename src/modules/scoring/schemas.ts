import Type, { type Static } from 'typebox'
import {
  Body,
  Count,
  Cursor,
  DateString,
  DateTime,
  Decimal,
  DecimalInput,
  Id,
  Int32,
  MAX_PAGE,
  Text,
} from '../../shared/schemas'

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
const Link = Type.String({ format: 'uri', maxLength: 2000 })
const Links = Type.Array(Link, { maxItems: 20 })
const ItemCode = Text(32)
const Description = Text(4000)
const Comment = Text(2000)
const CapReason = Text(500, { description: 'Why the yearly cap cut the result' })
const MemberName = Text(100)
/** A panel has 1-50 members, so a claim has at most 50 scores and a round a quorum of at most 50. */
const MAX_PANEL = 50
const Rating = Int32(0, 5)
const PublicityDays = Int32(0, 60)
/** Documented bounds of lists that have no page: far above any real round or claim. */
const MAX_ROUND_CLAIMS = 10_000
const MAX_OBJECTIONS = 1000
const Limit = Int32(1, MAX_PAGE, { default: 50 })

export const Evidence = Type.Object(
  {
    activityIds: Type.Optional(Ids),
    serviceRequestIds: Type.Optional(Ids),
    links: Type.Optional(Links),
  },
  { additionalProperties: false },
)
export type Evidence = Static<typeof Evidence>

export const CreateClaimBody = Body({
  memberId: Id,
  rubricId: Id,
  itemCode: Text(32, { minLength: 1 }),
  occurredOn: DateString,
  quantity: Type.Optional(
    Type.Union([DecimalInput], {
      description: 'Hours or occurrences (whole numbers); a fixed item always counts 1 and may omit it',
    }),
  ),
  description: Text(4000, { minLength: 1 }),
  evidence: Type.Optional(Evidence),
})
export type CreateClaimBody = Static<typeof CreateClaimBody>

export const MAX_BATCH_MEMBERS = 500

export const CreateClaimsBatchBody = Body(
  {
    rubricId: Id,
    itemCode: Text(32, { minLength: 1 }),
    occurredOn: DateString,
    quantity: Type.Optional(
      Type.Union([DecimalInput], {
        description: 'Hours or occurrences for each member (whole numbers); a fixed item always counts 1',
      }),
    ),
    description: Text(4000, { minLength: 1 }),
    memberIds: Type.Array(Id, {
      minItems: 1,
      maxItems: MAX_BATCH_MEMBERS,
      uniqueItems: true,
      description: `The members, each at home in a unit the secretary holds (1 to ${MAX_BATCH_MEMBERS}, no repeats)`,
    }),
  },
  '批量申报: the same claim for many members at once (a meeting, the dues of a month)',
)
export type CreateClaimsBatchBody = Static<typeof CreateClaimsBatchBody>

export const Claim = Type.Object({
  id: Id,
  memberId: Id,
  orgUnitId: Id,
  rubricId: Id,
  itemCode: ItemCode,
  kind: Type.Union([Type.Literal('award'), Type.Literal('deduction')]),
  occurredOn: DateString,
  quantity: Decimal,
  ceiling: Decimal,
  description: Description,
  evidence: Type.Object({ activityIds: Ids, serviceRequestIds: Ids, links: Links }),
  source: Type.Union([Type.Literal('manual'), Type.Literal('activity'), Type.Literal('service_request')]),
  status: ClaimStatus,
  roundId: Type.Union([Id, Type.Null()]),
  result: Type.Union([Decimal, Type.Null()], { description: 'The panel result, once the round closed' }),
  awarded: Type.Union([Decimal, Type.Null()], { description: 'What was posted to the ledger' }),
  cappedAmount: Type.Union([Decimal, Type.Null()], { description: 'What the yearly cap cut off' }),
  capReason: Type.Union([CapReason, Type.Null()]),
  ledgerTransactionId: Type.Union([Id, Type.Null()]),
  batchId: Type.Union([Id, Type.Null()], {
    description: 'The batch (createClaimsBatch) the claim was filed in; null for a claim filed alone',
  }),
  createdAt: DateTime,
  updatedAt: DateTime,
})

export const ClaimsBatch = Type.Object({
  batchId: Id,
  count: Int32(1, MAX_BATCH_MEMBERS, { description: 'Claims filed: one per member' }),
  claims: Type.Array(Claim, {
    maxItems: MAX_BATCH_MEMBERS,
    description: 'The claims, in the order of memberIds',
  }),
})

export const ListClaimsQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
  memberId: Type.Optional(Id),
  status: Type.Optional(ClaimStatus),
  roundId: Type.Optional(Id),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
})
export type ListClaimsQuery = Static<typeof ListClaimsQuery>

export const CreateRoundBody = Body({
  orgUnitId: Id,
  rubricId: Id,
  periodStart: DateString,
  periodEnd: DateString,
  panelUserIds: Type.Array(Id, { minItems: 1, maxItems: MAX_PANEL, uniqueItems: true }),
  quorum: Type.Optional(
    Int32(1, MAX_PANEL, { description: 'At most the panel size. Default: a majority of the panel' }),
  ),
  aggregation: Type.Optional(Aggregation),
  publicityDays: Type.Optional(
    Int32(0, 60, {
      description:
        "Default: the unit's publicityDays setting (5). Below the unit's 公示 floor (minPublicityDays, default 1): 400",
    }),
  ),
  divergenceThreshold: Type.Optional(
    Type.Union([DecimalInput], { description: "Default: a third of each claim's ceiling" }),
  ),
})
export type CreateRoundBody = Static<typeof CreateRoundBody>

const Hours = Type.Union([Decimal, Type.Null()], {
  description:
    "The claimant's verified hours on it (as corrected); null when they are not (or no longer) theirs",
})
const EvidenceActivity = Type.Object({
  id: Id,
  title: Text(200),
  date: Type.Union([DateString, Type.Null()], { description: 'The day it was held (service time zone)' }),
  hours: Hours,
})
const EvidenceRequest = Type.Object({
  id: Id,
  title: Text(200),
  completedOn: Type.Union([DateString, Type.Null()], {
    description: 'The day the member completed it (service time zone)',
  }),
  hours: Hours,
  rating: Type.Union([Int32(1, 5), Type.Null()], { description: "The resident's rating once confirmed" }),
})

/** What the panel reads to score a claim: who, what, and its evidence resolved (never contact data). */
export const RoundClaimDetail = Type.Object(
  {
    memberName: MemberName,
    occurredOn: DateString,
    quantity: Decimal,
    description: Description,
    source: Type.Union([Type.Literal('manual'), Type.Literal('activity'), Type.Literal('service_request')]),
    evidence: Type.Object({
      activities: Type.Array(EvidenceActivity, { maxItems: 50 }),
      serviceRequests: Type.Array(EvidenceRequest, { maxItems: 50 }),
      links: Links,
    }),
  },
  {
    description:
      "The member's name, the claim's date, quantity and description, and its evidence: each activity's title, " +
      "date and the member's verified hours, each service request's title, completion date, hours and rating, " +
      'and the links. Only the member name: no phone, no identity document, nothing of the requester',
  },
)

export const RoundClaim = Type.Object({
  claimId: Id,
  memberId: Id,
  itemCode: ItemCode,
  ceiling: Decimal,
  status: ClaimStatus,
  scoreCount: Int32(0, MAX_PANEL, { description: 'Scores given so far (values stay hidden until close)' }),
  scoredByMe: Type.Boolean(),
  myScore: Type.Union(
    [
      Type.Object({
        time: Rating,
        content: Rating,
        quality: Rating,
        points: Decimal,
        comment: Type.Union([Comment, Type.Null()]),
      }),
      Type.Null(),
    ],
    { description: 'Your own score of the claim in its current scoring (you always see your own)' },
  ),
  recused: Type.Boolean({ description: 'The claim is your own: you do not score it' }),
  detail: Type.Union([RoundClaimDetail, Type.Null()], {
    description:
      "For the round's panel and secretaries and panelists over its unit (who may read the claim to score it): " +
      'the member and the evidence; null for the branch members who see the round',
  }),
})

export const Round = Type.Object({
  id: Id,
  orgUnitId: Id,
  rubricId: Id,
  periodStart: DateString,
  periodEnd: DateString,
  panelUserIds: Type.Array(Id, { maxItems: MAX_PANEL }),
  quorum: Int32(1, MAX_PANEL),
  aggregation: Aggregation,
  publicityDays: Type.Union([PublicityDays, Type.Null()]),
  divergenceThreshold: Type.Union([Decimal, Type.Null()]),
  status: Type.Union([Type.Literal('scoring'), Type.Literal('publicity'), Type.Literal('finalized')]),
  claimCount: Count(),
  claims: Type.Array(RoundClaim, { maxItems: MAX_ROUND_CLAIMS }),
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
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
})
export type ListRoundsQuery = Static<typeof ListRoundsQuery>

export const RoundClaimParams = Type.Object({ id: Id, claimId: Id })

export const ScoreBody = Body({
  time: Int32(0, 5, { description: '时间' }),
  content: Int32(0, 5, { description: '内容' }),
  quality: Int32(0, 5, { description: '质量' }),
  points: DecimalInput,
  comment: Type.Optional(Type.Union([Comment, Type.Null()])),
})
export type ScoreBody = Static<typeof ScoreBody>

export const Score = Type.Object({
  claimId: Id,
  panelistUserId: Id,
  time: Rating,
  content: Rating,
  quality: Rating,
  points: Decimal,
  comment: Type.Union([Comment, Type.Null()]),
  updatedAt: DateTime,
})

export const Objection = Type.Object({
  id: Id,
  claimId: Id,
  roundId: Id,
  memberId: Id,
  reason: Text(4000),
  status: Type.Union([Type.Literal('open'), Type.Literal('upheld'), Type.Literal('rescore')]),
  reply: Type.Union([Text(4000), Type.Null()]),
  createdAt: DateTime,
  resolvedAt: Type.Union([DateTime, Type.Null()]),
})

export const ResultItem = Type.Object({
  claimId: Id,
  memberId: Id,
  memberName: MemberName,
  itemCode: ItemCode,
  status: ClaimStatus,
  ceiling: Decimal,
  result: Type.Union([Decimal, Type.Null()], { description: 'null while the claim is being rescored' }),
  spread: Type.Union([Decimal, Type.Null()]),
  divergent: Type.Union([Type.Boolean(), Type.Null()]),
  awarded: Type.Union([Decimal, Type.Null()]),
  cappedAmount: Type.Union([Decimal, Type.Null()]),
  capReason: Type.Union([CapReason, Type.Null()]),
  scores: Type.Array(Type.Omit(Score, ['claimId', 'updatedAt']), { maxItems: MAX_PANEL }),
  objections: Type.Array(Type.Omit(Objection, ['claimId', 'roundId', 'memberId']), {
    maxItems: MAX_OBJECTIONS,
  }),
})

export const ResultsQuery = Type.Object({
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
})

export const ObjectionBody = Body({ reason: Text(4000, { minLength: 1 }) })
export const ResolveBody = Body({
  decision: Type.Union([Type.Literal('upheld'), Type.Literal('rescore')]),
  reply: Text(4000, { minLength: 1 }),
})
export type ResolveBody = Static<typeof ResolveBody>

export const FinalizeResult = Type.Object({
  posted: Count('Ledger transactions posted by this finalize'),
  totalPoints: Decimal,
})

export const ListObjectionsQuery = Type.Object({
  roundId: Id,
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('upheld'), Type.Literal('rescore')])),
})
