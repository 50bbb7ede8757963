import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { RubricStatus } from '../../db/schema/rubrics'
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

interface ItemRow {
  rubricId: string
  code: string
  name: string
  nameEn: string | null
  kind: RubricItem['kind']
  unit: RubricItem['unit']
  pointsPerUnit: string
  maxPerClaim: string
  capPerYear: string
}

function toItem(r: ItemRow): RubricItem {
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

const ITEM_COLUMNS = sql`rubric_id as "rubricId", code, name, name_en as "nameEn", kind, unit,
  points_per_unit as "pointsPerUnit", max_per_claim as "maxPerClaim", cap_per_year as "capPerYear"`

export async function itemsOf(db: Db, rubricIds: string[]): Promise<Map<string, RubricItem[]>> {
  const out = new Map<string, RubricItem[]>(rubricIds.map((id) => [id, []]))
  if (rubricIds.length === 0) return out
  const found = await rows<ItemRow>(
    db,
    sql`select ${ITEM_COLUMNS} from rubric_items
        where rubric_id in (${sql.join(
          rubricIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})
        order by rubric_id, position`,
  )
  for (const r of found) out.get(r.rubricId)?.push(toItem(r))
  return out
}

export async function findItem(db: Db, rubricId: string, code: string): Promise<RubricItem | undefined> {
  const r = await one<ItemRow>(
    db,
    sql`select ${ITEM_COLUMNS} from rubric_items where rubric_id = ${rubricId} and code = ${code}`,
  )
  return r && toItem(r)
}

export async function insertRubric(
  db: Db,
  r: { orgUnitId: string; year: number; name: string; copiedFromRubricId: string | null; createdBy: string },
): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into rubrics (org_unit_id, year, name, copied_from_rubric_id, created_by)
        values (${r.orgUnitId}, ${r.year}, ${r.name}, ${r.copiedFromRubricId}, ${r.createdBy}) returning id`,
  )
  return row!.id
}

export async function replaceItems(db: Db, rubricId: string, items: RubricItem[]): Promise<void> {
  await db.execute(sql`delete from rubric_items where rubric_id = ${rubricId}`)
  if (items.length === 0) return
  const values = items.map(
    (it, i) =>
      sql`(${rubricId}, ${it.code}, ${i + 1}, ${it.name}, ${it.nameEn}, ${it.kind}, ${it.unit},
           ${it.pointsPerUnit}, ${it.maxPerClaim}, ${it.capPerYear})`,
  )
  await db.execute(
    sql`insert into rubric_items (rubric_id, code, position, name, name_en, kind, unit, points_per_unit,
          max_per_claim, cap_per_year) values ${sql.join(values, sql`, `)}`,
  )
  await db.execute(sql`update rubrics set updated_at = now() where id = ${rubricId}`)
}

/** Draft -> active; the partial unique index refuses a second active rubric for the unit and year. */
export async function markActive(db: Db, rubricId: string): Promise<boolean> {
  const row = await one(
    db,
    sql`update rubrics set status = 'active', activated_at = now(), updated_at = now()
        where id = ${rubricId} and status = 'draft' returning id`,
  )
  return Boolean(row)
}

export async function activeRubricId(db: Db, orgUnitId: string, year: number): Promise<string | undefined> {
  const row = await one<{ id: string }>(
    db,
    sql`select id from rubrics where org_unit_id = ${orgUnitId} and year = ${year} and status = 'active'`,
  )
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
  const row = await one<{ id: string }>(
    db,
    sql`select r.id from rubrics r join org_units u on u.id = r.org_unit_id
        where r.status = 'active' and r.year = ${year} and ${unitPath} like u.path || '%'
        order by u.depth desc limit 1`,
  )
  return row?.id
}
