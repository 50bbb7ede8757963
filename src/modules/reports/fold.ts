import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { type Db, one } from '../../db/client'
import { startPeriodic } from '../../shared/periodic'

/**
 * Folds the months that are over into the per-subtree rows the summary reads, and the late changes appended since
 * (report_points_fold_begin and report_points_fold_finish in src/db/sql/reports.sql). Two transactions, so that no
 * posting waits for the fold: the first moves the postings' cutoff, waiting only for the postings in flight; the
 * second folds up to it. Returns the rows written: 0 when there was nothing to do, which is the usual case (a read
 * of report_settings and of an empty delta table), or when another process was folding.
 */
export async function foldPoints(db: Db, before?: string): Promise<number> {
  const begun = await one<{ ok: boolean }>(
    db,
    sql`select report_points_fold_begin(${before ?? null}::date) as ok`,
  )
  if (!begun?.ok) return 0
  const row = await one<{ n: string }>(db, sql`select report_points_fold_finish() as n`)
  return Number(row?.n ?? 0)
}

/**
 * Runs the fold at start and then every `intervalMs` (an hour by default): a month is folded within the hour after
 * it ends. Any number of processes may run it (the SQL lets one fold at a time; another finds it taken, or done); a
 * failure is logged and retried at the next interval, and reports stay exact meanwhile (they sum the unit rows of
 * any month not folded yet).
 */
export function startPointsFold(app: FastifyInstance, opts: { intervalMs?: number } = {}) {
  return startPeriodic(
    app,
    'folding report months',
    async () => {
      const n = await foldPoints(app.db)
      if (n) app.log.info({ rows: n }, 'report months folded per subtree')
    },
    { intervalMs: opts.intervalMs ?? 3_600_000, atStart: true },
  )
}
