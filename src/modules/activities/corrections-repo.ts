import { sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { formatInstant } from '../../shared/time'
import type { HoursCorrection } from './corrections-schemas'

/** A participation's figures: as verified (recorded) and current (the newest correction, else the same). */
export interface ParticipationHours {
  recordedCents: number
  currentCents: number
  verified: boolean
}

/**
 * The participation's figures, its row locked FOR UPDATE when asked (the correction guard locks it too: a
 * correction read here and written after cannot be overtaken by another). Undefined: no such participation.
 */
export async function participationHours(
  tx: Db,
  activityId: string,
  memberId: string,
  lock = false,
): Promise<ParticipationHours | undefined> {
  if (lock) {
    await tx.execute(
      sql`select 1 from activity_participants where activity_id = ${activityId} and member_id = ${memberId}
          for update`,
    )
  }
  const row = await one<{ recorded: string; current: string; status: string }>(
    tx,
    sql`select p.recorded_hours_cents as recorded, p.hours_cents as current, a.status
        from activity_participant_hours p join activities a on a.id = p.activity_id
        where p.activity_id = ${activityId} and p.member_id = ${memberId}`,
  )
  return (
    row && {
      recordedCents: centsFromDb(row.recorded),
      currentCents: centsFromDb(row.current),
      verified: row.status === 'verified',
    }
  )
}

interface CorrectionRow {
  id: string
  activityId: string
  memberId: string
  previousHoursCents: string
  hoursCents: string
  reason: string
  correctedBy: string
  correctedByName: string
  createdAt: Date
}

const CORRECTION_SELECT = sql`
  select c.id, c.activity_id as "activityId", c.member_id as "memberId",
         c.previous_hours_cents as "previousHoursCents", c.hours_cents as "hoursCents", c.reason,
         c.corrected_by as "correctedBy", coalesce(m.name, u.username) as "correctedByName", c.created_at as "createdAt"
  from activity_hours_corrections c
  join users u on u.id = c.corrected_by
  left join members m on m.id = u.member_id`

function toCorrection(r: CorrectionRow): HoursCorrection {
  return {
    id: r.id,
    activityId: r.activityId,
    memberId: r.memberId,
    previousHours: formatCents(r.previousHoursCents),
    hours: formatCents(r.hoursCents),
    reason: r.reason,
    correctedByUserId: r.correctedBy,
    correctedByName: r.correctedByName,
    createdAt: formatInstant(r.createdAt),
  }
}

/** Appends a correction (the guard trigger checks the chain, the length and the activity's state). */
export async function insertCorrection(
  tx: Db,
  c: {
    activityId: string
    memberId: string
    previousHoursCents: number
    hoursCents: number
    reason: string
    correctedBy: string
  },
): Promise<HoursCorrection> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into activity_hours_corrections
          (activity_id, member_id, previous_hours_cents, hours_cents, reason, corrected_by)
        values (${c.activityId}, ${c.memberId}, ${c.previousHoursCents}, ${c.hoursCents}, ${c.reason},
                ${c.correctedBy})
        returning id`,
  )
  return toCorrection((await one<CorrectionRow>(tx, sql`${CORRECTION_SELECT} where c.id = ${row!.id}`))!)
}

/** The participation's corrections, oldest first. */
export async function corrections(tx: Db, activityId: string, memberId: string): Promise<HoursCorrection[]> {
  const found = await rows<CorrectionRow>(
    tx,
    sql`${CORRECTION_SELECT} where c.activity_id = ${activityId} and c.member_id = ${memberId}
        order by c.created_at, c.id`,
  )
  return found.map(toCorrection)
}
