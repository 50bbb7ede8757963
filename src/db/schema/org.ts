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
  ],
)
