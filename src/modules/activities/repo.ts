import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { ActivityVisibility } from '../../db/schema/activities'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { formatInstant, formatInstantOrNull } from '../../shared/time'
import type { Activity, Participant, ServiceHoursRecord } from './schemas'

export interface ActivityRow {
  id: string
  orgUnitId: string
  path: string
  teamId: string | null
  title: string
  rubricItemCode: string | null
  startsAt: Date
  endsAt: Date
  location: string | null
  lengthCents: string
  status: 'open' | 'verified'
  verifiedAt: Date | null
  verifiedBy: string | null
  createdAt: Date
  participantCount: string
  totalCents: string
  capacity: number | null
  signUpOpensAt: Date | null
  signUpClosesAt: Date | null
  visibility: ActivityVisibility
  confirmedCount: number
  /** starts_at as text, to the microsecond, for keyset cursors (a JS Date keeps only milliseconds). */
  cursorAt: string
}

export function toActivity(r: ActivityRow): Activity {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    teamId: r.teamId,
    title: r.title,
    rubricItemCode: r.rubricItemCode,
    startsAt: formatInstant(r.startsAt),
    endsAt: formatInstant(r.endsAt),
    location: r.location,
    lengthHours: formatCents(r.lengthCents),
    status: r.status,
    verifiedAt: r.verifiedAt ? formatInstant(r.verifiedAt) : null,
    verifiedByUserId: r.verifiedBy,
    participantCount: Number(r.participantCount),
    totalHours: formatCents(r.totalCents),
    capacity: r.capacity,
    signUpOpensAt: formatInstantOrNull(r.signUpOpensAt),
    signUpClosesAt: formatInstantOrNull(r.signUpClosesAt),
    visibility: r.visibility,
    confirmedCount: r.confirmedCount,
    createdAt: formatInstant(r.createdAt),
  }
}

const ACTIVITY_SELECT = sql`
  select a.id, a.org_unit_id as "orgUnitId", u.path, a.team_id as "teamId", a.title,
         a.rubric_item_code as "rubricItemCode", a.starts_at as "startsAt", a.ends_at as "endsAt",
         a.location, a.length_cents as "lengthCents", a.status, a.verified_at as "verifiedAt", a.verified_by as "verifiedBy",
         a.capacity, a.sign_up_opens_at as "signUpOpensAt", a.sign_up_closes_at as "signUpClosesAt",
         a.visibility, a.confirmed_count as "confirmedCount",
         a.created_at as "createdAt", a.starts_at::text as "cursorAt", agg.n as "participantCount", agg.total as "totalCents"
  from activities a
  join org_units u on u.id = a.org_unit_id
  cross join lateral (
    select count(*) as n, coalesce(sum(p.hours_cents), 0) as total
    from activity_participant_hours p where p.activity_id = a.id
  ) agg`

/** The activity, optionally locked (FOR SHARE keeps it from being verified while hours are written). */
export async function findActivity(
  tx: Db,
  id: string,
  lock?: 'share' | 'update',
): Promise<ActivityRow | undefined> {
  if (lock) {
    await tx.execute(
      lock === 'share'
        ? sql`select 1 from activities where id = ${id} for share`
        : sql`select 1 from activities where id = ${id} for update`,
    )
  }
  return one<ActivityRow>(tx, sql`${ACTIVITY_SELECT} where a.id = ${id}`)
}

export async function insertActivity(
  tx: Db,
  a: {
    orgUnitId: string
    teamId: string | null
    title: string
    rubricItemCode: string | null
    startsAt: Date
    endsAt: Date
    location: string | null
    createdBy: string
    capacity: number | null
    signUpOpensAt: Date | null
    signUpClosesAt: Date | null
    visibility: ActivityVisibility
  },
): Promise<string> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into activities (org_unit_id, team_id, title, rubric_item_code, starts_at, ends_at, location, created_by,
                                capacity, sign_up_opens_at, sign_up_closes_at, visibility)
        values (${a.orgUnitId}, ${a.teamId}, ${a.title}, ${a.rubricItemCode}, ${a.startsAt.toISOString()},
                ${a.endsAt.toISOString()}, ${a.location}, ${a.createdBy}, ${a.capacity},
                ${a.signUpOpensAt?.toISOString() ?? null}, ${a.signUpClosesAt?.toISOString() ?? null}, ${a.visibility})
        returning id`,
  )
  return row!.id
}

export async function listActivities(
  tx: Db,
  where: SQL[],
  after: [string, string] | undefined,
  limit: number,
): Promise<ActivityRow[]> {
  const conds = [...where]
  if (after) conds.push(sql`(a.starts_at, a.id) < (${after[0]}::timestamptz, ${after[1]}::uuid)`)
  return rows<ActivityRow>(
    tx,
    sql`${ACTIVITY_SELECT} where ${sql.join(conds, sql` and `)}
        order by a.starts_at desc, a.id desc limit ${limit + 1}`,
  )
}

interface ParticipantRow {
  activityId: string
  memberId: string
  memberName: string
  hoursCents: string
  recordedCents: string
  corrections: string
  status: string
  recordedAt: Date
}

function toParticipant(r: ParticipantRow): Participant {
  const verified = r.status === 'verified'
  return {
    activityId: r.activityId,
    memberId: r.memberId,
    memberName: r.memberName,
    hours: formatCents(r.hoursCents),
    verified,
    verifiedHours: verified ? formatCents(r.recordedCents) : null,
    corrections: Number(r.corrections),
    recordedAt: formatInstant(r.recordedAt),
  }
}

// `hours` is the current figure (更正: the newest correction, else as recorded), `verifiedHours` as verified
// (activity_participant_hours, src/db/sql/activities.sql).
const PARTICIPANT_SELECT = sql`
  select p.activity_id as "activityId", p.member_id as "memberId", m.name as "memberName",
         h.hours_cents as "hoursCents", p.hours_cents as "recordedCents", h.corrections, a.status,
         p.updated_at as "recordedAt"
  from activity_participants p
  join activity_participant_hours h on h.activity_id = p.activity_id and h.member_id = p.member_id
  join members m on m.id = p.member_id
  join activities a on a.id = p.activity_id`

export async function participants(tx: Db, activityId: string): Promise<Participant[]> {
  const found = await rows<ParticipantRow>(
    tx,
    sql`${PARTICIPANT_SELECT} where p.activity_id = ${activityId} order by m.name, p.member_id`,
  )
  return found.map(toParticipant)
}

export async function isParticipant(tx: Db, activityId: string, memberId: string | null): Promise<boolean> {
  if (!memberId) return false
  return !!(await one(
    tx,
    sql`select 1 from activity_participants where activity_id = ${activityId} and member_id = ${memberId}`,
  ))
}

/** Inserts or replaces one member's hours; tells whether the row is new and what it held before. */
export async function upsertParticipant(
  tx: Db,
  p: { activityId: string; memberId: string; hoursCents: number; recordedBy: string },
): Promise<{ participant: Participant; created: boolean; beforeCents: number | null }> {
  const before = await one<{ hoursCents: string }>(
    tx,
    sql`select hours_cents as "hoursCents" from activity_participants
        where activity_id = ${p.activityId} and member_id = ${p.memberId} for update`,
  )
  await tx.execute(
    sql`insert into activity_participants (activity_id, member_id, hours_cents, recorded_by)
        values (${p.activityId}, ${p.memberId}, ${p.hoursCents}, ${p.recordedBy})
        on conflict (activity_id, member_id) do update
          set hours_cents = excluded.hours_cents, recorded_by = excluded.recorded_by, updated_at = now()`,
  )
  const row = await one<ParticipantRow>(
    tx,
    sql`${PARTICIPANT_SELECT} where p.activity_id = ${p.activityId} and p.member_id = ${p.memberId}`,
  )
  return {
    participant: toParticipant(row!),
    created: !before,
    beforeCents: before ? centsFromDb(before.hoursCents) : null,
  }
}

/** Removes one member's hours; the hours removed, or null when there were none. */
export async function deleteParticipant(
  tx: Db,
  activityId: string,
  memberId: string,
): Promise<number | null> {
  const row = await one<{ hoursCents: string }>(
    tx,
    sql`delete from activity_participants where activity_id = ${activityId} and member_id = ${memberId}
        returning hours_cents as "hoursCents"`,
  )
  return row ? centsFromDb(row.hoursCents) : null
}

/** open > verified, once: the WHERE makes a second (or racing) verification update nothing. */
export async function markVerified(tx: Db, id: string, userId: string): Promise<boolean> {
  const row = await one(
    tx,
    sql`update activities set status = 'verified', verified_at = now(), verified_by = ${userId}
        where id = ${id} and status = 'open' returning id`,
  )
  return !!row
}

export interface MemberLine {
  id: string
  name: string
  orgUnitId: string
  phone: string | null
  status: 'active' | 'inactive'
  /** Home unit's path first, then the paths of communities the member registered with (双报到). */
  paths: string[]
  registrations: { orgUnitId: string; path: string }[]
}

/**
 * A member with the units they belong to. Reads the members module's tables directly: that module has no
 * service function for "which units does this member serve" yet (say so before the next refactor).
 */
export async function memberLine(tx: Db, memberId: string): Promise<MemberLine | undefined> {
  const row = await one<Omit<MemberLine, 'paths'> & { path: string }>(
    tx,
    sql`select m.id, m.name, m.org_unit_id as "orgUnitId", m.phone, m.status, u.path,
               coalesce((select json_agg(json_build_object('orgUnitId', s.org_unit_id, 'path', s.path)
                                         order by s.path)
                         from member_served_communities s where s.member_id = m.id), '[]'::json) as registrations
        from members m join org_units u on u.id = m.org_unit_id where m.id = ${memberId}`,
  )
  if (!row) return undefined
  const { path, ...rest } = row
  return { ...rest, paths: [path, ...rest.registrations.map((r) => r.path)] }
}

/** The team's unit path (teams belong to the members module; read-only lookup). */
export async function teamPath(tx: Db, teamId: string): Promise<string | undefined> {
  const row = await one<{ path: string }>(
    tx,
    sql`select u.path from teams t join org_units u on u.id = t.org_unit_id where t.id = ${teamId}`,
  )
  return row?.path
}

interface HoursRow {
  date: string
  source: 'activity' | 'service_request'
  sourceId: string
  title: string
  orgUnitId: string
  hoursCents: string
}

/**
 * A member's verified hours records in a period of service-zone dates (either end may be open); with `withinPath`,
 * only those recorded by a unit of that subtree (谁记录谁证明: what a unit may certify).
 */
export async function verifiedRecords(
  tx: Db,
  memberId: string,
  from: string | null,
  to: string | null,
  withinPath?: string,
): Promise<(ServiceHoursRecord & { hoursCents: number })[]> {
  const conds = [sql`v.member_id = ${memberId}`]
  if (from) conds.push(sql`v.occurred_at >= ${from}::date`)
  if (to) conds.push(sql`v.occurred_at < ${to}::date + 1`)
  if (withinPath !== undefined) {
    conds.push(
      sql`exists (select 1 from org_units ru where ru.id = v.org_unit_id and ru.path like ${`${withinPath}%`})`,
    )
  }
  const found = await rows<HoursRow>(
    tx,
    sql`select to_char(v.occurred_at::date, 'YYYY-MM-DD') as date, v.source, v.source_id as "sourceId",
               v.title, v.org_unit_id as "orgUnitId", v.hours_cents as "hoursCents"
        from verified_service_hours v
        where ${sql.join(conds, sql` and `)}
        order by v.occurred_at, v.source_id`,
  )
  return found.map((r) => ({
    date: r.date,
    source: r.source,
    sourceId: r.sourceId,
    title: r.title,
    orgUnitId: r.orgUnitId,
    hours: formatCents(r.hoursCents),
    hoursCents: centsFromDb(r.hoursCents),
  }))
}
