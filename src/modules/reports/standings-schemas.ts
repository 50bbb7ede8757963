import Type, { type Static } from 'typebox'
import { Count, Decimal, Id, INT32_MAX, Int32, Text } from '../../shared/schemas'

export const MyStandingQuery = Type.Object({
  year: Int32(2000, 2100, { description: 'Calendar year in the service time zone' }),
})
export type MyStandingQuery = Static<typeof MyStandingQuery>

const GradeName = Type.Union([Text(20), Type.Null()])

export const MyStanding = Type.Object({
  year: Int32(2000, 2100),
  memberId: Id,
  orgUnitId: Type.String({
    format: 'uuid',
    maxLength: 36,
    description: "The member's branch: the nearest branch at or above their home unit (else the home unit)",
  }),
  orgUnitName: Text(200),
  rank: Type.Union([Int32(1, INT32_MAX), Type.Null()], {
    description:
      "Rank among the branch as getStandings orders it; null where the unit's standings are not shown to members",
  }),
  members: Count('Members of the branch ranked'),
  points: Decimal,
  hours: Decimal,
  grade: GradeName,
  nextGrade: GradeName,
  pointsToNextGrade: Type.Union([Decimal, Type.Null()], {
    description: 'Points still missing to the next grade up (null: at the top, or no grades)',
  }),
  volunteerStar: Type.Union([Text(20), Type.Null()], {
    description: '志愿者星级 the cumulative verified hours reach; null below the first',
  }),
  /** Cumulative verified hours, every year. */
  volunteerHours: Decimal,
})
export type MyStanding = Static<typeof MyStanding>
