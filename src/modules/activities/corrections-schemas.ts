import Type, { type Static } from 'typebox'
import { Body, DateTime, Decimal, DecimalInput, Id, Text } from '../../shared/schemas'

/** 更正 (issue 18): the shapes of correctServiceHours and listHoursCorrections. */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()])
/** Far above any real record: a wrong figure corrected a few times at most. */
const MAX_CORRECTIONS = 1000

export const CorrectServiceHoursBody = Body({
  hours: DecimalInput,
  reason: Text(500, { minLength: 1 }),
})
export type CorrectServiceHoursBody = Static<typeof CorrectServiceHoursBody>

export const HoursCorrection = Type.Object({
  id: Id,
  activityId: Id,
  memberId: Id,
  previousHours: Decimal,
  hours: Decimal,
  reason: Text(500),
  correctedByUserId: Id,
  correctedByName: Text(100, { description: 'The member name of the secretary, else their username' }),
  createdAt: DateTime,
})
export type HoursCorrection = Static<typeof HoursCorrection>

export const ClaimStatusName = Type.Union([
  Type.Literal('submitted'),
  Type.Literal('scoring'),
  Type.Literal('scored'),
  Type.Literal('posted'),
  Type.Literal('withdrawn'),
])

export const ServiceHoursCorrected = Type.Object({
  ...HoursCorrection.properties,
  verifiedHours: Decimal,
  claimId: Nullable(Id),
  claimStatus: Type.Union([ClaimStatusName, Type.Null()], {
    description: "The claim's status after the correction (null: the participation backs no claim)",
  }),
  claimFollowed: Type.Boolean({
    description:
      'true: the claim was not scored yet and now asks for the corrected hours (or was withdrawn, at 0.00); ' +
      'false: no claim, or it is being scored, scored or posted and was left alone (decide on an adjustment)',
  }),
})
export type ServiceHoursCorrected = Static<typeof ServiceHoursCorrected>

export const HoursCorrections = Type.Object({
  activityId: Id,
  memberId: Id,
  verifiedHours: Nullable(Decimal),
  hours: Decimal,
  items: Type.Array(HoursCorrection, { maxItems: MAX_CORRECTIONS, description: 'Oldest first' }),
})
export type HoursCorrections = Static<typeof HoursCorrections>
