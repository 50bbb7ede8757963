import { type SQL, sql } from 'drizzle-orm'
import { type Db, named, one, prepared, rows } from '../../db/client'
import type { CheckInMethod } from '../../db/schema/activities'
import { formatCents } from '../../shared/decimal'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import type { CheckIn } from './check-ins-schemas'

/**
 * 签到 / 签退's SQL. A check-in is one INSERT that the partial unique index activity_check_ins_open_uq decides (one
 * open check-in per member and activity, across processes); a check-out is one UPDATE that closes the open row and
 * computes its hours, then one upsert of the participation from all closed stays. The statements of the burst
 * (the activity, the member, the insert) are named, so PostgreSQL plans them once per connection.
 */

/** Hours are counted in steps of this many hundredths of an hour (0.25 h = 15 minutes), rounded down. */
export const HOURS_STEP_CENTS = 25
const STEP_SECONDS = 900

export interface CheckInActivity {
  id: string
  orgUnitId: string
  path: string
  status: 'open' | 'verified'
  /** A Date on pg, text on PGlite's untyped path: read with instantMs. */
  startsAt: Date | string
  endsAt: Date | string
  lengthCents: string
  createdBy: string
}

const ACTIVITY = {
  name: 'check_ins_activity',
  text: `select a.id, a.org_unit_id as "orgUnitId", u.path, a.status, a.starts_at as "startsAt",
                a.ends_at as "endsAt", a.length_cents as "lengthCents", a.created_by as "createdBy"
         from activities a join org_units u on u.id = a.org_unit_id where a.id = $1::uuid`,
}

export async function findActivity(tx: Db, id: string): Promise<CheckInActivity | undefined> {
  return (await prepared<CheckInActivity>(tx, ACTIVITY, [id]))[0]
}

export interface ServingMember {
  id: string
  name: string
  status: 'active' | 'inactive'
  /** Home unit's path first, then the 双报到 communities' (member_served_communities). */
  paths: string[]
}

const MEMBER = {
  name: 'check_ins_member',
  text: `select m.id, m.name, m.status,
                array[u.path] || coalesce((select array_agg(s.path order by s.path) from member_served_communities s
                                           where s.member_id = m.id), '{}') as paths
         from members m join org_units u on u.id = m.org_unit_id where m.id = $1::uuid`,
}

/** The member and the paths they serve under (the same rule as repo.memberLine), in one named statement. */
export async function findMember(tx: Db, id: string): Promise<ServingMember | undefined> {
  return (await prepared<ServingMember>(tx, MEMBER, [id]))[0]
}

interface CheckInRow {
  id: string
  activityId: string
  memberId: string
  checkedInAt: Date
  checkInMethod: CheckInMethod
  checkedInBy: string
  checkInReason: string | null
  checkedOutAt: Date | null
  checkOutMethod: CheckInMethod | null
  checkedOutBy: string | null
  checkOutReason: string | null
  hoursCents: string | null
}

const COLUMNS = `c.id, c.activity_id as "activityId", c.member_id as "memberId", c.checked_in_at as "checkedInAt",
  c.check_in_method as "checkInMethod", c.checked_in_by as "checkedInBy", c.check_in_reason as "checkInReason",
  c.checked_out_at as "checkedOutAt", c.check_out_method as "checkOutMethod", c.checked_out_by as "checkedOutBy",
  c.check_out_reason as "checkOutReason", c.hours_cents as "hoursCents"`

export function toCheckIn(r: CheckInRow, memberName: string): CheckIn {
  return {
    id: r.id,
    activityId: r.activityId,
    memberId: r.memberId,
    memberName,
    checkedInAt: formatInstant(r.checkedInAt),
    checkInMethod: r.checkInMethod,
    checkedInByUserId: r.checkedInBy,
    checkInReason: r.checkInReason,
    checkedOutAt: formatInstantOrNull(r.checkedOutAt),
    checkOutMethod: r.checkOutMethod,
    checkedOutByUserId: r.checkedOutBy,
    checkOutReason: r.checkOutReason,
    hours: r.hoursCents === null ? null : formatCents(r.hoursCents),
  }
}

/** The new open check-in, or undefined when the member already has one here (the partial unique index). */
export async function insertCheckIn(
  tx: Db,
  c: {
    activityId: string
    memberId: string
    at: Date
    method: CheckInMethod
    by: string
    reason: string | null
  },
  /** The audit event, as auditCall's SQL over the inserted row `c`: written by the same statement, or not at all. */
  audit: (row: SQL) => SQL,
): Promise<CheckInRow | undefined> {
  const found = await named<CheckInRow>(
    tx,
    'check_ins_insert',
    sql`with c as (
          insert into activity_check_ins as c (activity_id, member_id, checked_in_at, check_in_method, checked_in_by,
                                               check_in_reason)
          values (${c.activityId}::uuid, ${c.memberId}::uuid, ${c.at.toISOString()}::timestamptz, ${c.method},
                  ${c.by}::uuid, ${c.reason}::text)
          on conflict (activity_id, member_id) where checked_out_at is null do nothing
          returning ${sql.raw(COLUMNS)})
        select c.*, ${audit(sql`c`)} is not null as audited from c`,
  )
  return found[0]
}

/** When the member last left this activity (a staff check-in must not reach back into a closed stay). */
export async function lastCheckOut(
  tx: Db,
  activityId: string,
  memberId: string,
): Promise<Date | string | null> {
  const row = await one<{ at: Date | string | null }>(
    tx,
    sql`select max(checked_out_at) as at from activity_check_ins
        where activity_id = ${activityId} and member_id = ${memberId} and checked_out_at is not null`,
  )
  return row?.at ?? null
}

/**
 * Closes the member's open check-in at `at` and sets its hours: the stay clipped to the activity's
 * [startsAt, endsAt], whole quarter hours only (rounded down), so never beyond the activity's length. Undefined
 * when the member has no open check-in here.
 */
export async function closeCheckIn(
  tx: Db,
  c: {
    activityId: string
    memberId: string
    at: Date
    method: CheckInMethod
    by: string
    reason: string | null
  },
): Promise<CheckInRow | undefined> {
  const at = c.at.toISOString()
  return one<CheckInRow>(
    tx,
    sql`update activity_check_ins c
        set checked_out_at = ${at}::timestamptz, check_out_method = ${c.method}, checked_out_by = ${c.by},
            check_out_reason = ${c.reason},
            hours_cents = greatest(0, floor(extract(epoch from
                            least(${at}::timestamptz, a.ends_at) - greatest(c.checked_in_at, a.starts_at))
                          / ${STEP_SECONDS}))::bigint * ${HOURS_STEP_CENTS}
        from activities a
        where a.id = c.activity_id and c.activity_id = ${c.activityId} and c.member_id = ${c.memberId}
          and c.checked_out_at is null
        returning ${sql.raw(COLUMNS)}`,
  )
}

/**
 * The member's participation from all their closed stays here: their hours summed, at most the activity's length,
 * recorded by `by` (unverified until verifyActivity). Stays that add up to nothing write nothing (the table holds
 * hours > 0 only) and leave hours staff recorded as they are. Answers the participation's hours, if any.
 */
export async function participationFromStays(
  tx: Db,
  activityId: string,
  memberId: string,
  by: string,
): Promise<string | null> {
  const written = await one<{ hoursCents: string }>(
    tx,
    sql`insert into activity_participants (activity_id, member_id, hours_cents, recorded_by)
        select ${activityId}, ${memberId}, least(sum(c.hours_cents), a.length_cents), ${by}
        from activity_check_ins c join activities a on a.id = c.activity_id
        where c.activity_id = ${activityId} and c.member_id = ${memberId} and c.checked_out_at is not null
        group by a.length_cents
        having least(sum(c.hours_cents), a.length_cents) > 0
        on conflict (activity_id, member_id) do update
          set hours_cents = excluded.hours_cents, recorded_by = excluded.recorded_by, updated_at = now()
        returning hours_cents as "hoursCents"`,
  )
  if (written) return written.hoursCents
  const kept = await one<{ hoursCents: string }>(
    tx,
    sql`select hours_cents as "hoursCents" from activity_participants
        where activity_id = ${activityId} and member_id = ${memberId}`,
  )
  return kept?.hoursCents ?? null
}

export async function listCheckIns(
  tx: Db,
  activityId: string,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<(CheckInRow & { memberName: string; cursorAt: string })[]> {
  const conds = [sql`c.activity_id = ${activityId}`, ...where]
  if (after) conds.push(sql`(c.checked_in_at, c.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  return rows(
    tx,
    sql`select ${sql.raw(COLUMNS)}, m.name as "memberName", c.checked_in_at::text as "cursorAt"
        from activity_check_ins c join members m on m.id = c.member_id
        where ${sql.join(conds, sql` and `)}
        order by c.checked_in_at desc, c.id desc limit ${limit + 1}`,
  )
}
