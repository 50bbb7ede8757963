import type { Db } from '../../db/client'
import { formatCents } from '../../shared/decimal'
import { validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { addDays, startOfLocalDate, yearRange } from '../../shared/time'
import { hoursByMember, hoursSummary } from '../activities/reporting'
import { type Caller, requireUnitInScope } from '../identity/scope'
import { pointsFigures, rankMembers } from './repo'
import type { RankingItem, RankingQuery, Summary, SummaryQuery } from './schemas'

const ROLES = ['secretary'] as const

/**
 * Year-end ranking (评优 reference): every member whose home unit is in the subtree, zero included.
 * Points are net earnings posted in the service-zone year; hours are verified hours of that year.
 * `limit: null` returns every row (CSV export).
 */
export async function getRanking(
  db: Db,
  caller: Caller,
  q: RankingQuery,
  timeZone: string,
  opts: { all?: boolean } = {},
): Promise<{ items: RankingItem[]; nextCursor: string | null }> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, ROLES)
  const { start, end } = yearRange(q.year, timeZone)
  const limit = opts.all ? null : pageLimit(q.limit)
  const key = opts.all ? undefined : decodeCursor(q.cursor, 2)
  let after: { rank: number; memberId: string } | undefined
  if (key) {
    const [rank, memberId] = key
    if (typeof rank !== 'number' || typeof memberId !== 'string') {
      throw validation('cursor', 'is not a cursor this list gave out')
    }
    after = { rank, memberId }
  }
  const fetched = await rankMembers(db, unit.path, start, end, after, limit === null ? null : limit + 1)
  const hours = await hoursByMember(
    db,
    fetched.map((r) => r.memberId),
    `${q.year}-01-01`,
    `${q.year}-12-31`,
  )
  const page = toPage(
    fetched,
    limit ?? fetched.length,
    (r) => [r.rank, r.memberId],
    (r) => ({
      rank: r.rank,
      memberId: r.memberId,
      name: r.name,
      points: formatCents(r.pointsCents),
      hours: formatCents(hours.get(r.memberId) ?? 0),
    }),
  )
  return page
}

/** Figures for a unit's subtree over service-zone dates `from`..`to`, both included, either end open. */
export async function getSummary(
  db: Db,
  caller: Caller,
  q: SummaryQuery,
  timeZone: string,
): Promise<Summary> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, ROLES)
  const from = q.from ?? null
  const to = q.to ?? null
  if (from && to && from > to) throw validation('to', 'must not be before from')
  const hours = await hoursSummary(db, unit.path, from, to)
  const points = await pointsFigures(
    db,
    unit.path,
    from ? startOfLocalDate(from, timeZone) : null,
    to ? startOfLocalDate(addDays(to, 1), timeZone) : null,
  )
  return {
    activities: hours.activities,
    volunteers: hours.volunteers,
    serviceHours: formatCents(hours.serviceHoursCents),
    serviceRequestsCompleted: hours.serviceRequestsConfirmed,
    pointsIssued: formatCents(points.issuedCents),
    pointsDeducted: formatCents(points.deductedCents),
    pointsRedeemed: formatCents(points.redeemedCents),
    redemptions: points.redemptions,
  }
}
