import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import type { Static, TObject, TSchema } from 'typebox'
import type { Caller } from '../../shared/authz'
import {
  acceptNote,
  alsoAnswers,
  type CsvColumn,
  csvFileResponse,
  sendCsv,
  toCsv,
  wantsCsv,
  withoutPaging,
} from '../../shared/csv'
import { Page, problems } from '../../shared/schemas'
import {
  getHoursPointsByActivity,
  getHoursPointsByTeam,
  getRedemptionsByReward,
  listInactiveMembers,
} from './breakdowns'
import { printRoutes } from './print-routes'
import {
  ActivityTotals,
  InactiveMember,
  MonthTotals,
  PeriodPageQuery,
  RankingItem,
  RankingQuery,
  RewardTotals,
  Summary,
  SummaryQuery,
  TeamTotals,
  YearPageQuery,
} from './schemas'
import { getMonthlyTotals, getRanking, getSummary } from './service'
import { getMyStanding, getStandings } from './standings'
import { MyStanding, MyStandingQuery } from './standings-schemas'

const tags = ['reports']
const PERIOD_NOTE = '`from`/`to` are service-zone dates, both included, either may be left open.'

type ReportPage<T> = { items: T[]; nextCursor: string | null }

/**
 * A paged report: the JSON operation (a page, keyset cursor) at `/reports/<name>` and its file twin at
 * `/reports/<name>.csv` (every row, the same query without paging), both answered by the same service call.
 */
interface PagedReport<Q extends TObject, T> {
  name: string
  operationId: string
  csvOperationId: string
  summary: string
  description: string
  query: Q
  item: TSchema
  run: (caller: Caller, query: Static<Q>, opts: { all?: boolean }) => Promise<ReportPage<T>>
  filename: (query: Static<Q>) => string
  columns: CsvColumn<T>[]
}

const SUMMARY_COLUMNS: CsvColumn<Summary>[] = [
  { header: '活动数 activities', value: (r) => r.activities },
  { header: '志愿者 volunteers', value: (r) => r.volunteers },
  { header: '服务时长 serviceHours', value: (r) => r.serviceHours },
  { header: '完成服务单 serviceRequestsCompleted', value: (r) => r.serviceRequestsCompleted },
  { header: '发放积分 pointsIssued', value: (r) => r.pointsIssued },
  { header: '扣减积分 pointsDeducted', value: (r) => r.pointsDeducted },
  { header: '兑换积分 pointsRedeemed', value: (r) => r.pointsRedeemed },
  { header: '兑换次数 redemptions', value: (r) => r.redemptions },
]

export const reportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tz = () => app.settings.timezone
  // 双报告 and the printable ranking and standings (print-routes.ts).
  await app.register(printRoutes)

  function pagedReport<Q extends TObject, T>(r: PagedReport<Q, T>) {
    const path = `/reports/${r.name}`
    const csv = async (caller: Caller, query: Static<Q>, reply: FastifyReply) => {
      const { items } = await r.run(caller, query, { all: true })
      return sendCsv(reply, r.filename(query), toCsv(r.columns, items))
    }
    app.get(
      path,
      {
        schema: {
          tags,
          operationId: r.operationId,
          summary: r.summary,
          description: r.description + acceptNote('text/csv', `/api/v1${path}.csv`),
          ...alsoAnswers('text/csv', r.csvOperationId),
          querystring: r.query,
          response: { 200: Page(r.item), ...problems(400, 403, 404) },
        },
      },
      async (request, reply) => {
        const query = request.query as Static<Q>
        if (wantsCsv(request)) return csv(request.caller, query, reply)
        return r.run(request.caller, query, {})
      },
    )
    app.get(
      `${path}.csv`,
      {
        schema: {
          tags,
          operationId: r.csvOperationId,
          summary: `${r.summary}: every row as CSV`,
          description: `Every row of ${r.operationId} (the same access and query, no paging), as one file.`,
          querystring: withoutPaging(r.query),
          response: { 200: csvFileResponse('The whole report'), ...problems(400, 403, 404) },
        },
      },
      async (request, reply) => csv(request.caller, request.query as Static<Q>, reply),
    )
  }

  pagedReport({
    name: 'ranking',
    operationId: 'getRanking',
    csvOperationId: 'exportRankingCsv',
    summary: 'Year-end ranking of a unit subtree by net points earned, with verified hours',
    description:
      'Every member whose home unit lies in the subtree, zero included. points = scoring results, ' +
      'deductions, adjustments and their reversals posted in the year (service time zone); redemptions ' +
      'do not count. hours = verified hours of the year. Ties share a rank (1, 2, 2, 4) and are listed by ' +
      'hours (most first), then name.',
    query: RankingQuery,
    item: RankingItem,
    run: (caller, query, opts) => getRanking(app.readDb, caller, query, opts),
    filename: (query) => `ranking-${query.year}.csv`,
    columns: [
      { header: '排名 rank', value: (r) => r.rank },
      { header: '姓名 name', value: (r) => r.name },
      { header: '积分 points', value: (r) => r.points },
      { header: '服务时长 hours', value: (r) => r.hours },
      { header: '等次 grade', value: (r) => r.grade },
      { header: 'memberId', value: (r) => r.memberId },
    ],
  })

  pagedReport({
    name: 'standings',
    operationId: 'getStandings',
    csvOperationId: 'exportStandingsCsv',
    summary: "亮积分: a branch's standings for a year, for its members as well as its secretaries",
    description:
      'The ranking of the branch (the same order and figures as getRanking: net points of the year, then ' +
      "verified hours, name) with each member's grade (等次, from the grades their home unit inherits). Read " +
      'by staff over the unit as getRanking, and by any member whose home unit lies in it when it is a branch ' +
      "or below (a member of another branch, or asking for a unit above their branch: 404). Where the unit's " +
      'setting standingsVisibleToMembers is false, members get 403 (staff still read it).',
    query: RankingQuery,
    item: RankingItem,
    run: (caller, query, opts) => getStandings(app.readDb, caller, query, opts),
    filename: (query) => `standings-${query.year}.csv`,
    columns: [
      { header: '排名 rank', value: (r) => r.rank },
      { header: '姓名 name', value: (r) => r.name },
      { header: '积分 points', value: (r) => r.points },
      { header: '服务时长 hours', value: (r) => r.hours },
      { header: '等次 grade', value: (r) => r.grade },
      { header: 'memberId', value: (r) => r.memberId },
    ],
  })

  app.get(
    '/me/standing',
    {
      schema: {
        tags,
        operationId: 'getMyStanding',
        summary: "The caller's own standing for a year: rank in the branch, points, grade, next grade, star",
        description:
          "The member's rank among their branch (the nearest branch at or above their home unit) as getStandings " +
          "orders it, the year's net points and verified hours, the grade reached, the next grade and the points " +
          'still missing to it, and the volunteer star of their cumulative verified hours. Where ' +
          'standingsVisibleToMembers is false, rank is null. A caller without a member record: 403.',
        querystring: MyStandingQuery,
        response: { 200: MyStanding, ...problems(400, 403) },
      },
    },
    async (request) => getMyStanding(app.readDb, request.caller, request.query),
  )

  /** The summary as a one-row CSV: getSummary's figures (same access and period). */
  const summaryCsv = async (caller: Caller, query: SummaryQuery, reply: FastifyReply) => {
    const summary = await getSummary(app.readDb, caller, query)
    const { from, to } = query
    return sendCsv(reply, `summary-${from ?? 'start'}-${to ?? 'now'}.csv`, toCsv(SUMMARY_COLUMNS, [summary]))
  }

  app.get(
    '/reports/summary',
    {
      schema: {
        tags,
        operationId: 'getSummary',
        summary: "Figures for a unit's subtree over a period",
        description:
          `${PERIOD_NOTE} activities: held ` +
          '(started) in the period; volunteers: distinct members with verified hours; serviceHours: verified ' +
          'hours of activities and confirmed requests; serviceRequestsCompleted: requests confirmed; ' +
          'pointsIssued / pointsDeducted: positive / negative postings of scoring and adjustments (and ' +
          'their reversals) to members of the subtree, both as positive amounts; pointsRedeemed / ' +
          'redemptions: points and count of redemptions fulfilled for members of the subtree (home unit).' +
          acceptNote('text/csv', '/api/v1/reports/summary.csv'),
        ...alsoAnswers('text/csv', 'exportSummaryCsv'),
        querystring: SummaryQuery,
        response: { 200: Summary, ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => {
      if (wantsCsv(request)) return summaryCsv(request.caller, request.query, reply)
      return getSummary(app.readDb, request.caller, request.query)
    },
  )

  app.get(
    '/reports/summary.csv',
    {
      schema: {
        tags,
        operationId: 'exportSummaryCsv',
        summary: "getSummary's figures as a one-row CSV",
        description: 'The figures of getSummary (the same access and period) under a header row.',
        querystring: SummaryQuery,
        response: { 200: csvFileResponse('The figures, one row'), ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => summaryCsv(request.caller, request.query, reply),
  )

  pagedReport({
    name: 'by-team',
    operationId: 'getHoursPointsByTeam',
    csvOperationId: 'exportHoursPointsByTeamCsv',
    summary: 'Hours and points by volunteer team under a unit',
    description:
      `Every team whose unit lies in the subtree, zero included, by name. ${PERIOD_NOTE} members: ` +
      "current members; activities: the team's activities held (started) in the period; hours: verified " +
      "hours served at them; points: net points earned in the period by the team's current members " +
      '(scoring results, deductions, adjustments and their reversals; redemptions do not count).',
    query: PeriodPageQuery,
    item: TeamTotals,
    run: (caller, query, opts) => getHoursPointsByTeam(app.readDb, caller, query, tz(), opts),
    filename: () => 'hours-points-by-team.csv',
    columns: [
      { header: '服务队 team', value: (r) => r.name },
      { header: '队员 members', value: (r) => r.members },
      { header: '活动数 activities', value: (r) => r.activities },
      { header: '服务时长 hours', value: (r) => r.hours },
      { header: '积分 points', value: (r) => r.points },
      { header: 'teamId', value: (r) => r.teamId },
      { header: 'orgUnitId', value: (r) => r.orgUnitId },
    ],
  })

  pagedReport({
    name: 'by-activity',
    operationId: 'getHoursPointsByActivity',
    csvOperationId: 'exportHoursPointsByActivityCsv',
    summary: 'Hours and points by activity under a unit',
    description:
      `Activities held (started) in the subtree in the period, in order of start. ${PERIOD_NOTE} ` +
      'hours: verified hours ("0.00" until the activity is verified); points: net points posted, at any ' +
      'time, for claims that name the activity as evidence, less their reversals.',
    query: PeriodPageQuery,
    item: ActivityTotals,
    run: (caller, query, opts) => getHoursPointsByActivity(app.readDb, caller, query, tz(), opts),
    filename: () => 'hours-points-by-activity.csv',
    columns: [
      { header: '开始时间 startsAt', value: (r) => r.startsAt },
      { header: '活动 title', value: (r) => r.title },
      { header: '状态 status', value: (r) => r.status },
      { header: '参与人数 participants', value: (r) => r.participants },
      { header: '服务时长 hours', value: (r) => r.hours },
      { header: '积分 points', value: (r) => r.points },
      { header: 'activityId', value: (r) => r.activityId },
      { header: 'teamId', value: (r) => r.teamId },
      { header: 'orgUnitId', value: (r) => r.orgUnitId },
    ],
  })

  pagedReport({
    name: 'monthly',
    operationId: 'getMonthlyTotals',
    csvOperationId: 'exportMonthlyTotalsCsv',
    summary: "getSummary's figures month by month for a year",
    description:
      'Twelve rows, one per service-zone month of `year`, months with nothing as zeros, each counted ' +
      'as getSummary counts a period (volunteers are distinct within the month).',
    query: YearPageQuery,
    item: MonthTotals,
    run: (caller, query, opts) => getMonthlyTotals(app.readDb, caller, query, opts),
    filename: (query) => `monthly-${query.year}.csv`,
    columns: [{ header: '月份 month', value: (r: MonthTotals) => r.month }, ...SUMMARY_COLUMNS],
  })

  pagedReport({
    name: 'redemptions-by-reward',
    operationId: 'getRedemptionsByReward',
    csvOperationId: 'exportRedemptionsByRewardCsv',
    summary: 'Redemptions by reward for the offices under a unit',
    description:
      `Every reward of a community office in the subtree, zero included, by name. ${PERIOD_NOTE} ` +
      'redemptions / quantity / points: redemptions fulfilled (handed out) in the period, the units ' +
      'and the points they took.',
    query: PeriodPageQuery,
    item: RewardTotals,
    run: (caller, query, opts) => getRedemptionsByReward(app.readDb, caller, query, tz(), opts),
    filename: () => 'redemptions-by-reward.csv',
    columns: [
      { header: '商品 reward', value: (r) => r.name },
      { header: '所需积分 pointsCost', value: (r) => r.pointsCost },
      { header: '兑换次数 redemptions', value: (r) => r.redemptions },
      { header: '数量 quantity', value: (r) => r.quantity },
      { header: '兑换积分 points', value: (r) => r.points },
      { header: 'rewardId', value: (r) => r.rewardId },
      { header: 'orgUnitId', value: (r) => r.orgUnitId },
    ],
  })

  pagedReport({
    name: 'inactive-members',
    operationId: 'listInactiveMembers',
    csvOperationId: 'exportInactiveMembersCsv',
    summary: 'Members with no activity in a year',
    description:
      'Active members whose home unit lies in the subtree who, in the service-zone `year`, have no ' +
      'verified service hours and no points posted (no scoring result, deduction, adjustment or ' +
      'reversal), by name.',
    query: YearPageQuery,
    item: InactiveMember,
    run: (caller, query, opts) => listInactiveMembers(app.readDb, caller, query, tz(), opts),
    filename: (query) => `inactive-members-${query.year}.csv`,
    columns: [
      { header: '姓名 name', value: (r) => r.name },
      { header: '所在组织 orgUnit', value: (r) => r.orgUnitName },
      { header: '电话 phone', value: (r) => r.phone },
      { header: 'memberId', value: (r) => r.memberId },
      { header: 'orgUnitId', value: (r) => r.orgUnitId },
    ],
  })
}
