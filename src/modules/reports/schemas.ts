import Type, { type Static } from 'typebox'
import { DateString, Decimal, Id, PageQuery } from '../../shared/schemas'

export const RankingQuery = Type.Object({
  orgUnitId: Id,
  year: Type.Integer({ minimum: 2000, maximum: 2100, description: 'Calendar year in the service time zone' }),
  ...PageQuery,
})
export type RankingQuery = Static<typeof RankingQuery>

export const RankingItem = Type.Object({
  rank: Type.Integer({ minimum: 1, description: 'Ties share a rank (1, 2, 2, 4)' }),
  memberId: Id,
  name: Type.String(),
  points: Decimal,
  hours: Decimal,
})
export type RankingItem = Static<typeof RankingItem>

export const SummaryQuery = Type.Object({
  orgUnitId: Id,
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
})
export type SummaryQuery = Static<typeof SummaryQuery>

export const Summary = Type.Object({
  activities: Type.Integer({ description: 'Activities that started in the period in the subtree' }),
  volunteers: Type.Integer({ description: 'Distinct members with verified hours' }),
  serviceHours: Decimal,
  serviceRequestsCompleted: Type.Integer({ description: 'Service requests confirmed in the period' }),
  pointsIssued: Decimal,
  pointsDeducted: Decimal,
  pointsRedeemed: Decimal,
  redemptions: Type.Integer({ description: 'Fulfilled redemptions' }),
})
export type Summary = Static<typeof Summary>
