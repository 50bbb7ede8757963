import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import * as col from './columns'

export const ORG_KINDS = [
  'root',
  'province',
  'city',
  'district',
  'street',
  'community',
  'branch',
  'grid',
  'microgrid',
] as const
export type OrgKind = (typeof ORG_KINDS)[number]

/**
 * The organisation tree. `path` is the materialised path of ids ("/<root>/<child>/.../<self>/"), so
 * "is X inside Y" is one indexed prefix test: x.path LIKE y.path || '%' (text_pattern_ops index).
 * Units never move, so a path never changes once written.
 */
export const orgUnits = pgTable(
  'org_units',
  {
    id: col.id(),
    parentId: uuid().references((): AnyPgColumn => orgUnits.id),
    kind: text().$type<OrgKind>().notNull(),
    name: text().notNull(),
    code: text(),
    path: text().notNull(),
    depth: integer().notNull(),
    // Settings inherit: null means "ask the parent". Points in hundredths.
    redemptionThreshold: bigint({ mode: 'number' }),
    publicityDays: integer(),
    /** 公示 floor for every round below (null: inherited; default 1); only set from above the unit. */
    minPublicityDays: integer(),
    /** 等次 for the year's net points, highest first: [{name, minPoints (hundredths)}] (null: inherited; default none). */
    grades: jsonb().$type<{ name: string; minPointsCents: number }[]>(),
    /** 志愿者星级 by cumulative verified hours, lowest first (null: inherited; default 一星 100 h ... 五星 1,500 h). */
    volunteerStars: jsonb().$type<{ name: string; minHoursCents: number }[]>(),
    /** 亮积分: members of a branch read its standings (null: inherited; default true). */
    standingsVisibleToMembers: boolean(),
    /** Printed on service certificates (志愿服务记录证明); each inherits on its own (null: inherited; default none). */
    certificatePersonInCharge: text(),
    certificateContactPhone: text(),
    certificateSealText: text(),
    /** 公示栏: how and until when to object, printed on the notice-board sheet (null: inherited; default none). */
    objectionNotice: text(),
    ...col.timestamps(),
  },
  (t) => [
    index('org_units_path_idx').using('btree', sql`${t.path} text_pattern_ops`),
    index('org_units_parent_idx').on(t.parentId, t.name),
    // Exactly one root: a second bootstrap racing the first cannot make another.
    uniqueIndex('org_units_one_root_uq').on(sql`(${t.kind})`).where(sql`${t.kind} = 'root'`),
    check('org_units_kind_chk', col.oneOf(t.kind, ORG_KINDS)),
    check('org_units_root_chk', sql`(${t.kind} = 'root') = (${t.parentId} is null)`),
    check('org_units_threshold_chk', sql`${t.redemptionThreshold} is null or ${t.redemptionThreshold} >= 0`),
    check('org_units_publicity_chk', sql`${t.publicityDays} is null or ${t.publicityDays} between 0 and 60`),
    check(
      'org_units_min_publicity_chk',
      sql`${t.minPublicityDays} is null or ${t.minPublicityDays} between 0 and 60`,
    ),
    check('org_units_grades_chk', sql`${t.grades} is null or jsonb_typeof(${t.grades}) = 'array'`),
    check(
      'org_units_volunteer_stars_chk',
      sql`${t.volunteerStars} is null or jsonb_typeof(${t.volunteerStars}) = 'array'`,
    ),
  ],
)
