import { sql } from 'drizzle-orm'
import {
  bigint,
  check,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import * as col from './columns'

export const RUBRIC_STATUSES = ['draft', 'active'] as const
export type RubricStatus = (typeof RUBRIC_STATUSES)[number]
export const ITEM_KINDS = ['award', 'deduction'] as const
export type ItemKind = (typeof ITEM_KINDS)[number]
export const ITEM_UNITS = ['hour', 'occurrence', 'fixed'] as const
export type ItemUnit = (typeof ITEM_UNITS)[number]

/**
 * A unit's scoring rule book for one year (积分细则). Drafts are edited freely; once active it is frozen
 * (a trigger refuses any change, see the rubrics_frozen migration) because claims and results refer to it.
 */
export const rubrics = pgTable(
  'rubrics',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    year: integer().notNull(),
    name: text().notNull(),
    status: text().$type<RubricStatus>().notNull().default('draft'),
    copiedFromRubricId: uuid(),
    createdBy: col.optionalUserId(),
    ...col.timestamps(),
    activatedAt: col.at(),
  },
  (t) => [
    index('rubrics_unit_year_idx').on(t.orgUnitId, t.year),
    // One active rubric per unit and year, whatever races: the second activation fails on this index.
    uniqueIndex('rubrics_one_active_uq').on(t.orgUnitId, t.year).where(sql`${t.status} = 'active'`),
    check('rubrics_status_chk', col.oneOf(t.status, RUBRIC_STATUSES)),
    check('rubrics_year_chk', sql`${t.year} between 2000 and 2100`),
    check('rubrics_active_at_chk', sql`(${t.status} = 'active') = (${t.activatedAt} is not null)`),
  ],
)

/** Amounts in hundredths; always positive here (a deduction's sign comes from `kind`). */
export const rubricItems = pgTable(
  'rubric_items',
  {
    rubricId: col.required(() => rubrics.id, { onDelete: 'cascade' }),
    code: text().notNull(),
    position: integer().notNull(),
    name: text().notNull(),
    nameEn: text(),
    kind: text().$type<ItemKind>().notNull(),
    unit: text().$type<ItemUnit>().notNull(),
    pointsPerUnit: bigint({ mode: 'number' }).notNull(),
    maxPerClaim: bigint({ mode: 'number' }).notNull(),
    capPerYear: bigint({ mode: 'number' }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.rubricId, t.code] }),
    check('rubric_items_kind_chk', col.oneOf(t.kind, ITEM_KINDS)),
    check('rubric_items_unit_chk', col.oneOf(t.unit, ITEM_UNITS)),
    check('rubric_items_points_chk', sql`${t.pointsPerUnit} > 0`),
    check('rubric_items_max_chk', sql`${t.maxPerClaim} >= ${t.pointsPerUnit}`),
    check('rubric_items_cap_chk', sql`${t.capPerYear} >= ${t.maxPerClaim}`),
  ],
)
