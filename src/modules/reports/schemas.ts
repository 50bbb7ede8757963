import Type, { type Static } from 'typebox'
import {
  Count,
  DateString,
  DateTime,
  Decimal,
  Id,
  INT32_MAX,
  Int32,
  PageQuery,
  Text,
} from '../../shared/schemas'

export const RankingQuery = Type.Object({
  orgUnitId: Id,
  year: Int32(2000, 2100, { description: 'Calendar year in the service time zone' }),
  ...PageQuery,
})
export type RankingQuery = Static<typeof RankingQuery>

export const RankingItem = Type.Object({
  rank: Int32(1, INT32_MAX, {
    description: 'Ties share a rank (1, 2, 2, 4); within a tie, more hours first, then by name',
  }),
  memberId: Id,
  name: Text(100),
  points: Decimal,
  hours: Decimal,
  grade: Type.Union([Text(20), Type.Null()], {
    description:
      "等次 the year's points reach under the grades the member's home unit inherits (null: below every grade, or none set)",
  }),
})
export type RankingItem = Static<typeof RankingItem>

export const SummaryQuery = Type.Object({
  orgUnitId: Id,
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
})
export type SummaryQuery = Static<typeof SummaryQuery>

export const Summary = Type.Object({
  activities: Count('Activities that started in the period in the subtree'),
  volunteers: Count('Distinct members with verified hours'),
  serviceHours: Decimal,
  serviceRequestsCompleted: Count('Service requests confirmed in the period'),
  pointsIssued: Decimal,
  pointsDeducted: Decimal,
  pointsRedeemed: Decimal,
  redemptions: Count('Fulfilled redemptions'),
})
export type Summary = Static<typeof Summary>

const Period = {
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
}

const count = Count

export const PeriodPageQuery = Type.Object({ orgUnitId: Id, ...Period, ...PageQuery })
export type PeriodPageQuery = Static<typeof PeriodPageQuery>

export const YearPageQuery = Type.Object({
  orgUnitId: Id,
  year: Int32(2000, 2100, { description: 'Calendar year in the service time zone' }),
  ...PageQuery,
})
export type YearPageQuery = Static<typeof YearPageQuery>

export const TeamTotals = Type.Object({
  teamId: Id,
  name: Text(200),
  orgUnitId: Id,
  members: count('Current members of the team'),
  activities: count("The team's activities held in the period"),
  hours: Decimal,
  points: Decimal,
})
export type TeamTotals = Static<typeof TeamTotals>

export const ActivityTotals = Type.Object({
  activityId: Id,
  title: Text(200),
  orgUnitId: Id,
  teamId: Type.Union([Id, Type.Null()]),
  startsAt: DateTime,
  status: Type.Union([Type.Literal('open'), Type.Literal('verified')]),
  participants: count('Participants recorded'),
  hours: Decimal,
  points: Decimal,
})
export type ActivityTotals = Static<typeof ActivityTotals>

export const MonthTotals = Type.Object({
  month: Type.String({
    pattern: '^\\d{4}-\\d{2}$',
    maxLength: 7,
    description: 'YYYY-MM in the service time zone',
  }),
  ...Summary.properties,
})
export type MonthTotals = Static<typeof MonthTotals>

export const RewardTotals = Type.Object({
  rewardId: Id,
  name: Text(200),
  orgUnitId: Id,
  pointsCost: Decimal,
  redemptions: count('Redemptions fulfilled (handed out) in the period'),
  quantity: count('Units handed out in the period'),
  points: Decimal,
})
export type RewardTotals = Static<typeof RewardTotals>

export const InactiveMember = Type.Object({
  memberId: Id,
  name: Text(100),
  orgUnitId: Id,
  orgUnitName: Text(200),
  phone: Type.Union([Text(40), Type.Null()]),
})
export type InactiveMember = Static<typeof InactiveMember>
