import { type SQL, sql } from 'drizzle-orm'
import { type Db, rows } from '../../db/client'
import { centsFromDb } from '../../shared/decimal'
import { hoursFromRollupsGrouped } from '../activities'

/**
 * Read-only queries for the breakdown reports (by team, by activity, by month, by reward, inactive
 * members). Like repo.ts they read other modules' tables directly, one aggregate per page, keyset
 * pagination on the order shown. Hours are verified hours (the activities module's
 * verified_service_hours view); dates are service-zone dates (every connection runs in that zone, so
 * `::date` and date_trunc agree with the API).
 */

export interface DateRange {
  from: string | null
  /** Inclusive. */
  to: string | null
}

function onDates(col: SQL, r: DateRange): SQL {
  const conds = [sql`true`]
  if (r.from) conds.push(sql`${col} >= ${r.from}::date`)
  if (r.to) conds.push(sql`${col} < ${r.to}::date + 1`)
  return sql.join(conds, sql` and `)
}

const under = (path: string) => `${path}%`

// --- by team -----------------------------------------------------------------------------------------

export interface TeamRow {
  teamId: string
  name: string
  orgUnitId: string
  members: number
  activities: number
  hoursCents: number
}

/** Teams under the subtree, by (name, id): current members, their activities held and verified hours there. */
export async function teamsPage(
  db: Db,
  unitPath: string,
  range: DateRange,
  after: { name: string; id: string } | undefined,
  limit: number | null,
): Promise<TeamRow[]> {
  const found = await rows<Record<keyof TeamRow, string>>(
    db,
    sql`select t.id as "teamId", t.name, t.org_unit_id as "orgUnitId",
               (select count(*) from team_members tm where tm.team_id = t.id) as members,
               (select count(*) from activities a where a.team_id = t.id and ${onDates(sql`a.starts_at`, range)}) as activities,
               (select coalesce(sum(p.hours_cents), 0) from activities a
                  join activity_participant_hours p on p.activity_id = a.id
                 where a.team_id = t.id and a.status = 'verified' and ${onDates(sql`a.starts_at`, range)}) as "hoursCents"
        from teams t join org_units u on u.id = t.org_unit_id
        where u.path like ${under(unitPath)}
          ${after ? sql`and (t.name, t.id) > (${after.name}, ${after.id}::uuid)` : sql``}
        order by t.name, t.id
        ${limit === null ? sql`` : sql`limit ${limit}`}`,
  )
  return found.map((r) => ({
    teamId: r.teamId,
    name: r.name,
    orgUnitId: r.orgUnitId,
    members: Number(r.members),
    activities: Number(r.activities),
    hoursCents: centsFromDb(r.hoursCents),
  }))
}

/** Net points per team over its current members, given each member's points in the period. */
export async function teamMemberIds(db: Db, teamIds: string[]): Promise<Map<string, string[]>> {
  if (teamIds.length === 0) return new Map()
  const found = await rows<{ teamId: string; memberId: string }>(
    db,
    sql`select team_id as "teamId", member_id as "memberId" from team_members
        where team_id in (${sql.join(
          teamIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})`,
  )
  const out = new Map<string, string[]>()
  for (const r of found) out.set(r.teamId, [...(out.get(r.teamId) ?? []), r.memberId])
  return out
}

// --- by activity -------------------------------------------------------------------------------------

export interface ActivityRow {
  activityId: string
  title: string
  orgUnitId: string
  teamId: string | null
  startsAt: Date
  status: 'open' | 'verified'
  participants: number
  hoursCents: number
  pointsCents: number
}

/**
 * Activities held in the subtree in the period, by (startsAt, id). hours: verified hours (0 until
 * verified); points: net points posted for claims that name the activity as evidence, with their
 * reversals, whenever posted.
 */
export async function activitiesPage(
  db: Db,
  unitPath: string,
  range: DateRange,
  after: { startsAt: string; id: string } | undefined,
  limit: number | null,
): Promise<ActivityRow[]> {
  const found = await rows<Record<keyof ActivityRow, string>>(
    db,
    sql`with page as (
          select a.id, a.title, a.org_unit_id, a.team_id, a.starts_at, a.status
          from activities a join org_units u on u.id = a.org_unit_id
          where u.path like ${under(unitPath)} and ${onDates(sql`a.starts_at`, range)}
            ${after ? sql`and (a.starts_at, a.id) > (${after.startsAt}::timestamptz, ${after.id}::uuid)` : sql``}
          order by a.starts_at, a.id
          ${limit === null ? sql`` : sql`limit ${limit}`}),
        posted as (
          select ce.ref_id as activity_id, t.id, t.account_id
          from claim_evidence ce
          join ledger_transactions t on t.reference_type = 'claim' and t.reference_id = ce.claim_id
          where ce.ref_kind = 'activity' and ce.ref_id in (select id from page)),
        moved as (
          select activity_id, id, account_id from posted
          union all
          select p.activity_id, r.id, r.account_id from posted p
          join ledger_transactions r on r.kind = 'reversal' and r.reference_id = p.id),
        points as (
          select m.activity_id, sum(e.amount) as cents
          from moved m join ledger_entries e on e.transaction_id = m.id and e.account_id = m.account_id
          group by m.activity_id)
        select page.id as "activityId", page.title, page.org_unit_id as "orgUnitId", page.team_id as "teamId",
               page.starts_at as "startsAt", page.status,
               (select count(*) from activity_participants p where p.activity_id = page.id) as participants,
               case when page.status = 'verified'
                    then (select coalesce(sum(p.hours_cents), 0) from activity_participant_hours p
                          where p.activity_id = page.id) else 0 end as "hoursCents",
               coalesce(points.cents, 0) as "pointsCents"
        from page left join points on points.activity_id = page.id
        order by page.starts_at, page.id`,
  )
  return found.map((r) => ({
    activityId: r.activityId,
    title: r.title,
    orgUnitId: r.orgUnitId,
    teamId: r.teamId,
    startsAt: new Date(r.startsAt),
    status: r.status as 'open' | 'verified',
    participants: Number(r.participants),
    hoursCents: centsFromDb(r.hoursCents),
    pointsCents: centsFromDb(r.pointsCents),
  }))
}

// --- by month: activities and hours ------------------------------------------------------------------

export interface HoursMonth {
  activities: number
  volunteers: number
  serviceHoursCents: number
  serviceRequestsConfirmed: number
}

/**
 * Per service-zone month ('YYYY-MM') of the range, the summary's hours figures, counted as getSummary
 * does (activities held in the subtree; hours that took place there or of members whose home unit lies
 * there).
 */
export async function hoursByMonth(
  db: Db,
  unitPath: string,
  range: DateRange,
  rollups = false,
): Promise<Map<string, HoursMonth>> {
  const like = under(unitPath)
  const out = new Map<string, HoursMonth>()
  if (rollups) {
    // The rollups (see hoursFromRollupsGrouped), cut in this connection's zone: a city's year is its own
    // ~365 rows per figure instead of its 132,000 activities and 1.8 M participations.
    for (const [month, h] of await hoursFromRollupsGrouped(db, unitPath, range.from, range.to, true)) {
      out.set(month, h)
    }
    return out
  }
  const acts = await rows<{ month: string; n: string }>(
    db,
    sql`select to_char(a.starts_at, 'YYYY-MM') as month, count(*) as n
        from activities a join org_units u on u.id = a.org_unit_id
        where u.path like ${like} and ${onDates(sql`a.starts_at`, range)}
        group by 1`,
  )
  const get = (month: string) => {
    let row = out.get(month)
    if (!row) {
      row = { activities: 0, volunteers: 0, serviceHoursCents: 0, serviceRequestsConfirmed: 0 }
      out.set(month, row)
    }
    return row
  }
  for (const a of acts) get(a.month).activities = Number(a.n)
  // As hoursSummary (activities/reporting.ts): the tables in two index-driven halves, work done in the
  // subtree plus work done elsewhere by its members, never an OR across the view's joins.
  const inAct = onDates(sql`a.starts_at`, range)
  const inReq = onDates(sql`r.completed_at`, range)
  const hours = await rows<{ month: string; volunteers: string; cents: string; requests: string }>(
    db,
    sql`with units as materialized (select id from org_units where path like ${like}),
        homed as materialized (select m.id from members m where m.org_unit_id in (select id from units)),
        recs as (
          select p.member_id, p.hours_cents, false as request, a.starts_at as at
          from activities a join activity_participant_hours p on p.activity_id = a.id
          where a.org_unit_id in (select id from units) and a.status = 'verified' and ${inAct}
          union all
          select r.member_id, r.hours_cents, true, r.completed_at from service_requests r
          where r.org_unit_id in (select id from units) and r.status = 'confirmed' and ${inReq}
          union all
          select p.member_id, p.hours_cents, false, a.starts_at
          from homed h join activity_participant_hours p on p.member_id = h.id join activities a on a.id = p.activity_id
          where a.org_unit_id not in (select id from units) and a.status = 'verified' and ${inAct}
          union all
          select r.member_id, r.hours_cents, true, r.completed_at from homed h join service_requests r on r.member_id = h.id
          where r.org_unit_id not in (select id from units) and r.status = 'confirmed' and ${inReq})
        select to_char(at, 'YYYY-MM') as month, count(distinct member_id) as volunteers,
               sum(hours_cents) as cents, count(*) filter (where request) as requests
        from recs group by 1`,
  )
  for (const h of hours) {
    const row = get(h.month)
    row.volunteers = Number(h.volunteers)
    row.serviceHoursCents = centsFromDb(h.cents)
    row.serviceRequestsConfirmed = Number(h.requests)
  }
  return out
}

// --- redemptions by reward ---------------------------------------------------------------------------

export interface RewardRow {
  rewardId: string
  name: string
  orgUnitId: string
  pointsCostCents: number
  redemptions: number
  quantity: number
  pointsCents: number
}

/** Rewards of the offices in the subtree, by (name, id), with what was handed out (fulfilled) in the period. */
export async function rewardsPage(
  db: Db,
  unitPath: string,
  range: DateRange,
  after: { name: string; id: string } | undefined,
  limit: number | null,
): Promise<RewardRow[]> {
  const found = await rows<Record<keyof RewardRow, string>>(
    db,
    sql`select w.id as "rewardId", w.name, w.org_unit_id as "orgUnitId", w.points_cost as "pointsCostCents",
               coalesce(f.n, 0) as redemptions, coalesce(f.quantity, 0) as quantity,
               coalesce(f.cents, 0) as "pointsCents"
        from rewards w join org_units u on u.id = w.org_unit_id
        left join lateral (
          select count(*) as n, sum(r.quantity) as quantity, sum(r.amount) as cents from redemptions r
          where r.reward_id = w.id and r.status = 'fulfilled' and ${onDates(sql`r.fulfilled_at`, range)}) f on true
        where u.path like ${under(unitPath)}
          ${after ? sql`and (w.name, w.id) > (${after.name}, ${after.id}::uuid)` : sql``}
        order by w.name, w.id
        ${limit === null ? sql`` : sql`limit ${limit}`}`,
  )
  return found.map((r) => ({
    rewardId: r.rewardId,
    name: r.name,
    orgUnitId: r.orgUnitId,
    pointsCostCents: centsFromDb(r.pointsCostCents),
    redemptions: Number(r.redemptions),
    quantity: Number(r.quantity),
    pointsCents: centsFromDb(r.pointsCents),
  }))
}

// --- inactive members --------------------------------------------------------------------------------

export interface InactiveRow {
  memberId: string
  name: string
  orgUnitId: string
  orgUnitName: string
  phone: string | null
}

/**
 * Active members whose home unit lies in the subtree with, in the year, no verified service hours and no
 * earning posting (scoring result, deduction, adjustment or reversal). By (name, id).
 * `earnedIn` says how to find an earning posting of member `m` in the year (rollup or raw).
 */
export async function inactivePage(
  db: Db,
  unitPath: string,
  year: { from: string; to: string },
  earnedIn: SQL,
  after: { name: string; id: string } | undefined,
  limit: number | null,
): Promise<InactiveRow[]> {
  // Members without an earning posting first (rollup probes, cheap), then the hours check only for those:
  // left to itself the planner hashes every verified hour of the city to anti-join a county's members.
  return rows<InactiveRow>(
    db,
    sql`with c as materialized (
          select m.id, m.name, m.org_unit_id, u.name as unit_name, m.phone
          from members m join org_units u on u.id = m.org_unit_id
          where u.path like ${under(unitPath)} and m.status = 'active'
            ${after ? sql`and (m.name, m.id) > (${after.name}, ${after.id}::uuid)` : sql``}
            and not exists (${earnedIn}))
        select c.id as "memberId", c.name, c.org_unit_id as "orgUnitId", c.unit_name as "orgUnitName", c.phone
        from c
        where not exists (select 1 from activity_participants p join activities a on a.id = p.activity_id
                          where p.member_id = c.id and a.status = 'verified' and ${onDates(sql`a.starts_at`, year)})
          and not exists (select 1 from service_requests r
                          where r.member_id = c.id and r.status = 'confirmed' and ${onDates(sql`r.completed_at`, year)})
        order by c.name, c.id
        ${limit === null ? sql`` : sql`limit ${limit}`}`,
  )
}
