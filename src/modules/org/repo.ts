import { eq, type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { type OrgKind, orgUnits } from '../../db/schema/org'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { formatInstant } from '../../shared/time'
import { DEFAULT_REDEMPTION_THRESHOLD_CENTS, effectivePublicity } from './domain'
import type { OrgUnit } from './schemas'

export interface UnitRecord {
  id: string
  parentId: string | null
  kind: OrgKind
  name: string
  code: string | null
  depth: number
  path: string
  redemptionThreshold: string | null
  publicityDays: number | null
  minPublicityDays: number | null
  effThreshold: string | null
  effPublicityDays: number | null
  effMinPublicityDays: number
  createdAt: string
  updatedAt: string
}

/**
 * The redemption threshold in force at the unit whose path is `path` (the nearest unit at or above it that
 * sets one; null: the default). Ancestors come from the ids on the path (primary-key lookups), nearest first.
 */
export function effectiveThresholdAt(path: SQL): SQL {
  return sql`(select a.redemption_threshold from org_units a
      where a.id = any(string_to_array(trim(both '/' from ${path}), '/')::uuid[]) and a.redemption_threshold is not null
      order by a.depth desc limit 1)`
}

/** The nearest publicity_days set at or above the unit whose path is `path` (null: none sets it). */
function inheritedPublicityDays(path: SQL): SQL {
  return sql`(select a.publicity_days from org_units a
      where a.id = any(string_to_array(trim(both '/' from ${path}), '/')::uuid[]) and a.publicity_days is not null
      order by a.depth desc limit 1)`
}

// Raw SQL: the inherited settings are correlated sub-selects over the path's ids, clearer as SQL than as builder calls.
const SELECT_UNIT = sql`
  select u.id, u.parent_id as "parentId", u.kind, u.name, u.code, u.depth, u.path,
    u.redemption_threshold as "redemptionThreshold", u.publicity_days as "publicityDays",
    u.min_publicity_days as "minPublicityDays",
    ${effectiveThresholdAt(sql`u.path`)} as "effThreshold",
    ${inheritedPublicityDays(sql`u.path`)} as "effPublicityDays",
    org_min_publicity_days(u.path) as "effMinPublicityDays",
    to_json(u.created_at)#>>'{}' as "createdAt", to_json(u.updated_at)#>>'{}' as "updatedAt"
  from org_units u`

export async function findUnitRecord(db: Db, id: string, lock = false): Promise<UnitRecord | undefined> {
  return one<UnitRecord>(db, sql`${SELECT_UNIT} where u.id = ${id} ${lock ? sql`for update of u` : sql``}`)
}

export async function listUnitRecords(
  db: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<UnitRecord[]> {
  const conds = [...where]
  if (after) conds.push(sql`(u.name, u.id) > (${after[0]}, ${after[1]}::uuid)`)
  const clause = conds.length ? sql`where ${sql.join(conds, sql` and `)}` : sql``
  return rows<UnitRecord>(db, sql`${SELECT_UNIT} ${clause} order by u.name, u.id limit ${limit + 1}`)
}

export async function insertUnit(
  db: Db,
  parent: { id: string; path: string },
  unit: {
    kind: OrgKind
    name: string
    code: string | null
    threshold: number | null
    publicityDays: number | null
    minPublicityDays: number | null
  },
): Promise<string> {
  // Raw SQL: INSERT ... SELECT derives the new unit's path and depth from its parent's in the same statement.
  const row = await one<{ id: string }>(
    db,
    sql`insert into org_units (id, parent_id, kind, name, code, path, depth, redemption_threshold, publicity_days,
                               min_publicity_days)
        select g.id, p.id, ${unit.kind}, ${unit.name}, ${unit.code}, p.path || g.id || '/', p.depth + 1,
               ${unit.threshold}, ${unit.publicityDays}, ${unit.minPublicityDays}
        from org_units p, (select gen_random_uuid() as id) g where p.id = ${parent.id}
        returning id`,
  )
  return row!.id
}

export async function updateUnit(
  db: Db,
  id: string,
  set: {
    name?: string
    code?: string | null
    threshold?: number | null
    publicityDays?: number | null
    minPublicityDays?: number | null
  },
): Promise<void> {
  // drizzle leaves undefined fields out of SET: only what the request names changes.
  await db
    .update(orgUnits)
    .set({
      name: set.name,
      code: set.code,
      redemptionThreshold: set.threshold,
      publicityDays: set.publicityDays,
      minPublicityDays: set.minPublicityDays,
      updatedAt: sql`now()`,
    })
    .where(eq(orgUnits.id, id))
}

export function toOrgUnit(r: UnitRecord): OrgUnit {
  return {
    id: r.id,
    parentId: r.parentId,
    kind: r.kind,
    name: r.name,
    code: r.code,
    depth: r.depth,
    settings: {
      redemptionThreshold:
        r.redemptionThreshold === null ? null : formatCents(centsFromDb(r.redemptionThreshold)),
      publicityDays: r.publicityDays,
      minPublicityDays: r.minPublicityDays,
    },
    effectiveSettings: {
      redemptionThreshold: formatCents(
        r.effThreshold === null ? DEFAULT_REDEMPTION_THRESHOLD_CENTS : centsFromDb(r.effThreshold),
      ),
      ...effectivePublicity(r),
    },
    createdAt: formatInstant(r.createdAt),
    updatedAt: formatInstant(r.updatedAt),
  }
}
