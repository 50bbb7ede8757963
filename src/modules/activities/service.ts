import { sql } from 'drizzle-orm'
import { type Db, pgConstraint, transaction } from '../../db/client'
import {
  type Caller,
  coversPath,
  pathInScope,
  requireMemberVisible,
  requireRole,
  requireUnitInScope,
} from '../../shared/authz'
import { centsFromDb, formatCents, parseCents, sum } from '../../shared/decimal'
import { DomainError, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { recordEvent } from '../events'
import { mayServeIn, STAFF } from './domain'
import type { EvidenceHooks } from './hooks'
import * as repo from './repo'
import type {
  ActivityDetail,
  CreateActivityBody,
  ListActivitiesQuery,
  Participant,
  PeriodQuery,
  RecordParticipationBody,
  ServiceHours,
} from './schemas'

export {
  type ActivityForClaims,
  activityForClaims,
  foreignEvidence,
  type ServiceRequestForClaim,
  serviceRequestForClaim,
} from './claims'
export { type HoursSummary, hoursByMember, hoursSummary } from './reporting'

async function detail(tx: Db, row: repo.ActivityRow): Promise<ActivityDetail> {
  return { ...repo.toActivity(row), participants: await repo.participants(tx, row.id) }
}

/** The activity if the caller holds a staff role over its unit; 404 otherwise, as if it did not exist. */
async function requireActivity(tx: Db, caller: Caller, id: string, lock?: 'share' | 'update') {
  requireRole(caller, STAFF)
  const row = await repo.findActivity(tx, id, lock)
  if (!row || !coversPath(caller, row.path, STAFF)) throw notFound('activity')
  return row
}

/**
 * The member, if they may serve in the unit at `unitPath` (their own line or a 双报到 community). A
 * member the caller may see but who does not belong there is 422 out_of_range; one the caller may not
 * see at all is 404, so the answer tells nothing about members outside the caller's scope. An inactive
 * member takes on no new work (409 invalid_state).
 */
export async function requireServingMember(tx: Db, caller: Caller, memberId: string, unitPath: string) {
  const member = await repo.memberLine(tx, memberId)
  if (!member) throw notFound('member')
  const visible = mayServeIn(unitPath, member.paths) || member.paths.some((p) => coversPath(caller, p, STAFF))
  if (visible && member.status !== 'active') throw invalidState('the member is inactive')
  if (mayServeIn(unitPath, member.paths)) return member
  if (visible) {
    throw new DomainError(
      'out_of_range',
      'the member belongs to another part of the organisation and has not registered (双报到) with this community',
    )
  }
  throw notFound('member')
}

export async function createActivity(
  db: Db,
  caller: Caller,
  body: CreateActivityBody,
): Promise<ActivityDetail> {
  const startsAt = new Date(body.startsAt)
  const endsAt = new Date(body.endsAt)
  // Rubrics cover the years 2000-2100, and so do activities: PostgreSQL writes a time before 1901 in the
  // service zone with a local-mean-time offset (+08:05:43) that no Date parses back (it was a 500).
  for (const [field, at] of [
    ['startsAt', startsAt],
    ['endsAt', endsAt],
  ] as const) {
    const year = at.getUTCFullYear()
    if (!(year >= 2000 && year <= 2100)) throw validation(field, 'must fall in the years 2000 to 2100')
  }
  if (!(endsAt.getTime() > startsAt.getTime())) throw validation('endsAt', 'must be after startsAt')
  const window = signUpWindow(body, startsAt, endsAt)
  return transaction(db, async (tx) => {
    const unit = await requireUnitInScope(tx, caller, body.orgUnitId, STAFF)
    if (body.teamId) {
      const path = await repo.teamPath(tx, body.teamId)
      if (!path || !mayServeIn(unit.path, [path])) throw notFound('team')
    }
    const id = await repo.insertActivity(tx, {
      orgUnitId: unit.id,
      teamId: body.teamId ?? null,
      title: body.title.trim(),
      rubricItemCode: body.rubricItemCode?.trim() || null,
      startsAt,
      endsAt,
      location: body.location?.trim() || null,
      createdBy: caller.userId,
      capacity: body.capacity ?? null,
      ...window,
      visibility: body.visibility ?? 'subtree',
    })
    const created = await detail(tx, (await repo.findActivity(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'activity.create',
      targetType: 'activity',
      targetId: id,
      orgUnitId: unit.id,
      after: created,
    })
    return created
  })
}

/**
 * The sign-up window (报名): it must open before it closes, close by the end of the activity and, without a close
 * time (sign-up then runs until the activity starts), open before the start.
 */
function signUpWindow(body: CreateActivityBody, startsAt: Date, endsAt: Date) {
  const opens = body.signUpOpensAt === undefined ? null : new Date(body.signUpOpensAt)
  const closes = body.signUpClosesAt === undefined ? null : new Date(body.signUpClosesAt)
  for (const [field, at] of [
    ['signUpOpensAt', opens],
    ['signUpClosesAt', closes],
  ] as const) {
    const year = at?.getUTCFullYear()
    if (year !== undefined && !(year >= 2000 && year <= 2100)) {
      throw validation(field, 'must fall in the years 2000 to 2100')
    }
  }
  if (closes && closes.getTime() > endsAt.getTime()) {
    throw validation('signUpClosesAt', 'must not be after endsAt')
  }
  if (opens && closes && !(closes.getTime() > opens.getTime())) {
    throw validation('signUpClosesAt', 'must be after signUpOpensAt')
  }
  if (opens && !closes && !(startsAt.getTime() > opens.getTime())) {
    throw validation('signUpOpensAt', 'must be before startsAt (sign-up closes when the activity starts)')
  }
  return { signUpOpensAt: opens, signUpClosesAt: closes }
}

export async function getActivity(db: Db, caller: Caller, id: string): Promise<ActivityDetail> {
  return detail(db, await requireActivity(db, caller, id))
}

export async function listActivities(db: Db, caller: Caller, query: ListActivitiesQuery) {
  requireRole(caller, STAFF)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  if (query.from && query.to && query.from > query.to) throw validation('to', 'must not be before from')
  const where = [pathInScope(sql`u.path`, caller, STAFF)]
  if (query.orgUnitId) {
    const unit = await requireUnitInScope(db, caller, query.orgUnitId, STAFF)
    where.push(sql`u.path like ${`${unit.path}%`}`)
  }
  if (query.from) where.push(sql`a.starts_at >= ${query.from}::date`)
  if (query.to) where.push(sql`a.starts_at < ${query.to}::date + 1`)
  if (query.status) where.push(sql`a.status = ${query.status}`)
  const found = await repo.listActivities(db, where, after, limit)
  return toPage(found, limit, (r) => [r.cursorAt, r.id], repo.toActivity)
}

export async function recordParticipation(
  db: Db,
  caller: Caller,
  activityId: string,
  memberId: string,
  body: RecordParticipationBody,
): Promise<{ participant: Participant; created: boolean }> {
  const hoursCents = parseCents(body.hours, 'hours')
  if (hoursCents <= 0) throw validation('hours', 'must be more than 0')
  try {
    return await transaction(db, async (tx) => {
      // FOR SHARE: a verification waits for these hours (and verifies them) or these wait and are refused.
      const activity = await requireActivity(tx, caller, activityId, 'share')
      if (activity.status === 'verified') throw invalidState('the activity is verified; its hours are final')
      const max = centsFromDb(activity.lengthCents)
      if (hoursCents > max) throw hoursTooLong(max)
      await requireServingMember(tx, caller, memberId, activity.path)
      const result = await repo.upsertParticipant(tx, {
        activityId,
        memberId,
        hoursCents,
        recordedBy: caller.userId,
      })
      await recordAudit(tx, caller, {
        action: 'activity.participation.record',
        targetType: 'activity',
        targetId: activityId,
        orgUnitId: activity.orgUnitId,
        before: result.beforeCents === null ? null : { memberId, hoursCents: result.beforeCents },
        after: { memberId, hoursCents },
      })
      return { participant: result.participant, created: result.created }
    })
  } catch (err) {
    // The database's own guards (trigger), should the checks above ever miss: same answers.
    const constraint = pgConstraint(err)
    if (constraint === 'activity_participants_verified_chk') {
      throw invalidState('the activity is verified; its hours are final')
    }
    if (constraint === 'activity_participants_length_chk') throw hoursTooLong(null)
    throw err
  }
}

/** Takes a member off an activity recorded by mistake, while it is open (verified hours are final). */
export async function removeParticipation(db: Db, caller: Caller, activityId: string, memberId: string) {
  try {
    await transaction(db, async (tx) => {
      const activity = await requireActivity(tx, caller, activityId, 'share')
      if (activity.status === 'verified') throw invalidState('the activity is verified; its hours are final')
      const removed = await repo.deleteParticipant(tx, activityId, memberId)
      if (removed === null) throw notFound('participant')
      await recordAudit(tx, caller, {
        action: 'activity.participation.remove',
        targetType: 'activity',
        targetId: activityId,
        orgUnitId: activity.orgUnitId,
        before: { memberId, hoursCents: removed },
      })
    })
  } catch (err) {
    if (pgConstraint(err) === 'activity_participants_verified_chk') {
      throw invalidState('the activity is verified; its hours are final')
    }
    throw err
  }
}

function hoursTooLong(maxCents: number | null) {
  return new DomainError('out_of_range', "hours must not exceed the activity's length", {
    ...(maxCents === null ? {} : { maxHours: formatCents(maxCents) }),
  })
}

/**
 * Verifies every recorded hour of the activity, once. The verifier must not be a participant (403
 * recused); a second verification answers the verified activity and changes nothing.
 */
export async function verifyActivity(
  db: Db,
  caller: Caller,
  id: string,
  hooks: EvidenceHooks,
): Promise<ActivityDetail> {
  return transaction(db, async (tx) => {
    const activity = await requireActivity(tx, caller, id, 'update')
    if (await repo.isParticipant(tx, id, caller.memberId)) {
      throw new DomainError('recused', 'you took part in this activity, so someone else must verify it')
    }
    if (activity.status === 'verified') return detail(tx, activity)
    if (new Date(activity.endsAt).getTime() > Date.now()) {
      throw invalidState('the activity has not ended yet')
    }
    if (Number(activity.participantCount) === 0) throw invalidState('no participants are recorded')
    if (!(await repo.markVerified(tx, id, caller.userId)))
      return detail(tx, (await repo.findActivity(tx, id))!)
    const verified = await detail(tx, (await repo.findActivity(tx, id))!)
    await recordAudit(tx, caller, {
      action: 'activity.verify',
      targetType: 'activity',
      targetId: id,
      orgUnitId: activity.orgUnitId,
      before: { status: 'open' },
      after: {
        status: 'verified',
        participantCount: verified.participantCount,
        totalHours: verified.totalHours,
      },
    })
    await recordEvent(tx, {
      type: 'activity.verified',
      orgUnitId: activity.orgUnitId,
      subject: { type: 'activity', id },
      data: {
        activityId: id,
        orgUnitId: activity.orgUnitId,
        title: verified.title,
        status: 'verified',
        participantCount: verified.participantCount,
        totalHours: verified.totalHours,
        verifiedAt: verified.verifiedAt,
      },
    })
    await hooks.activityVerified(tx, caller, id)
    return verified
  })
}

/** A member's verified hours (activities and confirmed service requests) in a period; only verified count. */
export async function getServiceHours(
  db: Db,
  caller: Caller,
  memberId: string,
  query: PeriodQuery,
): Promise<ServiceHours> {
  if (query.from && query.to && query.from > query.to) throw validation('to', 'must not be before from')
  const member = await requireMemberVisible(db, caller, memberId, STAFF, { allowSelf: true })
  const records = await repo.verifiedRecords(db, memberId, query.from ?? null, query.to ?? null)
  return {
    memberId,
    memberName: member.name,
    from: query.from ?? null,
    to: query.to ?? null,
    totalHours: formatCents(sum(records.map((r) => r.hoursCents))),
    records: records.map(({ hoursCents: _h, ...r }) => r),
  }
}
