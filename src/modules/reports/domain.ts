import { addDays } from '../../shared/time'

/** Who reads a unit's reports: its secretaries (admin counts as every role). */
export const REPORT_ROLES = ['secretary'] as const

export interface PageOpts {
  /** Every row, no cursor (CSV export). */
  all?: boolean
}

export type ReportPage<T> = { items: T[]; nextCursor: string | null }

/**
 * How a period of service-zone dates is read: the whole months inside it from the monthly rollups, the
 * days at either edge that do not fill a month from the raw postings. A year, a quarter or a month is all
 * months and never touches the raw ledger; "12 March to 3 May" reads 12-31 March and 1-3 May raw.
 *
 * Dates are YYYY-MM-DD; `null` is an open end. Month bounds: `from` inclusive, `to` exclusive (first
 * days of months). Day ranges: `from` inclusive, `to` exclusive.
 */
export interface PeriodPlan {
  months: { from: string | null; to: string | null } | null
  days: { from: string | null; to: string | null }[]
}

const firstOfMonth = (date: string) => `${date.slice(0, 7)}-01`

function nextMonth(date: string): string {
  const y = Number(date.slice(0, 4))
  const m = Number(date.slice(5, 7))
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
}

/** `from`..`to` both included (either open). */
export function planPeriod(from: string | null, to: string | null): PeriodPlan {
  const end = to === null ? null : addDays(to, 1)
  const monthFrom = from === null ? null : firstOfMonth(from) === from ? from : nextMonth(from)
  const monthTo = end === null ? null : firstOfMonth(end)
  if (monthFrom !== null && monthTo !== null && monthFrom >= monthTo) {
    return { months: null, days: [{ from, to: end }] }
  }
  const days: PeriodPlan['days'] = []
  if (from !== monthFrom) days.push({ from, to: monthFrom })
  if (end !== monthTo) days.push({ from: monthTo, to: end })
  return { months: { from: monthFrom, to: monthTo }, days }
}

/** "2026-01" .. "2026-12" */
export function monthsOfYear(year: number): string[] {
  return Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, '0')}`)
}
