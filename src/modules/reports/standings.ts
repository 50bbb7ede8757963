import { sql } from 'drizzle-orm'
import { type Db, one } from '../../db/client'
import { type Caller, requireUnitForStaffOrMember } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { forbidden } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { volunteerStandingOf } from '../activities'
import { effectiveSettings, effectiveSettingsOf, type GradeStanding, gradeFor } from '../org'
import { type PageOpts, planPeriod, REPORT_ROLES, type ReportPage } from './domain'
import { earnedOf, type RankedRow, rankMembers } from './repo'
import type { RankingItem, RankingQuery } from './schemas'
import type { MyStanding, MyStandingQuery } from './standings-schemas'

export type GradedRow = RankedRow & GradeStanding

/**
 * The year's ranking of the members whose home unit lies under `unitPath` (rankMembers, the one owner of the
 * order: points desc, then hours, name, id), each with the grade their year's points reach under the grades
 * their own home unit inherits. Keyset-paged like the ranking (`cursor`), or every row (`all`).
 */
export async function rankYearWithGrades(
  db: Db,
  unitPath: string,
  q: { year: number; limit?: number; cursor?: string },
  opts: PageOpts,
): Promise<{ rows: GradedRow[]; limit: number }> {
  const limit = opts.all ? null : pageLimit(q.limit)
  const key = opts.all ? undefined : decodeCursor(q.cursor, ['int', 'int', 'text', 'uuid'])
  const after = key ? { rank: key[0], hoursCents: key[1], name: key[2], memberId: key[3] } : undefined
  const fetched = await rankMembers(db, unitPath, q.year, after, limit === null ? null : limit + 1)
  const settings = await effectiveSettingsOf(
    db,
    fetched.map((r) => r.orgUnitId),
  )
  const rows = fetched.map((r) => ({
    ...r,
    ...gradeFor(r.pointsCents, settings.get(r.orgUnitId)?.grades ?? []),
  }))
  return { rows, limit: limit ?? rows.length }
}

/** A ranking page with grades, as getRanking and getStandings answer it. */
export async function gradedRankingPage(
  db: Db,
  unitPath: string,
  q: RankingQuery,
  opts: PageOpts,
): Promise<ReportPage<RankingItem>> {
  const { rows, limit } = await rankYearWithGrades(db, unitPath, q, opts)
  return toPage(
    rows,
    limit,
    (r) => [r.rank, r.hoursCents, r.name, r.memberId],
    (r) => ({
      rank: r.rank,
      memberId: r.memberId,
      name: r.name,
      points: formatCents(r.pointsCents),
      hours: formatCents(r.hoursCents),
      grade: r.grade,
    }),
  )
}

/**
 * 亮积分: a branch's standings for a year, read by staff over the unit (as the ranking) and by the branch's own
 * members (home unit in it; another branch's member: 404). A unit whose standingsVisibleToMembers is false
 * answers its members 403: they know their branch, only the board is off.
 */
export async function getStandings(
  db: Db,
  caller: Caller,
  q: RankingQuery,
  opts: PageOpts = {},
): Promise<ReportPage<RankingItem>> {
  const { unit, as } = await requireUnitForStaffOrMember(db, caller, q.orgUnitId, REPORT_ROLES)
  if (as === 'member' && !(await effectiveSettings(db, unit.id)).standingsVisibleToMembers)
    throw forbidden("this unit's standings are not shown to members (standingsVisibleToMembers)")
  return gradedRankingPage(db, unit.path, q, opts)
}

/** The branch a member belongs to: the nearest branch at or above their home unit, else the home unit itself. */
async function branchOf(db: Db, memberId: string) {
  return one<{ id: string; name: string; path: string }>(
    db,
    sql`select b.id, b.name, b.path from members m join org_units u on u.id = m.org_unit_id
        join org_units b on b.id = any(string_to_array(trim(both '/' from u.path), '/')::uuid[])
        where m.id = ${memberId} and (b.kind = 'branch' or b.id = u.id)
        order by (b.kind = 'branch') desc, b.depth desc limit 1`,
  )
}

/**
 * The caller's own standing for a year: their rank among their branch (rankMembers over the branch, the same
 * order as the standings), the year's points and hours, the grade and the points to the next one, and their
 * volunteer star. With standingsVisibleToMembers off, the rank is not given (null); the rest is the member's own.
 */
export async function getMyStanding(db: Db, caller: Caller, q: MyStandingQuery): Promise<MyStanding> {
  if (!caller.memberId) throw forbidden('only a member has a standing')
  const memberId = caller.memberId
  const branch = (await branchOf(db, memberId))!
  const { rows } = await rankYearWithGrades(db, branch.path, { year: q.year }, { all: true })
  const mine = rows.find((r) => r.memberId === memberId)!
  const visible = (await effectiveSettings(db, branch.id)).standingsVisibleToMembers
  const star = await volunteerStandingOf(db, memberId)
  return {
    year: q.year,
    memberId,
    orgUnitId: branch.id,
    orgUnitName: branch.name,
    rank: visible ? mine.rank : null,
    members: rows.length,
    points: formatCents(mine.pointsCents),
    hours: formatCents(mine.hoursCents),
    grade: mine.grade,
    nextGrade: mine.nextGrade,
    pointsToNextGrade: mine.pointsToNextGradeCents === null ? null : formatCents(mine.pointsToNextGradeCents),
    volunteerStar: star.volunteerStar,
    volunteerHours: formatCents(star.hoursCents),
  }
}

/**
 * A member's net points of a service-zone year and the grade they reach under the grades their home unit
 * inherits (for appraisals, which keep them beside the outcome): the same figures as the standings.
 */
export async function memberYearGrade(
  db: Db,
  member: { id: string; orgUnitId: string },
  year: number,
  timeZone: string,
): Promise<{ pointsCents: number; grade: string | null }> {
  const earned = await earnedOf(
    db,
    sql`select ${member.id}::uuid`,
    planPeriod(`${year}-01-01`, `${year}-12-31`),
    timeZone,
  )
  const pointsCents = earned.get(member.id) ?? 0
  const { grades } = await effectiveSettings(db, member.orgUnitId)
  return { pointsCents, grade: gradeFor(pointsCents, grades).grade }
}
