import type { Db } from '../../db/client'
import { pgConstraint, transaction } from '../../db/client'
import { idempotent } from '../../plugins/idempotency'
import { type Caller, coversPath, hasRole, requireRole } from '../../shared/authz'
import { centsFromDb, formatCents, parseCents } from '../../shared/decimal'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { recordAudit } from '../audit'
import * as correctionsRepo from './corrections-repo'
import type { CorrectServiceHoursBody, HoursCorrections, ServiceHoursCorrected } from './corrections-schemas'
import { STAFF } from './domain'
import type { EvidenceHooks } from './hooks'
import * as repo from './repo'

/**
 * 更正 (issue 18, after 志愿服务记录与证明出具办法: the recording unit corrects a wrong record). Verified hours are
 * never edited: a correction is appended (activity_hours_corrections, append-only in the database) with its
 * reason and author, and the newest one is the figure everything counts from then on (the view
 * activity_participant_hours: totals, reports and their rollups, certificates issued afterwards), while the
 * figure as verified and every correction stay readable (getActivity, listHoursCorrections).
 */

const SECRETARY = ['secretary'] as const

type Answer = { status: number; body: ServiceHoursCorrected; replayed: boolean }

/**
 * Corrects one member's verified hours at a verified activity: a secretary (or admin) over the activity's unit
 * who did not take part in it (a participant corrects neither their own record nor a colleague's: 403 recused).
 * hours 0.00 .. the activity's length; 0.00 strikes a wrong record (it stays a record, with no hours). The same
 * figure as now is 409 invalid_state (nothing to correct), as is an activity not yet verified (its hours are
 * still changed with recordParticipation). Idempotent under the key; the claim the participation backs follows
 * while unscored (scoring's hoursCorrected), and the answer says which claim and what became of it.
 */
export async function correctServiceHours(
  db: Db,
  caller: Caller,
  key: string,
  activityId: string,
  memberId: string,
  body: CorrectServiceHoursBody,
  hooks: EvidenceHooks,
): Promise<Answer> {
  requireRole(caller, SECRETARY) // grid workers record and verify hours; correcting verified ones is the secretary's
  const hoursCents = parseCents(body.hours, 'hours')
  if (hoursCents < 0) throw validation('hours', 'must not be negative (0.00 strikes the record)')
  const reason = body.reason.trim()
  if (!reason) throw validation('reason', 'is required')
  const request = {
    activityId: activityId.toLowerCase(),
    memberId: memberId.toLowerCase(),
    hoursCents,
    reason,
  }
  try {
    return await idempotent(db, caller, key, 'correctServiceHours', request, async (tx) => {
      const activity = await repo.findActivity(tx, request.activityId)
      if (!activity || !coversPath(caller, activity.path, SECRETARY)) throw notFound('activity')
      if (await repo.isParticipant(tx, activity.id, caller.memberId)) {
        throw new DomainError(
          'recused',
          'you took part in this activity, so a secretary who did not must correct its hours (yours or a colleague’s)',
        )
      }
      if (activity.status !== 'verified') {
        throw invalidState(
          'the activity is not verified yet: change its hours with recordParticipation (PUT .../participants/{memberId})',
        )
      }
      const now = await correctionsRepo.participationHours(tx, activity.id, request.memberId, true)
      if (!now) throw notFound('participant')
      const max = centsFromDb(activity.lengthCents)
      if (hoursCents > max) {
        throw new DomainError('out_of_range', "hours must not exceed the activity's length", {
          maxHours: formatCents(max),
        })
      }
      if (hoursCents === now.currentCents) {
        throw invalidState(
          `the member's hours here are already ${formatCents(hoursCents)}: nothing to correct`,
        )
      }
      const correction = await correctionsRepo.insertCorrection(tx, {
        activityId: activity.id,
        memberId: request.memberId,
        previousHoursCents: now.currentCents,
        hoursCents,
        reason,
        correctedBy: caller.userId,
      })
      await recordAudit(tx, caller, {
        action: 'activity.hours.correct',
        targetType: 'activity',
        targetId: activity.id,
        orgUnitId: activity.orgUnitId,
        before: { memberId: request.memberId, hoursCents: now.currentCents },
        after: { memberId: request.memberId, hoursCents, reason, correctionId: correction.id },
      })
      const claim = await hooks.hoursCorrected(tx, caller, {
        activityId: activity.id,
        memberId: request.memberId,
        previousHoursCents: now.currentCents,
        hoursCents,
      })
      return {
        status: 201,
        body: {
          ...correction,
          verifiedHours: formatCents(now.recordedCents),
          claimId: claim?.claimId ?? null,
          claimStatus: claim?.claimStatus ?? null,
          claimFollowed: claim?.followed ?? false,
        },
      }
    })
  } catch (err) {
    // The database's guard (activities_corrections.sql), should the checks above ever miss: the same answers.
    const constraint = pgConstraint(err)
    if (constraint === 'activity_hours_corrections_verified_chk') {
      throw invalidState('the activity is not verified yet: change its hours with recordParticipation')
    }
    if (constraint === 'activity_hours_corrections_length_chk') {
      throw new DomainError('out_of_range', "hours must not exceed the activity's length")
    }
    throw err
  }
}

/**
 * The corrections of one participation, oldest first, with the figure as verified and the current one: staff
 * (secretary, grid worker) over the activity's unit, or the member themself. A member asking about someone else
 * is told nothing (404, as about a participation that does not exist).
 */
export async function listHoursCorrections(
  db: Db,
  caller: Caller,
  activityId: string,
  memberId: string,
): Promise<HoursCorrections> {
  const self = caller.memberId !== null && caller.memberId === memberId.toLowerCase()
  return transaction(db, async (tx) => {
    if (!self) {
      if (!hasRole(caller, STAFF)) {
        if (caller.memberId) throw notFound('participant')
        throw forbidden()
      }
      const activity = await repo.findActivity(tx, activityId)
      if (!activity || !coversPath(caller, activity.path, STAFF)) throw notFound('activity')
    }
    const hours = await correctionsRepo.participationHours(tx, activityId, memberId)
    if (!hours) throw notFound('participant')
    return {
      activityId: activityId.toLowerCase(),
      memberId: memberId.toLowerCase(),
      verifiedHours: hours.verified ? formatCents(hours.recordedCents) : null,
      hours: formatCents(hours.currentCents),
      items: await correctionsRepo.corrections(tx, activityId, memberId),
    }
  })
}
