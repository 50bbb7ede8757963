import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  check,
  index,
  integer,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import * as col from './columns'

export const APPRAISAL_OUTCOMES = ['优秀', '合格', '基本合格', '不合格'] as const
export type AppraisalOutcome = (typeof APPRAISAL_OUTCOMES)[number]

/**
 * 评优: a member's year-end outcome, with the year's net points and grade as they were when it was recorded.
 * Append-only (src/db/sql/appraisals.sql): a change is a new row that supersedes the current one, so every
 * earlier outcome stays visible; the newest row of a (member, year) chain is the outcome. Once the year's list is
 * published for a unit at or above the member's home unit, a change needs a reason (the trigger checks it).
 */
export const appraisals = pgTable(
  'appraisals',
  {
    id: col.id(),
    memberId: col.memberId(),
    /** The member's home unit when it was recorded (whose secretary recorded it). */
    orgUnitId: col.orgUnitId(),
    year: integer().notNull(),
    outcome: text().$type<AppraisalOutcome>().notNull(),
    note: text(),
    /** Why an outcome changed after publication (required then). */
    reason: text(),
    /** Net points of the year at that moment, in hundredths. */
    pointsCents: bigint({ mode: 'number' }).notNull(),
    grade: text(),
    /** The appraisal this one replaces (null: the first of the member's year). */
    supersedesId: uuid().references((): AnyPgColumn => appraisals.id),
    recordedBy: col.userId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    index('appraisals_unit_year_idx').on(t.orgUnitId, t.year),
    index('appraisals_member_year_idx').on(t.memberId, t.year, t.createdAt),
    // A linear chain per member and year: one first row, and each row replaced at most once.
    uniqueIndex('appraisals_first_uq').on(t.memberId, t.year).where(sql`${t.supersedesId} is null`),
    uniqueIndex('appraisals_supersedes_uq').on(t.supersedesId),
    check('appraisals_outcome_chk', col.oneOf(t.outcome, APPRAISAL_OUTCOMES)),
    check('appraisals_year_chk', sql`${t.year} between 2000 and 2100`),
    check('appraisals_note_chk', sql`${t.note} is null or length(${t.note}) between 1 and 1000`),
    check('appraisals_reason_chk', sql`${t.reason} is null or length(${t.reason}) between 1 and 500`),
  ],
)

/** A unit's appraisal list for a year, published (公示): from then on outcomes below it change only with a reason. */
export const appraisalPublications = pgTable(
  'appraisal_publications',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    year: integer().notNull(),
    publishedBy: col.userId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    uniqueIndex('appraisal_publications_uq').on(t.orgUnitId, t.year),
    check('appraisal_publications_year_chk', sql`${t.year} between 2000 and 2100`),
  ],
)
