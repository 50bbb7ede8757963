import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { AppraisalOutcome } from '../../db/schema/appraisals'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { formatInstant } from '../../shared/time'

export interface AppraisalRow {
  id: string
  memberId: string
  memberName: string
  orgUnitId: string
  year: number
  outcome: AppraisalOutcome
  note: string | null
  reason: string | null
  pointsCents: string
  grade: string | null
  supersedesId: string | null
  recordedBy: string
  recordedAt: string
}

const COLUMNS = sql`a.id, a.member_id as "memberId", m.name as "memberName", a.org_unit_id as "orgUnitId", a.year,
  a.outcome, a.note, a.reason, a.points_cents as "pointsCents", a.grade, a.supersedes_id as "supersedesId",
  a.recorded_by as "recordedBy", to_json(a.created_at)#>>'{}' as "recordedAt"`

/** Whether the year's list is published for a unit at or above `unitId` (the trigger reads the same). */
function publishedFor(unitId: SQL, year: SQL): SQL {
  return sql`exists (select 1 from appraisal_publications p join org_units pu on pu.id = p.org_unit_id
                     join org_units hu on hu.id = ${unitId}
                     where p.year = ${year} and hu.path like pu.path || '%')`
}

/** The member's appraisals of the year, newest first (the first is the current one). */
export async function chainOf(db: Db, memberId: string, year: number): Promise<AppraisalRow[]> {
  return rows<AppraisalRow>(
    db,
    sql`select ${COLUMNS} from appraisals a join members m on m.id = a.member_id
        where a.member_id = ${memberId} and a.year = ${year} order by a.created_at desc, a.id desc`,
  )
}

export async function isPublished(db: Db, unitId: string, year: number): Promise<boolean> {
  const row = await one<{ published: boolean }>(
    db,
    sql`select ${publishedFor(sql`${unitId}::uuid`, sql`${year}::int`)} as published`,
  )
  return row!.published
}

export async function insertAppraisal(
  db: Db,
  a: {
    memberId: string
    orgUnitId: string
    year: number
    outcome: AppraisalOutcome
    note: string | null
    reason: string | null
    pointsCents: number
    grade: string | null
    supersedesId: string | null
    recordedBy: string
  },
): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    sql`insert into appraisals (member_id, org_unit_id, year, outcome, note, reason, points_cents, grade,
                                supersedes_id, recorded_by)
        values (${a.memberId}, ${a.orgUnitId}, ${a.year}, ${a.outcome}, ${a.note}, ${a.reason}, ${a.pointsCents},
                ${a.grade}, ${a.supersedesId}, ${a.recordedBy})
        returning id`,
  )
  return row!.id
}

export interface CurrentRow extends AppraisalRow {
  published: boolean
}

/**
 * The current appraisal (not superseded) of each member whose appraisal was recorded in the subtree, for a year,
 * by member name then id, keyset after (name, memberId).
 */
export async function listCurrent(
  db: Db,
  unitPath: string,
  year: number,
  after: [string, string] | undefined,
  limit: number | null,
): Promise<CurrentRow[]> {
  return rows<CurrentRow>(
    db,
    sql`select ${COLUMNS}, ${publishedFor(sql`a.org_unit_id`, sql`a.year`)} as published
        from appraisals a join members m on m.id = a.member_id join org_units u on u.id = a.org_unit_id
        where a.year = ${year} and u.path like ${`${unitPath}%`}
          and not exists (select 1 from appraisals b where b.supersedes_id = a.id)
          ${after ? sql`and (m.name, m.id) > (${after[0]}::text, ${after[1]}::uuid)` : sql``}
        order by m.name, m.id
        ${limit === null ? sql`` : sql`limit ${limit}`}`,
  )
}

/**
 * The member's current appraisal of each year whose list is published for their unit of that year (公示: what the
 * member may read), newest year first, keyset after `afterYear`.
 */
export async function listPublishedOf(
  db: Db,
  memberId: string,
  afterYear: number | undefined,
  limit: number,
): Promise<CurrentRow[]> {
  return rows<CurrentRow>(
    db,
    sql`select ${COLUMNS}, true as published
        from appraisals a join members m on m.id = a.member_id
        where a.member_id = ${memberId}
          and not exists (select 1 from appraisals b where b.supersedes_id = a.id)
          and ${publishedFor(sql`a.org_unit_id`, sql`a.year`)}
          ${afterYear === undefined ? sql`` : sql`and a.year < ${afterYear}`}
        order by a.year desc
        limit ${limit}`,
  )
}

/** Every appraisal of these members for the year, newest first per member (for the history of a page). */
export async function historiesOf(
  db: Db,
  memberIds: string[],
  year: number,
): Promise<Map<string, AppraisalRow[]>> {
  const out = new Map<string, AppraisalRow[]>()
  if (memberIds.length === 0) return out
  const found = await rows<AppraisalRow>(
    db,
    sql`select ${COLUMNS} from appraisals a join members m on m.id = a.member_id
        where a.member_id = any(${`{${memberIds.join(',')}}`}::uuid[]) and a.year = ${year}
        order by a.member_id, a.created_at desc, a.id desc`,
  )
  for (const r of found) out.set(r.memberId, [...(out.get(r.memberId) ?? []), r])
  return out
}

export async function insertPublication(
  db: Db,
  p: { orgUnitId: string; year: number; publishedBy: string },
): Promise<{ publishedAt: string } | undefined> {
  return one<{ publishedAt: string }>(
    db,
    sql`insert into appraisal_publications (org_unit_id, year, published_by)
        values (${p.orgUnitId}, ${p.year}, ${p.publishedBy})
        on conflict (org_unit_id, year) do nothing
        returning to_json(created_at)#>>'{}' as "publishedAt"`,
  )
}

export async function countCurrent(db: Db, unitPath: string, year: number): Promise<number> {
  const row = await one<{ n: string }>(
    db,
    sql`select count(*) as n from appraisals a join org_units u on u.id = a.org_unit_id
        where a.year = ${year} and u.path like ${`${unitPath}%`} and a.supersedes_id is null`,
  )
  return Number(row!.n)
}

export function toRecord(r: AppraisalRow) {
  return {
    id: r.id,
    outcome: r.outcome,
    note: r.note,
    reason: r.reason,
    points: formatCents(centsFromDb(r.pointsCents)),
    grade: r.grade,
    recordedBy: r.recordedBy,
    recordedAt: formatInstant(r.recordedAt),
  }
}
