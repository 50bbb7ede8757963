import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { ActivityVisibility, SignUpStatus } from '../../db/schema/activities'
import { formatCents } from '../../shared/decimal'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import type { OpenActivity, SignUp } from './sign-ups-schemas'

/** What a sign-up command needs of the activity, with the window read on the database's clock. */
export interface SignUpActivity {
  id: string
  orgUnitId: string
  path: string
  title: string
  status: 'open' | 'verified'
  visibility: ActivityVisibility
  capacity: number | null
  confirmedCount: number
  opensAt: Date | null
  /** The sign-up close time, or the start when none is set. */
  closesAt: Date
  notYetOpen: boolean
  closed: boolean
}

/**
 * The activity, its row locked (FOR NO KEY UPDATE, what the confirmed_count UPDATE takes anyway) for the rest of
 * the transaction. Every sign-up command of one activity takes this lock first and only then touches sign-up
 * rows: the same order everywhere, so no two of them deadlock, and a cancellation that frees a place always sees
 * (and promotes) a waitlisted sign-up committed before it.
 */
export async function lockActivity(tx: Db, id: string): Promise<SignUpActivity | undefined> {
  return one<SignUpActivity>(
    tx,
    sql`select a.id, a.org_unit_id as "orgUnitId", u.path, a.title, a.status, a.visibility, a.capacity,
               a.confirmed_count as "confirmedCount", a.sign_up_opens_at as "opensAt",
               coalesce(a.sign_up_closes_at, a.starts_at) as "closesAt",
               coalesce(now() < a.sign_up_opens_at, false) as "notYetOpen",
               now() >= coalesce(a.sign_up_closes_at, a.starts_at) as "closed"
        from activities a join org_units u on u.id = a.org_unit_id
        where a.id = ${id}
        for no key update of a`,
  )
}

export async function findActivityPath(tx: Db, id: string): Promise<{ path: string } | undefined> {
  return one(
    tx,
    sql`select u.path from activities a join org_units u on u.id = a.org_unit_id where a.id = ${id}`,
  )
}

/**
 * Takes a place if one is free: ONE conditional UPDATE, backed by the CHECK activities_confirmed_chk
 * (confirmed_count <= capacity), so however many processes race for the last place exactly `capacity` are
 * confirmed. False: the activity is full.
 */
export async function takePlace(tx: Db, activityId: string): Promise<boolean> {
  const row = await one(
    tx,
    sql`update activities set confirmed_count = confirmed_count + 1
        where id = ${activityId} and (capacity is null or confirmed_count < capacity)
        returning confirmed_count`,
  )
  return !!row
}

export async function releasePlace(tx: Db, activityId: string): Promise<void> {
  await tx.execute(sql`update activities set confirmed_count = confirmed_count - 1 where id = ${activityId}`)
}

interface SignUpRow {
  activityId: string
  activityTitle: string
  activityStartsAt: Date
  activityEndsAt: Date
  memberId: string
  memberName: string
  status: SignUpStatus
  position: string | null
  signedUpAt: Date
  confirmedAt: Date | null
  cancelledAt: Date | null
  cancelReason: string | null
  signedUpBy: string
  /** Sort keys as text, to the microsecond, for keyset cursors. */
  queuedKey: string
  startsKey: string
  rank: number
}

export function toSignUp(r: SignUpRow): SignUp {
  return {
    activityId: r.activityId,
    activityTitle: r.activityTitle,
    activityStartsAt: formatInstant(r.activityStartsAt),
    activityEndsAt: formatInstant(r.activityEndsAt),
    memberId: r.memberId,
    memberName: r.memberName,
    status: r.status,
    position: r.position === null ? null : Number(r.position),
    signedUpAt: formatInstant(r.signedUpAt),
    confirmedAt: formatInstantOrNull(r.confirmedAt),
    cancelledAt: formatInstantOrNull(r.cancelledAt),
    cancelReason: r.cancelReason,
    signedUpByUserId: r.signedUpBy,
  }
}

/** Confirmed first, then the waitlist in its order, then the cancelled. */
const RANK = sql`(case s.status when 'confirmed' then 0 when 'waitlisted' then 1 else 2 end)`

// The position counts the waitlisted ahead (activity_sign_ups_waitlist_idx), so it is always the current one.
const SIGN_UP_SELECT = sql`
  select s.activity_id as "activityId", a.title as "activityTitle", a.starts_at as "activityStartsAt",
         a.ends_at as "activityEndsAt", s.member_id as "memberId", m.name as "memberName", s.status,
         case when s.status = 'waitlisted' then
           (select count(*) from activity_sign_ups w
            where w.activity_id = s.activity_id and w.status = 'waitlisted'
              and (w.queued_at, w.member_id) <= (s.queued_at, s.member_id))
         end as position,
         s.queued_at as "signedUpAt", s.confirmed_at as "confirmedAt", s.cancelled_at as "cancelledAt",
         s.cancel_reason as "cancelReason", s.signed_up_by as "signedUpBy",
         s.queued_at::text as "queuedKey", a.starts_at::text as "startsKey", ${RANK} as rank
  from activity_sign_ups s
  join activities a on a.id = s.activity_id
  join members m on m.id = s.member_id`

export async function findSignUp(tx: Db, activityId: string, memberId: string) {
  return one<SignUpRow>(
    tx,
    sql`${SIGN_UP_SELECT} where s.activity_id = ${activityId} and s.member_id = ${memberId}`,
  )
}

/** The sign-up's status, its row locked; undefined when the member never signed up. */
export async function lockSignUp(
  tx: Db,
  activityId: string,
  memberId: string,
): Promise<{ status: SignUpStatus } | undefined> {
  return one(
    tx,
    sql`select status from activity_sign_ups where activity_id = ${activityId} and member_id = ${memberId}
        for update`,
  )
}

/** A new sign-up, or a cancelled one made live again at the back of the queue (queued_at = now). */
export async function putSignUp(
  tx: Db,
  s: { activityId: string; memberId: string; confirmed: boolean; userId: string },
): Promise<void> {
  const status: SignUpStatus = s.confirmed ? 'confirmed' : 'waitlisted'
  await tx.execute(
    sql`insert into activity_sign_ups (activity_id, member_id, status, queued_at, signed_up_by, confirmed_at)
        values (${s.activityId}, ${s.memberId}, ${status}, clock_timestamp(), ${s.userId},
                ${s.confirmed ? sql`clock_timestamp()` : null})
        on conflict (activity_id, member_id) do update
          set status = excluded.status, queued_at = excluded.queued_at, signed_up_by = excluded.signed_up_by,
              confirmed_at = excluded.confirmed_at, cancelled_at = null, cancelled_by = null,
              cancel_reason = null, updated_at = now()`,
  )
}

export async function markCancelled(
  tx: Db,
  s: { activityId: string; memberId: string; userId: string; reason: string | null },
): Promise<void> {
  await tx.execute(
    sql`update activity_sign_ups
        set status = 'cancelled', cancelled_at = clock_timestamp(), cancelled_by = ${s.userId},
            cancel_reason = ${s.reason}, updated_at = now()
        where activity_id = ${s.activityId} and member_id = ${s.memberId}`,
  )
}

/** The first waitlisted sign-up (by queued_at, member_id) gets the place; its member id, if there was one. */
export async function promoteFirstWaitlisted(tx: Db, activityId: string): Promise<string | undefined> {
  const row = await one<{ memberId: string }>(
    tx,
    sql`update activity_sign_ups s set status = 'confirmed', confirmed_at = clock_timestamp(), updated_at = now()
        from (select member_id from activity_sign_ups
              where activity_id = ${activityId} and status = 'waitlisted'
              order by queued_at, member_id limit 1
              for update) first
        where s.activity_id = ${activityId} and s.member_id = first.member_id
        returning s.member_id as "memberId"`,
  )
  return row?.memberId
}

/** One activity's sign-ups: confirmed first, then the waitlist in order, then the cancelled. */
export async function listForActivity(
  tx: Db,
  activityId: string,
  status: SignUpStatus | undefined,
  after: [number, string, string] | undefined,
  limit: number,
): Promise<SignUpRow[]> {
  const conds: SQL[] = [sql`s.activity_id = ${activityId}`]
  if (status) conds.push(sql`s.status = ${status}`)
  if (after) {
    conds.push(
      sql`(${RANK}, s.queued_at, s.member_id) > (${after[0]}::int, ${after[1]}::timestamptz, ${after[2]}::uuid)`,
    )
  }
  return rows<SignUpRow>(
    tx,
    sql`${SIGN_UP_SELECT} where ${sql.join(conds, sql` and `)}
        order by ${RANK}, s.queued_at, s.member_id limit ${limit + 1}`,
  )
}

/** A member's own sign-ups, the latest activity first. */
export async function listForMember(
  tx: Db,
  memberId: string,
  status: SignUpStatus | undefined,
  after: [string, string] | undefined,
  limit: number,
): Promise<SignUpRow[]> {
  const conds: SQL[] = [sql`s.member_id = ${memberId}`]
  if (status) conds.push(sql`s.status = ${status}`)
  if (after) conds.push(sql`(a.starts_at, a.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  return rows<SignUpRow>(
    tx,
    sql`${SIGN_UP_SELECT} where ${sql.join(conds, sql` and `)}
        order by a.starts_at desc, a.id desc limit ${limit + 1}`,
  )
}

interface OpenActivityRow {
  id: string
  orgUnitId: string
  orgUnitName: string
  title: string
  startsAt: Date
  endsAt: Date
  location: string | null
  lengthCents: string
  capacity: number | null
  confirmedCount: number
  waitlisted: string
  signUpOpensAt: Date | null
  signUpClosesAt: Date
  notYetOpen: boolean
  myStatus: SignUpStatus | null
  myPosition: string | null
  /** starts_at as text, to the microsecond, for keyset cursors. */
  cursorAt: string
}

export function toOpenActivity(r: OpenActivityRow): OpenActivity {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    orgUnitName: r.orgUnitName,
    title: r.title,
    startsAt: formatInstant(r.startsAt),
    endsAt: formatInstant(r.endsAt),
    location: r.location,
    lengthHours: formatCents(r.lengthCents),
    capacity: r.capacity,
    confirmedCount: r.confirmedCount,
    placesLeft: r.capacity === null ? null : Math.max(r.capacity - r.confirmedCount, 0),
    waitlisted: Number(r.waitlisted),
    signUpOpensAt: formatInstantOrNull(r.signUpOpensAt),
    signUpClosesAt: formatInstant(r.signUpClosesAt),
    signUp: r.notYetOpen ? 'upcoming' : 'open',
    mySignUp: r.myStatus
      ? { status: r.myStatus, position: r.myPosition === null ? null : Number(r.myPosition) }
      : null,
  }
}

/**
 * Activities still taking sign-ups (open, not verified, before their close) that satisfy `joinable` (written
 * against u, the activity's unit, and a), with the member's own sign-up; the soonest first.
 */
export async function listOpen(
  tx: Db,
  q: {
    memberId: string
    joinable: SQL
    state: 'open' | 'upcoming' | undefined
    after: [string, string] | undefined
    limit: number
  },
): Promise<OpenActivityRow[]> {
  const conds: SQL[] = [
    sql`a.status = 'open'`,
    sql`now() < coalesce(a.sign_up_closes_at, a.starts_at)`,
    q.joinable,
  ]
  if (q.state === 'open') conds.push(sql`not coalesce(now() < a.sign_up_opens_at, false)`)
  if (q.state === 'upcoming') conds.push(sql`coalesce(now() < a.sign_up_opens_at, false)`)
  if (q.after) conds.push(sql`(a.starts_at, a.id) > (${q.after[0]}::timestamptz, ${q.after[1]}::uuid)`)
  return rows<OpenActivityRow>(
    tx,
    sql`select a.id, a.org_unit_id as "orgUnitId", u.name as "orgUnitName", a.title, a.starts_at as "startsAt",
               a.ends_at as "endsAt", a.location, a.length_cents as "lengthCents", a.capacity,
               a.confirmed_count as "confirmedCount",
               (select count(*) from activity_sign_ups w
                where w.activity_id = a.id and w.status = 'waitlisted') as waitlisted,
               a.sign_up_opens_at as "signUpOpensAt",
               coalesce(a.sign_up_closes_at, a.starts_at) as "signUpClosesAt",
               coalesce(now() < a.sign_up_opens_at, false) as "notYetOpen",
               s.status as "myStatus",
               case when s.status = 'waitlisted' then
                 (select count(*) from activity_sign_ups w
                  where w.activity_id = s.activity_id and w.status = 'waitlisted'
                    and (w.queued_at, w.member_id) <= (s.queued_at, s.member_id))
               end as "myPosition",
               a.starts_at::text as "cursorAt"
        from activities a
        join org_units u on u.id = a.org_unit_id
        left join activity_sign_ups s on s.activity_id = a.id and s.member_id = ${q.memberId}
        where ${sql.join(conds, sql` and `)}
        order by a.starts_at, a.id limit ${q.limit + 1}`,
  )
}
