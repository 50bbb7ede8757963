import Type, { type Static } from 'typebox'
import { APPRAISAL_OUTCOMES, type AppraisalOutcome } from '../../db/schema/appraisals'
import {
  Body,
  Count,
  DateTime,
  Decimal,
  Id,
  Int32,
  NON_BLANK_TEXT_PATTERN,
  Page,
  PageQuery,
  Text,
} from '../../shared/schemas'

const Year = Int32(2000, 2100, { description: 'The appraisal year (calendar year in the service time zone)' })

export const Outcome = Type.Unsafe<AppraisalOutcome>({
  type: 'string',
  enum: [...APPRAISAL_OUTCOMES],
  description: '优秀, 合格, 基本合格 or 不合格',
})

export const AppraisalParams = Type.Object({ id: Id, year: Year })
export type AppraisalParams = Static<typeof AppraisalParams>

export const RecordAppraisalBody = Body({
  outcome: Outcome,
  note: Type.Optional(
    Type.Union([Text(1000, { minLength: 1, pattern: NON_BLANK_TEXT_PATTERN }), Type.Null()]),
  ),
  reason: Type.Optional(
    Text(500, {
      minLength: 1,
      pattern: NON_BLANK_TEXT_PATTERN,
      description: "Why the outcome changes; required once the year's appraisals are published",
    }),
  ),
})
export type RecordAppraisalBody = Static<typeof RecordAppraisalBody>

const Grade = Type.Union([Text(20), Type.Null()], {
  description: "等次 the year's points reached when it was recorded (null: none)",
})

/** One recorded outcome, as it was written. */
export const AppraisalRecord = Type.Object({
  id: Id,
  outcome: Outcome,
  note: Type.Union([Text(1000), Type.Null()]),
  reason: Type.Union([Text(500), Type.Null()]),
  points: Decimal,
  grade: Grade,
  recordedBy: Id,
  recordedAt: DateTime,
})

export const Appraisal = Type.Object({
  ...AppraisalRecord.properties,
  memberId: Id,
  memberName: Text(100),
  orgUnitId: Type.String({
    format: 'uuid',
    maxLength: 36,
    description: "The member's home unit when recorded",
  }),
  year: Year,
  published: Type.Boolean({
    description: "The year's list is published for a unit at or above the member's home unit",
  }),
  history: Type.Array(AppraisalRecord, {
    maxItems: 1000,
    description:
      'Earlier outcomes of the member for the year, newest first (each superseded by the one before it)',
  }),
})
export type Appraisal = Static<typeof Appraisal>

export const ListAppraisalsQuery = Type.Object({ orgUnitId: Id, year: Year, ...PageQuery })
export type ListAppraisalsQuery = Static<typeof ListAppraisalsQuery>

export const AppraisalPage = Page(Appraisal)

export const ListMyAppraisalsQuery = Type.Object({ ...PageQuery })
export type ListMyAppraisalsQuery = Static<typeof ListMyAppraisalsQuery>

export const PublishAppraisalsBody = Body({ orgUnitId: Id, year: Year })
export type PublishAppraisalsBody = Static<typeof PublishAppraisalsBody>

export const AppraisalPublication = Type.Object({
  orgUnitId: Id,
  year: Year,
  publishedBy: Id,
  publishedAt: DateTime,
  appraisals: Count('Members of the subtree with an appraisal for the year when it was published'),
})
export type AppraisalPublication = Static<typeof AppraisalPublication>
