import Type, { type Static } from 'typebox'
import { Count, DateString, DateTime, Decimal, Id, PageQuery, Text } from '../../shared/schemas'
import { IdentityDocument } from '../members'

export const DualRegistrationQuery = Type.Object({
  orgUnitId: { ...Id, description: "The home side: members whose home unit lies in this unit's subtree" },
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
  ...PageQuery,
})
export type DualRegistrationQuery = Static<typeof DualRegistrationQuery>

export const DualRegistrationItem = Type.Object(
  {
    registrationId: Id,
    memberId: Id,
    memberName: Text(100),
    identityDocument: Type.Union([IdentityDocument, Type.Null()]),
    workUnit: Type.Union([Text(200), Type.Null()], { description: '工作单位 on record' }),
    homeUnitId: Id,
    homeUnitName: Text(200),
    communityId: Id,
    communityName: Text(200),
    registeredAt: DateTime,
    endedAt: Type.Union([DateTime, Type.Null()], {
      description: 'When the registration ended; null while live',
    }),
    activities: Count("Verified activities of the community's subtree the member served at in the period"),
    activityHours: Decimal,
    serviceRequests: Count(
      "Service requests of the community's subtree the member completed, confirmed in the period",
    ),
    serviceRequestHours: Decimal,
    hours: Decimal,
    averageRating: Type.Union([Type.String({ pattern: '^[1-5]\\.\\d{2}$', maxLength: 4 }), Type.Null()], {
      description: "Mean of the residents' ratings (1-5) of those requests, 2 decimals; null without any",
    }),
    claims: Count('Claims (not withdrawn) whose evidence is that work'),
    claimsPosted: Count('Of them, posted to the ledger'),
    points: Decimal,
  },
  {
    description:
      '双报告: one member and one community they registered with (双报到), over the period: what they did there ' +
      'and what it earned them.',
  },
)
export type DualRegistrationItem = Static<typeof DualRegistrationItem>
