import { sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { type Caller, requireUnitInScope } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { formatInstant } from '../../shared/time'
import { activitiesPage, inactivePage, rewardsPage, teamMemberIds, teamsPage } from './breakdowns-repo'
import { planPeriod } from './domain'
import { earnedOf, earningPostingOf } from './repo'
import type {
  ActivityTotals,
  InactiveMember,
  PeriodPageQuery,
  RewardTotals,
  TeamTotals,
  YearPageQuery,
} from './schemas'
import { checkPeriod, type PageOpts, REPORT_ROLES, type ReportPage } from './service'

/** The breakdown reports: one row per team, activity, reward or member of a subtree, keyset-paged. */

function limitOf(q: { limit?: number }, opts: PageOpts): number | null {
  return opts.all ? null : pageLimit(q.limit)
}

/** Teams under the unit: members, activities held and verified hours at them, points their members earned. */
export async function getHoursPointsByTeam(
  db: Db,
  caller: Caller,
  q: PeriodPageQuery,
  timeZone: string,
  opts: PageOpts = {},
): Promise<ReportPage<TeamTotals>> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  const range = { from: q.from ?? null, to: q.to ?? null }
  checkPeriod(range.from, range.to)
  const limit = limitOf(q, opts)
  const key = opts.all ? undefined : decodeCursor(q.cursor, ['text', 'uuid'])
  const fetched = await teamsPage(
    db,
    unit.path,
    range,
    key && { name: key[0], id: key[1] },
    limit === null ? null : limit + 1,
  )
  const ids = fetched.map((t) => t.teamId)
  const members = await teamMemberIds(db, ids)
  const all = [...new Set([...members.values()].flat())]
  const earned =
    all.length === 0
      ? new Map<string, number>()
      : await earnedOf(
          db,
          sql`select unnest(${`{${all.join(',')}}`}::uuid[])`,
          planPeriod(range.from, range.to),
          timeZone,
        )
  return toPage(
    fetched,
    limit ?? fetched.length,
    (t) => [t.name, t.teamId],
    (t) => {
      let points = 0
      for (const m of members.get(t.teamId) ?? []) points += earned.get(m) ?? 0
      return {
        teamId: t.teamId,
        name: t.name,
        orgUnitId: t.orgUnitId,
        members: t.members,
        activities: t.activities,
        hours: formatCents(t.hoursCents),
        points: formatCents(points),
      }
    },
  )
}

/** Activities held under the unit in the period, in order of start, with hours and the points they led to. */
export async function getHoursPointsByActivity(
  db: Db,
  caller: Caller,
  q: PeriodPageQuery,
  timeZone: string,
  opts: PageOpts = {},
): Promise<ReportPage<ActivityTotals>> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  const range = { from: q.from ?? null, to: q.to ?? null }
  checkPeriod(range.from, range.to)
  const limit = limitOf(q, opts)
  const key = opts.all ? undefined : decodeCursor(q.cursor, ['timestamp', 'uuid'])
  const fetched = await activitiesPage(
    db,
    unit.path,
    range,
    key && { startsAt: key[0], id: key[1] },
    limit === null ? null : limit + 1,
  )
  return toPage(
    fetched,
    limit ?? fetched.length,
    (a) => [a.startsAt.toISOString(), a.activityId],
    (a) => ({
      activityId: a.activityId,
      title: a.title,
      orgUnitId: a.orgUnitId,
      teamId: a.teamId,
      startsAt: formatInstant(a.startsAt, timeZone),
      status: a.status,
      participants: a.participants,
      hours: formatCents(a.hoursCents),
      points: formatCents(a.pointsCents),
    }),
  )
}

/** Rewards of the offices under the unit, zero included, with what was handed out in the period. */
export async function getRedemptionsByReward(
  db: Db,
  caller: Caller,
  q: PeriodPageQuery,
  _timeZone: string,
  opts: PageOpts = {},
): Promise<ReportPage<RewardTotals>> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  const range = { from: q.from ?? null, to: q.to ?? null }
  checkPeriod(range.from, range.to)
  const limit = limitOf(q, opts)
  const key = opts.all ? undefined : decodeCursor(q.cursor, ['text', 'uuid'])
  const fetched = await rewardsPage(
    db,
    unit.path,
    range,
    key && { name: key[0], id: key[1] },
    limit === null ? null : limit + 1,
  )
  return toPage(
    fetched,
    limit ?? fetched.length,
    (r) => [r.name, r.rewardId],
    (r) => ({
      rewardId: r.rewardId,
      name: r.name,
      orgUnitId: r.orgUnitId,
      pointsCost: formatCents(r.pointsCostCents),
      redemptions: r.redemptions,
      quantity: r.quantity,
      points: formatCents(r.pointsCents),
    }),
  )
}

/** Active members under the unit with no verified hours and no points earned in the service-zone year. */
export async function listInactiveMembers(
  db: Db,
  caller: Caller,
  q: YearPageQuery,
  timeZone: string,
  opts: PageOpts = {},
): Promise<ReportPage<InactiveMember>> {
  const unit = await requireUnitInScope(db, caller, q.orgUnitId, REPORT_ROLES)
  const year = { from: `${q.year}-01-01`, to: `${q.year}-12-31` }
  const limit = limitOf(q, opts)
  const key = opts.all ? undefined : decodeCursor(q.cursor, ['text', 'uuid'])
  const plan = planPeriod(year.from, year.to)
  const fetched = await inactivePage(
    db,
    unit.path,
    year,
    earningPostingOf(sql`m.id`, plan, timeZone),
    key && { name: key[0], id: key[1] },
    limit === null ? null : limit + 1,
  )
  return toPage(fetched, limit ?? fetched.length, (m) => [m.name, m.memberId])
}
