import { sql } from 'drizzle-orm'
import { type Db, pgConstraint, transaction } from '../../db/client'
import { type Caller, coversPath, hasRole, requireRole } from '../../shared/authz'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant, instantMs } from '../../shared/time'
import { auditCall, recordAudit } from '../audit'
import type { CheckInCodes } from './check-in-codes'
import * as repo from './check-ins-repo'
import type { CheckIn, CheckInBody, CheckInCode, CheckOut, ListCheckInsQuery } from './check-ins-schemas'
import { mayServeIn, STAFF } from './domain'
import { requireServingMember } from './service'

/**
 * 签到 / 签退 (issue 18). The member checks in and out themself with the code shown at the door (check-in-codes.ts),
 * or a secretary or grid worker over the activity's unit does it for them with a reason (no phone). One open
 * check-in per member and activity (the database's partial unique index decides, across processes); a check-out
 * closes it, counts its time within the activity in whole quarter hours (rounded down) and makes the member's
 * participation the sum of their closed stays (at most the activity's length), unverified until verifyActivity.
 *
 * The check-in window: codes are given, and check-ins and check-outs happen, from CHECK_IN_OPENS_BEFORE_MS before
 * the start until CHECK_IN_CLOSES_AFTER_MS after the end, and only while the activity is open (not verified).
 * Times are taken from the clock the codes are judged by (`codes.clock`, Date.now in the service).
 */
export const CHECK_IN_OPENS_BEFORE_MS = 2 * 3_600_000
export const CHECK_IN_CLOSES_AFTER_MS = 2 * 3_600_000
/** A staff `at` a few seconds ahead of this process's clock is another machine's clock, not the future. */
const CLOCK_SKEW_MS = 5_000

function windowOf(a: repo.CheckInActivity) {
  return {
    opens: instantMs(a.startsAt) - CHECK_IN_OPENS_BEFORE_MS,
    closes: instantMs(a.endsAt) + CHECK_IN_CLOSES_AFTER_MS,
  }
}

function outsideWindow(a: repo.CheckInActivity, what: string) {
  const w = windowOf(a)
  return `${what} from 2 hours before the start until 2 hours after the end: ${formatInstant(new Date(w.opens))} to ${formatInstant(new Date(w.closes))}`
}

function requireOpen(a: repo.CheckInActivity) {
  if (a.status === 'verified') throw invalidState('the activity is verified: check-in and check-out are over')
}

/** The activity's organiser: its creator, or a secretary or grid worker over its unit (admin); else 403 / 404. */
async function requireOrganiser(db: Db, caller: Caller, id: string) {
  const activity = await repo.findActivity(db, id)
  if (activity && activity.createdBy === caller.userId) return activity
  requireRole(caller, STAFF)
  if (!activity || !coversPath(caller, activity.path, STAFF)) throw notFound('activity')
  return activity
}

/** The activity's current code and QR payload; nothing is stored (see check-in-codes.ts). */
export async function createCheckInCode(
  db: Db,
  caller: Caller,
  activityId: string,
  codes: CheckInCodes,
): Promise<CheckInCode> {
  const activity = await requireOrganiser(db, caller, activityId)
  requireOpen(activity)
  const now = codes.clock()
  const w = windowOf(activity)
  if (now < w.opens || now > w.closes) throw invalidState(outsideWindow(activity, 'check-in codes are given'))
  const issued = codes.issue(activityId)
  return {
    ...issued,
    validFrom: formatInstant(issued.validFrom),
    expiresAt: formatInstant(issued.expiresAt),
  }
}

interface Attendance {
  activity: repo.CheckInActivity
  member: { id: string; name: string }
  method: 'code' | 'staff'
  at: Date
  reason: string | null
}

/**
 * Who checks whom in or out, when, and whether they may. With `code`: the caller's own member record, which must
 * be able to serve at the activity (else the activity is 404 to them), with the current code (else 400
 * validation_failed on `code`). Without: a secretary or grid worker over the activity's unit (admin) for
 * `memberId`, with a `reason` and optionally the time `at`.
 */
async function attendance(
  db: Db,
  caller: Caller,
  activityId: string,
  body: CheckInBody,
  codes: CheckInCodes,
  what: string,
): Promise<Attendance> {
  const now = codes.clock()
  if (body.code !== undefined) {
    if (!caller.memberId) throw forbidden(`only a member ${what} with a code; staff give memberId and reason`)
    if (body.memberId !== undefined && body.memberId !== caller.memberId) {
      throw validation('memberId', `a code ${what} only yourself; staff do it for a member without a code`)
    }
    if (body.at !== undefined) throw validation('at', 'only staff doing it for a member give a time')
    const [activity, member] = await Promise.all([
      repo.findActivity(db, activityId),
      repo.findMember(db, caller.memberId),
    ])
    if (!activity || !member || !mayServeIn(activity.path, member.paths)) throw notFound('activity')
    if (member.status !== 'active') throw invalidState('the member is inactive')
    requireOpen(activity)
    const w = windowOf(activity)
    if (now < w.opens || now > w.closes) throw invalidState(outsideWindow(activity, `a member ${what}`))
    if (!codes.accepts(activityId, body.code)) {
      throw validation('code', 'is wrong or has expired: enter or scan the code shown now')
    }
    return { activity, member, method: 'code', at: new Date(now), reason: body.reason ?? null }
  }
  if (!hasRole(caller, STAFF)) {
    if (caller.memberId) throw validation('code', 'is required: the code shown at the activity')
    throw forbidden()
  }
  if (body.memberId === undefined) throw validation('memberId', 'is required without a code')
  if (body.reason === undefined) throw validation('reason', `is required when staff ${what} a member`)
  const activity = await repo.findActivity(db, activityId)
  if (!activity || !coversPath(caller, activity.path, STAFF)) throw notFound('activity')
  const member = await requireServingMember(db, caller, body.memberId, activity.path)
  requireOpen(activity)
  const w = windowOf(activity)
  let at = now
  if (body.at !== undefined) {
    at = Date.parse(body.at)
    if (at > now + CLOCK_SKEW_MS) throw validation('at', 'must not be in the future')
    if (at < w.opens || at > w.closes)
      throw validation('at', `must lie within the check-in window (${outsideWindow(activity, 'open')})`)
  } else if (now < w.opens || now > w.closes) {
    throw invalidState(outsideWindow(activity, `staff ${what} a member`))
  }
  return { activity, member, method: 'staff', at: new Date(at), reason: body.reason.trim() }
}

export async function checkIn(
  db: Db,
  caller: Caller,
  activityId: string,
  body: CheckInBody,
  codes: CheckInCodes,
): Promise<CheckIn> {
  const a = await attendance(db, caller, activityId, body, codes, 'checks in')
  // The check-in and its audit event are one statement (the door's busiest moment: no BEGIN and COMMIT around two
  // inserts); a staff check-in at an earlier time first reads the member's last check-out, in one transaction.
  const insert = async (tx: Db) => {
    const after = { memberId: a.member.id, method: a.method, at: formatInstant(a.at), reason: a.reason }
    const row = await repo.insertCheckIn(
      tx,
      { activityId, memberId: a.member.id, at: a.at, method: a.method, by: caller.userId, reason: a.reason },
      (c) =>
        auditCall(caller, {
          action: 'activity.check_in',
          targetType: 'activity',
          targetId: sql`${activityId}::uuid`,
          orgUnitId: a.activity.orgUnitId,
          after: sql`${JSON.stringify(after)}::jsonb || jsonb_build_object('checkInId', ${c}.id)`,
        }),
    )
    if (!row) throw new DomainError('conflict', 'the member is checked in here already; check out first')
    return repo.toCheckIn(row, a.member.name)
  }
  if (a.method !== 'staff' || body.at === undefined) return insert(db)
  return transaction(db, async (tx) => {
    const last = await repo.lastCheckOut(tx, activityId, a.member.id)
    if (last && instantMs(last) > a.at.getTime()) {
      throw validation('at', `must not be before the member's last check-out here (${formatInstant(last)})`)
    }
    return insert(tx)
  })
}

export async function checkOut(
  db: Db,
  caller: Caller,
  activityId: string,
  body: CheckInBody,
  codes: CheckInCodes,
): Promise<CheckOut> {
  const a = await attendance(db, caller, activityId, body, codes, 'checks out')
  try {
    return await transaction(db, async (tx) => {
      const row = await repo.closeCheckIn(tx, {
        activityId,
        memberId: a.member.id,
        at: a.at,
        method: a.method,
        by: caller.userId,
        reason: a.reason,
      })
      if (!row) throw invalidState('the member is not checked in here')
      const participantCents = await repo.participationFromStays(tx, activityId, a.member.id, caller.userId)
      const checkIn = repo.toCheckIn(row, a.member.name)
      await recordAudit(tx, caller, {
        action: 'activity.check_out',
        targetType: 'activity',
        targetId: activityId,
        orgUnitId: a.activity.orgUnitId,
        after: {
          checkInId: row.id,
          memberId: a.member.id,
          method: a.method,
          at: checkIn.checkedOutAt,
          reason: a.reason,
          hoursCents: centsFromDb(row.hoursCents),
          participantHoursCents: participantCents === null ? null : centsFromDb(participantCents),
        },
      })
      return {
        ...checkIn,
        participantHours: participantCents === null ? null : formatCents(participantCents),
      }
    })
  } catch (err) {
    // The database's own guards, should the checks above be overtaken: a verification committed meanwhile, or a
    // staff `at` before the check-in.
    const constraint = pgConstraint(err)
    if (constraint === 'activity_participants_verified_chk') {
      throw invalidState('the activity is verified: check-in and check-out are over')
    }
    if (constraint === 'activity_check_ins_period_chk')
      throw validation('at', 'must not be before the check-in')
    throw err
  }
}

/** Who is in, who has left and their hours: newest check-in first (staff over the activity's unit). */
export async function listActivityCheckIns(
  db: Db,
  caller: Caller,
  activityId: string,
  query: ListCheckInsQuery,
) {
  requireRole(caller, STAFF)
  const activity = await repo.findActivity(db, activityId)
  if (!activity || !coversPath(caller, activity.path, STAFF)) throw notFound('activity')
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const where = []
  if (query.status === 'open') where.push(sql`c.checked_out_at is null`)
  if (query.status === 'closed') where.push(sql`c.checked_out_at is not null`)
  if (query.memberId) where.push(sql`c.member_id = ${query.memberId}`)
  const found = await repo.listCheckIns(db, activityId, where, after, limit)
  return toPage(
    found,
    limit,
    (r) => [r.cursorAt, r.id],
    (r) => repo.toCheckIn(r, r.memberName),
  )
}
