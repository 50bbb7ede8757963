import type { FastifyInstance } from 'fastify'
import { type Db, transaction } from '../../db/client'
import { startPeriodic } from '../../shared/periodic'
import { recordEvents } from '../events'
import { redemptionDto } from './dto'
import { dueForExpiringNotice, findRedemptionToEnd, lockExpired } from './redemption-repo'
import { endReserved } from './redemptions'

export interface SweepOptions {
  /** Reserved redemptions older than this many days are released. */
  holdDays: number
  timezone: string
  /** The sweep's idea of now (tests move it forward instead of waiting a week). */
  now?: Date
  /** Upper bound on releases per call, so one call never runs for long. */
  max?: number
}

/**
 * Releases reserved redemptions whose hold period is over: status expired, stock released, points hold
 * voided, one audit event each (actor: the system). Each redemption is released in its own short
 * transaction, taken with FOR UPDATE SKIP LOCKED: any number of processes may sweep at once and each
 * redemption is released exactly once; one a clerk is fulfilling right now is skipped (and if the clerk
 * wins, the sweep's conditional update finds it no longer reserved).
 */
export async function sweepExpiredRedemptions(
  db: Db,
  opts: SweepOptions,
): Promise<{ released: string[]; failed: { id: string; error: unknown }[] }> {
  const now = opts.now ?? new Date()
  const cutoff = new Date(now.getTime() - opts.holdDays * 86_400_000)
  const max = opts.max ?? 500
  const released: string[] = []
  const failed: { id: string; error: unknown }[] = []
  const ctx = { timezone: opts.timezone, holdDays: opts.holdDays }
  while (released.length + failed.length < max) {
    let picked: string | undefined
    try {
      const id = await transaction(db, async (tx) => {
        // A redemption that failed in this run is skipped, so one bad row cannot stall all the others.
        const [due] = await lockExpired(
          tx,
          cutoff,
          1,
          failed.map((f) => f.id),
        )
        if (!due) return null
        picked = due.id
        const d = await findRedemptionToEnd(tx, due.id)
        if (!d) throw new Error(`redemption ${due.id} vanished while locked`)
        await endReserved(tx, null, d, 'expire', ctx)
        return due.id
      })
      if (!id) break
      released.push(id)
    } catch (error) {
      if (!picked) throw error
      failed.push({ id: picked, error })
    }
  }
  return { released, failed }
}

/**
 * redemption.expiring (issue 20): one event per reserved redemption whose hold lapses within a day, written once
 * (events_once_idx; a second sweep, in this process or another, skips it), in batches of `max`.
 */
export async function sweepExpiringRedemptions(db: Db, opts: SweepOptions): Promise<{ noticed: number }> {
  const now = opts.now ?? new Date()
  const expiryCutoff = new Date(now.getTime() - opts.holdDays * 86_400_000)
  const noticeCutoff = new Date(expiryCutoff.getTime() + 86_400_000)
  const ctx = { timezone: opts.timezone, holdDays: opts.holdDays }
  const due = await dueForExpiringNotice(db, noticeCutoff, expiryCutoff, opts.max ?? 500)
  if (due.length === 0) return { noticed: 0 }
  const written = await transaction(db, (tx) =>
    recordEvents(
      tx,
      due.map((d) => {
        const r = redemptionDto(d, ctx)
        return {
          type: 'redemption.expiring' as const,
          orgUnitId: d.orgUnitId,
          subject: { type: 'redemption', id: d.id },
          memberId: d.memberId,
          data: r,
        }
      }),
      { oncePerSubject: true },
    ),
  )
  return { noticed: written.length }
}

/**
 * Runs the sweep inside the server every `intervalMs` (default one minute), paced by startPeriodic (no overlap,
 * stops with the app). Call before the app is ready (it adds an onClose hook).
 */
export function startRedemptionSweep(app: FastifyInstance, opts: { intervalMs?: number } = {}) {
  return startPeriodic(
    app,
    'redemption sweep',
    async () => {
      const opts = { holdDays: app.settings.redemptionHoldDays, timezone: app.settings.timezone }
      const { released, failed } = await sweepExpiredRedemptions(app.db, opts)
      const { noticed } = await sweepExpiringRedemptions(app.db, opts)
      if (noticed) app.log.info({ noticed }, 'redemption.expiring events written')
      if (released.length) app.log.info({ released: released.length }, 'expired redemptions released')
      for (const f of failed) {
        app.log.error({ err: f.error, redemptionId: f.id }, 'could not release an expired redemption')
      }
    },
    { intervalMs: opts.intervalMs ?? 60_000 },
  )
}
