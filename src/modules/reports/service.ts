import type { Db } from '../../db/client'
import { type Caller, requireUnitInScope } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { hoursSummary } from '../activities'
import { hoursByMonth } from './breakdowns-repo'
import { monthsOfYear, type PageOpts, planPeriod, REPORT_ROLES, type ReportPage } from './domain'
import { pointsByMonth, pointsFigures } from './repo'
import type { MonthTotals, RankingItem, RankingQuery, Summary, SummaryQuery, YearPageQuery } from './schemas'
import { gradedRankingPage } from './standings'

export { type PageOpts, REPORT_ROLES, type ReportPage } from './domain'

// Reports read one path, the rollups: they are always cut in the service's zone, since the service rebuilds
// them at start when TIMEZONE changed (alignRollupZone in ./repo.ts, called by src/server.ts).

export function checkPeriod(from: string | null, to: string | null): void {
  if (from && to && from > to) throw validation('to', 'must not be before from')
}

/**
 * Year-end ranking (评优 reference): every member whose home unit is in the subtree, zero included, each with
 * the grade of the year (standings.ts, shared with getStandings). Points are net earnings posted in the
 * service-zone year; hours are verified hours of that year.
 */
export async function getRanking(
  db: Db,
  caller: Caller,
  q: RankingQuery,
  opts: PageOpts = {},
): Promise<ReportPage<RankingItem>> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  return gradedRankingPage(db, unit.path, q, opts)
}

/** Figures for a unit's subtree over service-zone dates `from`..`to`, both included, either end open. */
export async function getSummary(db: Db, caller: Caller, q: SummaryQuery): Promise<Summary> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  const from = q.from ?? null
  const to = q.to ?? null
  checkPeriod(from, to)
  const hours = await hoursSummary(db, unit.path, from, to, true)
  const points = await pointsFigures(db, unit, planPeriod(from, to))
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

/**
 * The summary's figures month by month for a service-zone year: twelve rows, months with nothing as zeros.
 * Volunteers are distinct within each month (a member active in two months counts in both).
 */
export async function getMonthlyTotals(
  db: Db,
  caller: Caller,
  q: YearPageQuery,
  opts: PageOpts = {},
): Promise<ReportPage<MonthTotals>> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  const from = `${q.year}-01-01`
  const to = `${q.year}-12-31`
  const limit = opts.all ? null : pageLimit(q.limit)
  const key = opts.all ? undefined : decodeCursor(q.cursor, ['month'])
  const months = monthsOfYear(q.year).filter((m) => !key || m > key[0])
  const page = limit === null ? months : months.slice(0, limit + 1)
  // The whole year in two grouped queries (twelve rows at most), whatever the page.
  const hours = await hoursByMonth(db, unit.path, { from, to }, true)
  const points = await pointsByMonth(db, unit, planPeriod(from, to))
  return toPage(
    page,
    limit ?? page.length,
    (m) => [m],
    (month) => {
      const h = hours.get(month)
      const p = points.get(month)
      return {
        month,
        activities: h?.activities ?? 0,
        volunteers: h?.volunteers ?? 0,
        serviceHours: formatCents(h?.serviceHoursCents ?? 0),
        serviceRequestsCompleted: h?.serviceRequestsConfirmed ?? 0,
        pointsIssued: formatCents(p?.issuedCents ?? 0),
        pointsDeducted: formatCents(p?.deductedCents ?? 0),
        pointsRedeemed: formatCents(p?.redeemedCents ?? 0),
        redemptions: p?.redemptions ?? 0,
      }
    },
  )
}
