import { type SQL, sql } from 'drizzle-orm'
import { type Db, transaction } from '../../db/client'
import { type Caller, coversPath, hasRole, requireRole } from '../../shared/authz'
import { DomainError, forbidden, invalidState, notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { recordAudit } from '../audit'
import { recordEvent } from '../events'
import { mayServeIn, STAFF } from './domain'
import { type MemberLine, memberLine } from './repo'
import * as repo from './sign-ups-repo'
import type { ListOpenActivitiesQuery, ListSignUpsQuery, SignUp } from './sign-ups-schemas'

/**
 * 报名 (issue 18). Members sign up for an activity themselves (staff may sign up a member): within capacity the
 * sign-up is confirmed, beyond it waitlisted; a confirmed member who cancels hands the place to the first
 * waitlisted in the same transaction. activities.confirmed_count counts the confirmed rows exactly: only these
 * commands change either, each under the activity's row lock.
 */

/**
 * Whether the member may sign up: the activity's unit lies on their home line (their home unit, above or below
 * it: the rule recordParticipation applies) or, when the activity is open to 双报到 members, on the line of a
 * community they registered with.
 */
function mayJoin(activity: repo.SignUpActivity, member: MemberLine): boolean {
  const home = member.paths[0]!
  if (mayServeIn(activity.path, [home])) return true
  return (
    activity.visibility === 'subtree_and_registered' &&
    mayServeIn(
      activity.path,
      member.registrations.map((r) => r.path),
    )
  )
}

/**
 * mayJoin as an SQL condition on u.path (the activity's unit) and a.visibility, for listing what a member may
 * sign up for: the same two terms (mayServeIn on the home line; on a registered community's line only for
 * subtree_and_registered), so the list shows exactly the activities signUpForActivity accepts.
 */
function mayJoinWhere(member: MemberLine): SQL {
  const onLine = (p: string) => sql`(u.path like ${`${p}%`} or ${p} like u.path || '%')`
  const home = member.paths[0]!
  const registered = member.registrations.map((r) => onLine(r.path))
  if (!registered.length) return onLine(home)
  return sql`(${onLine(home)} or (a.visibility = 'subtree_and_registered' and (${sql.join(registered, sql` or `)})))`
}

/** Who a sign-up command is about: the caller themself, or (staff only) the member they name. */
function targetMember(caller: Caller, memberId: string | undefined): { memberId: string; self: boolean } {
  if (caller.memberId && (memberId === undefined || memberId === caller.memberId)) {
    return { memberId: caller.memberId, self: true }
  }
  if (!hasRole(caller, STAFF)) {
    // A plain member asking about someone else: not theirs to know the member exists.
    if (caller.memberId) throw notFound('member')
    throw forbidden()
  }
  if (memberId === undefined) throw validation('memberId', 'is required: your login has no member record')
  return { memberId, self: false }
}

function windowRefusal(activity: repo.SignUpActivity): DomainError | null {
  if (activity.status === 'verified') return invalidState('the activity is verified; sign-up is over')
  if (activity.notYetOpen && activity.opensAt) {
    return invalidState(`sign-up opens at ${formatInstant(activity.opensAt)}`)
  }
  if (activity.closed) return invalidState(`sign-up closed at ${formatInstant(activity.closesAt)}`)
  return null
}

export async function signUpForActivity(
  db: Db,
  caller: Caller,
  activityId: string,
  body: { memberId?: string } | null | undefined,
): Promise<{ signUp: SignUp; created: boolean }> {
  const { memberId, self } = targetMember(caller, body?.memberId)
  return transaction(db, async (tx) => {
    const activity = await repo.lockActivity(tx, activityId)
    const staffOver = !!activity && coversPath(caller, activity.path, STAFF)
    const member = await memberLine(tx, memberId)
    if (!activity || !(staffOver || (self && member && mayJoin(activity, member)))) throw notFound('activity')
    if (!member) throw notFound('member')
    const joins = mayJoin(activity, member)
    const visible = joins || self || member.paths.some((p) => coversPath(caller, p, STAFF))
    if (!visible) throw notFound('member')
    if (member.status !== 'active') throw invalidState('the member is inactive')
    if (!joins) {
      throw new DomainError(
        'out_of_range',
        activity.visibility === 'subtree'
          ? "the member belongs to another part of the organisation; this activity is open to its unit's members only"
          : 'the member belongs to another part of the organisation and has not registered (双报到) with this community',
      )
    }
    const existing = await repo.lockSignUp(tx, activityId, memberId)
    if (existing && existing.status !== 'cancelled') {
      // Signing up twice changes nothing: the answer is the sign-up the member holds.
      return { signUp: repo.toSignUp((await repo.findSignUp(tx, activityId, memberId))!), created: false }
    }
    const refusal = windowRefusal(activity)
    if (refusal) throw refusal
    const confirmed = await repo.takePlace(tx, activityId)
    await repo.putSignUp(tx, { activityId, memberId, confirmed, userId: caller.userId })
    const signUp = repo.toSignUp((await repo.findSignUp(tx, activityId, memberId))!)
    await recordAudit(tx, caller, {
      action: 'sign_up.create',
      targetType: 'activity',
      targetId: activityId,
      orgUnitId: activity.orgUnitId,
      before: existing ? { memberId, status: existing.status } : null,
      after: { memberId, status: signUp.status, position: signUp.position },
    })
    return { signUp, created: true }
  })
}

/**
 * Withdraws a sign-up. A confirmed member's place goes, in the same transaction, to the first waitlisted member
 * (by the time they queued), audited as its own event sign_up.promoted.
 */
export async function cancelSignUp(
  db: Db,
  caller: Caller,
  activityId: string,
  memberId: string,
  reason: string | null,
): Promise<SignUp> {
  const { self } = targetMember(caller, memberId)
  return transaction(db, async (tx) => {
    const activity = await repo.lockActivity(tx, activityId)
    const staffOver = !!activity && coversPath(caller, activity.path, STAFF)
    const existing = activity ? await repo.lockSignUp(tx, activityId, memberId) : undefined
    // The member's own sign-up is theirs to withdraw even where they no longer may sign up (a registration ended);
    // to a member, an activity they hold no sign-up at is simply not found.
    if (!staffOver && !self) throw notFound('activity')
    if (!activity || !existing) throw notFound('sign-up')
    if (existing.status === 'cancelled') throw invalidState('the sign-up is already cancelled')
    if (activity.status === 'verified') throw invalidState('the activity is verified; its sign-ups are final')
    await repo.markCancelled(tx, { activityId, memberId, userId: caller.userId, reason })
    await recordAudit(tx, caller, {
      action: 'sign_up.cancel',
      targetType: 'activity',
      targetId: activityId,
      orgUnitId: activity.orgUnitId,
      before: { memberId, status: existing.status },
      after: { memberId, status: 'cancelled', reason },
    })
    if (existing.status === 'confirmed') {
      const promoted = await repo.promoteFirstWaitlisted(tx, activityId)
      if (promoted) {
        // The place passes on: confirmed_count stays as it is.
        const now = (await repo.findSignUp(tx, activityId, promoted))!
        await recordAudit(tx, caller, {
          action: 'sign_up.promoted',
          targetType: 'activity',
          targetId: activityId,
          orgUnitId: activity.orgUnitId,
          before: { memberId: promoted, status: 'waitlisted', position: 1 },
          after: {
            memberId: promoted,
            status: 'confirmed',
            confirmedAt: formatInstant(now.confirmedAt!),
            placeOf: memberId,
          },
        })
        await recordEvent(tx, {
          type: 'sign_up.promoted',
          orgUnitId: activity.orgUnitId,
          subject: { type: 'activity', id: activityId },
          memberId: promoted,
          data: {
            activityId,
            memberId: promoted,
            status: 'confirmed',
            confirmedAt: formatInstant(now.confirmedAt!),
            placeOf: memberId,
          },
        })
      } else {
        await repo.releasePlace(tx, activityId)
      }
    }
    return repo.toSignUp((await repo.findSignUp(tx, activityId, memberId))!)
  })
}

/** Staff over the activity's unit: its sign-ups, confirmed first, then the waitlist in order, then the cancelled. */
export async function listActivitySignUps(
  db: Db,
  caller: Caller,
  activityId: string,
  query: ListSignUpsQuery,
) {
  requireRole(caller, STAFF)
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['int', 'timestamp', 'uuid'])
  const activity = await repo.findActivityPath(db, activityId)
  if (!activity || !coversPath(caller, activity.path, STAFF)) throw notFound('activity')
  const found = await repo.listForActivity(db, activityId, query.status, after, limit)
  return toPage(found, limit, (r) => [r.rank, r.queuedKey, r.memberId], repo.toSignUp)
}

/** The caller's own sign-ups (a member), the latest activity first. */
export async function listMySignUps(db: Db, caller: Caller, query: ListSignUpsQuery) {
  if (!caller.memberId) throw forbidden('only a member has sign-ups')
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const found = await repo.listForMember(db, caller.memberId, query.status, after, limit)
  return toPage(found, limit, (r) => [r.startsKey, r.activityId], repo.toSignUp)
}

/**
 * Activities the caller (a member) may sign up for whose sign-up is open now or opens later, with places left and
 * their own sign-up; the soonest first.
 */
export async function listOpenActivities(db: Db, caller: Caller, query: ListOpenActivitiesQuery) {
  if (!caller.memberId) throw forbidden('only a member signs up for activities')
  const limit = pageLimit(query.limit)
  const after = decodeCursor(query.cursor, ['timestamp', 'uuid'])
  const member = await memberLine(db, caller.memberId)
  if (!member) throw forbidden('only a member signs up for activities')
  const found = await repo.listOpen(db, {
    memberId: caller.memberId,
    joinable: mayJoinWhere(member),
    state: query.status,
    after,
    limit,
  })
  return toPage(found, limit, (r) => [r.cursorAt, r.id], repo.toOpenActivity)
}
