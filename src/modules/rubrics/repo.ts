import { and, asc, eq, inArray, type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { type RubricStatus, rubricItems, rubrics } from '../../db/schema/rubrics'
import { centsFromDb } from '../../shared/decimal'
import type { RubricItem } from './domain'

/** Timestamps from raw SQL arrive as Date or as PostgreSQL text ("2026-11-27 13:43:03.1+08") by driver. */
export function asDate(v: unknown): Date {
  if (v instanceof Date) return v
  return new Date(
    String(v)
      .replace(' ', 'T')
      .replace(/([+-]\d\d)$/, '$1:00'),
  )
}
const asDateOrNull = (v: unknown): Date | null => (v === null || v === undefined ? null : asDate(v))

export interface RubricRow {
  id: string
  orgUnitId: string
  year: number
  name: string
  status: RubricStatus
  copiedFromRubricId: string | null
  createdAt: Date
  updatedAt: Date
  activatedAt: Date | null
  path: string
  /** created_at as exact text (microseconds), the keyset cursor's first half. */
  createdKey: string
}

// Raw SQL: the rubric reads take the callers' scope conditions, written against the aliases r and u.
const RUBRIC_COLUMNS = sql`r.id, r.org_unit_id as "orgUnitId", r.year, r.name, r.status,
  r.copied_from_rubric_id as "copiedFromRubricId", r.created_at as "createdAt", r.updated_at as "updatedAt",
  r.activated_at as "activatedAt", u.path, r.created_at::text as "createdKey"`

function toRubric(r: RubricRow): RubricRow {
  return {
    ...r,
    createdAt: asDate(r.createdAt),
    updatedAt: asDate(r.updatedAt),
    activatedAt: asDateOrNull(r.activatedAt),
  }
}

export async function findRubric(db: Db, id: string, lock = false): Promise<RubricRow | undefined> {
  const r = await one<RubricRow>(
    db,
    sql`select ${RUBRIC_COLUMNS} from rubrics r join org_units u on u.id = r.org_unit_id
        where r.id = ${id} ${lock ? sql`for update of r` : sql``}`,
  )
  return r && toRubric(r)
}

export async function listRubricRows(
  db: Db,
  where: SQL,
  cursor: (string | number)[] | undefined,
  limit: number,
): Promise<RubricRow[]> {
  const after = cursor
    ? sql`and (r.created_at, r.id) < (${cursor[0]}::timestamptz, ${cursor[1]}::uuid)`
    : sql``
  const found = await rows<RubricRow>(
    db,
    sql`select ${RUBRIC_COLUMNS} from rubrics r join org_units u on u.id = r.org_unit_id
        where ${where} ${after} order by r.created_at desc, r.id desc limit ${limit + 1}`,
  )
  return found.map(toRubric)
}

// The item reads and the writes below are drizzle's query builder: admin paths, one or a few rows each.
// Amounts are bigint in mode 'number' (hundredths, far below 2^53), checked as cents as before.
const ITEM_COLUMNS = {
  rubricId: rubricItems.rubricId,
  code: rubricItems.code,
  name: rubricItems.name,
  nameEn: rubricItems.nameEn,
  kind: rubricItems.kind,
  unit: rubricItems.unit,
  pointsPerUnit: rubricItems.pointsPerUnit,
  maxPerClaim: rubricItems.maxPerClaim,
  capPerYear: rubricItems.capPerYear,
}

function toItem(r: RubricItem & { rubricId: string }): RubricItem {
  return {
    code: r.code,
    name: r.name,
    nameEn: r.nameEn,
    kind: r.kind,
    unit: r.unit,
    pointsPerUnit: centsFromDb(r.pointsPerUnit),
    maxPerClaim: centsFromDb(r.maxPerClaim),
    capPerYear: centsFromDb(r.capPerYear),
  }
}

export async function itemsOf(db: Db, rubricIds: string[]): Promise<Map<string, RubricItem[]>> {
  const out = new Map<string, RubricItem[]>(rubricIds.map((id) => [id, []]))
  if (rubricIds.length === 0) return out
  const found = await db
    .select(ITEM_COLUMNS)
    .from(rubricItems)
    .where(inArray(rubricItems.rubricId, rubricIds))
    .orderBy(asc(rubricItems.rubricId), asc(rubricItems.position))
  for (const r of found) out.get(r.rubricId)?.push(toItem(r))
  return out
}

export async function findItem(db: Db, rubricId: string, code: string): Promise<RubricItem | undefined> {
  const [r] = await db
    .select(ITEM_COLUMNS)
    .from(rubricItems)
    .where(and(eq(rubricItems.rubricId, rubricId), eq(rubricItems.code, code)))
  return r && toItem(r)
}

export async function insertRubric(
  db: Db,
  r: { orgUnitId: string; year: number; name: string; copiedFromRubricId: string | null; createdBy: string },
): Promise<string> {
  const [row] = await db.insert(rubrics).values(r).returning({ id: rubrics.id })
  return row!.id
}

export async function replaceItems(db: Db, rubricId: string, items: RubricItem[]): Promise<void> {
  await db.delete(rubricItems).where(eq(rubricItems.rubricId, rubricId))
  if (items.length > 0) {
    await db.insert(rubricItems).values(items.map((it, i) => ({ ...it, rubricId, position: i + 1 })))
  }
  await db.update(rubrics).set({ updatedAt: sql`now()` }).where(eq(rubrics.id, rubricId))
}

/** Draft -> active; the partial unique index refuses a second active rubric for the unit and year. */
export async function markActive(db: Db, rubricId: string): Promise<boolean> {
  const activated = await db
    .update(rubrics)
    .set({ status: 'active', activatedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(rubrics.id, rubricId), eq(rubrics.status, 'draft')))
    .returning({ id: rubrics.id })
  return activated.length > 0
}

export async function activeRubricId(db: Db, orgUnitId: string, year: number): Promise<string | undefined> {
  const [row] = await db
    .select({ id: rubrics.id })
    .from(rubrics)
    .where(and(eq(rubrics.orgUnitId, orgUnitId), eq(rubrics.year, year), eq(rubrics.status, 'active')))
  return row?.id
}

/**
 * The active rubric that applies to a unit in a year: the unit's own, else the nearest ancestor's
 * (a community may keep one rubric for all its branches).
 */
export async function applicableRubricId(
  db: Db,
  unitPath: string,
  year: number,
): Promise<string | undefined> {
  // Raw SQL: a reversed prefix test (this path LIKE each ancestor's path || '%'), nearest first.
  const row = await one<{ id: string }>(
    db,
    sql`select r.id from rubrics r join org_units u on u.id = r.org_unit_id
        where r.status = 'active' and r.year = ${year} and ${unitPath} like u.path || '%'
        order by u.depth desc limit 1`,
  )
  return row?.id
}
