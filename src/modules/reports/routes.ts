import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { TSchema } from 'typebox'
import { type CsvColumn, sendCsv, toCsv, wantsCsv } from '../../shared/csv'
import { Page, problems } from '../../shared/schemas'
import {
  getHoursPointsByActivity,
  getHoursPointsByTeam,
  getRedemptionsByReward,
  listInactiveMembers,
} from './breakdowns'
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

const tags = ['reports']
const CSV_NOTE = ' `Accept: text/csv` returns every row (no paging) as UTF-8 CSV with BOM and CRLF line ends.'
const PERIOD_NOTE = '`from`/`to` are service-zone dates, both included, either may be left open.'

/** A report answer: a page of JSON, or the whole list as CSV. */
function pageOrCsv(item: TSchema) {
  return {
    200: {
      description: 'A page of the report (keyset cursor), or the whole report as text/csv',
      content: {
        'application/json': { schema: Page(item) },
        'text/csv': { schema: { type: 'string' } },
      },
    },
    ...problems(400, 403, 404),
  }
}

/** Runs the report as JSON (one page) or, when the client asks for CSV, every row as a file. */
async function answer<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  run: (opts: { all?: boolean }) => Promise<{ items: T[]; nextCursor: string | null }>,
  filename: string,
  columns: CsvColumn<T>[],
) {
  if (!wantsCsv(request)) return run({})
  const { items } = await run({ all: true })
  return sendCsv(reply, filename, toCsv(columns, items))
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

  app.get(
    '/reports/ranking',
    {
      schema: {
        tags,
        operationId: 'getRanking',
        summary: 'Year-end ranking of a unit subtree by net points earned, with verified hours (JSON or CSV)',
        description:
          'Every member whose home unit lies in the subtree, zero included. points = scoring results, ' +
          'deductions, adjustments and their reversals posted in the year (service time zone); redemptions ' +
          'do not count. hours = verified hours of the year. Ties share a rank (1, 2, 2, 4).' +
          CSV_NOTE,
        querystring: RankingQuery,
        response: pageOrCsv(RankingItem),
      },
    },
    async (request, reply) =>
      answer(
        request,
        reply,
        (opts) => getRanking(app.db, request.caller, request.query, tz(), opts),
        `ranking-${request.query.year}.csv`,
        [
          { header: '排名 rank', value: (r) => r.rank },
          { header: '姓名 name', value: (r) => r.name },
          { header: '积分 points', value: (r) => r.points },
          { header: '服务时长 hours', value: (r) => r.hours },
          { header: 'memberId', value: (r) => r.memberId },
        ],
      ),
  )

  app.get(
    '/reports/summary',
    {
      schema: {
        tags,
        operationId: 'getSummary',
        summary: "Figures for a unit's subtree over a period (JSON or CSV)",
        description:
          `${PERIOD_NOTE} activities: held ` +
          '(started) in the period; volunteers: distinct members with verified hours; serviceHours: verified ' +
          'hours of activities and confirmed requests; serviceRequestsCompleted: requests confirmed; ' +
          'pointsIssued / pointsDeducted: positive / negative postings of scoring and adjustments (and ' +
          'their reversals) to members of the subtree, both as positive amounts; pointsRedeemed / ' +
          'redemptions: points and count of redemptions fulfilled for members of the subtree (home unit). ' +
          '`Accept: text/csv` returns the same figures as a one-row CSV (UTF-8 with BOM, header row).',
        querystring: SummaryQuery,
        response: {
          200: {
            description: 'The figures, or a one-row text/csv',
            content: {
              'application/json': { schema: Summary },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...problems(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const summary = await getSummary(app.db, request.caller, request.query)
      if (!wantsCsv(request)) return summary
      const { from, to } = request.query
      return sendCsv(
        reply,
        `summary-${from ?? 'start'}-${to ?? 'now'}.csv`,
        toCsv(SUMMARY_COLUMNS, [summary]),
      )
    },
  )

  app.get(
    '/reports/by-team',
    {
      schema: {
        tags,
        operationId: 'getHoursPointsByTeam',
        summary: 'Hours and points by volunteer team under a unit (JSON or CSV)',
        description:
          `Every team whose unit lies in the subtree, zero included, by name. ${PERIOD_NOTE} members: ` +
          "current members; activities: the team's activities held (started) in the period; hours: verified " +
          "hours served at them; points: net points earned in the period by the team's current members " +
          '(scoring results, deductions, adjustments and their reversals; redemptions do not count).' +
          CSV_NOTE,
        querystring: PeriodPageQuery,
        response: pageOrCsv(TeamTotals),
      },
    },
    async (request, reply) =>
      answer(
        request,
        reply,
        (opts) => getHoursPointsByTeam(app.db, request.caller, request.query, tz(), opts),
        'hours-points-by-team.csv',
        [
          { header: '服务队 team', value: (r) => r.name },
          { header: '队员 members', value: (r) => r.members },
          { header: '活动数 activities', value: (r) => r.activities },
          { header: '服务时长 hours', value: (r) => r.hours },
          { header: '积分 points', value: (r) => r.points },
          { header: 'teamId', value: (r) => r.teamId },
          { header: 'orgUnitId', value: (r) => r.orgUnitId },
        ],
      ),
  )

  app.get(
    '/reports/by-activity',
    {
      schema: {
        tags,
        operationId: 'getHoursPointsByActivity',
        summary: 'Hours and points by activity under a unit (JSON or CSV)',
        description:
          `Activities held (started) in the subtree in the period, in order of start. ${PERIOD_NOTE} ` +
          'hours: verified hours ("0.00" until the activity is verified); points: net points posted, at any ' +
          'time, for claims that name the activity as evidence, less their reversals.' +
          CSV_NOTE,
        querystring: PeriodPageQuery,
        response: pageOrCsv(ActivityTotals),
      },
    },
    async (request, reply) =>
      answer(
        request,
        reply,
        (opts) => getHoursPointsByActivity(app.db, request.caller, request.query, tz(), opts),
        'hours-points-by-activity.csv',
        [
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
      ),
  )

  app.get(
    '/reports/monthly',
    {
      schema: {
        tags,
        operationId: 'getMonthlyTotals',
        summary: "getSummary's figures month by month for a year (JSON or CSV)",
        description:
          'Twelve rows, one per service-zone month of `year`, months with nothing as zeros, each counted ' +
          'as getSummary counts a period (volunteers are distinct within the month).' +
          CSV_NOTE,
        querystring: YearPageQuery,
        response: pageOrCsv(MonthTotals),
      },
    },
    async (request, reply) =>
      answer(
        request,
        reply,
        (opts) => getMonthlyTotals(app.db, request.caller, request.query, opts),
        `monthly-${request.query.year}.csv`,
        [{ header: '月份 month', value: (r: MonthTotals) => r.month }, ...SUMMARY_COLUMNS],
      ),
  )

  app.get(
    '/reports/redemptions-by-reward',
    {
      schema: {
        tags,
        operationId: 'getRedemptionsByReward',
        summary: 'Redemptions by reward for the offices under a unit (JSON or CSV)',
        description:
          `Every reward of a community office in the subtree, zero included, by name. ${PERIOD_NOTE} ` +
          'redemptions / quantity / points: redemptions fulfilled (handed out) in the period, the units ' +
          'and the points they took.' +
          CSV_NOTE,
        querystring: PeriodPageQuery,
        response: pageOrCsv(RewardTotals),
      },
    },
    async (request, reply) =>
      answer(
        request,
        reply,
        (opts) => getRedemptionsByReward(app.db, request.caller, request.query, tz(), opts),
        'redemptions-by-reward.csv',
        [
          { header: '商品 reward', value: (r) => r.name },
          { header: '所需积分 pointsCost', value: (r) => r.pointsCost },
          { header: '兑换次数 redemptions', value: (r) => r.redemptions },
          { header: '数量 quantity', value: (r) => r.quantity },
          { header: '兑换积分 points', value: (r) => r.points },
          { header: 'rewardId', value: (r) => r.rewardId },
          { header: 'orgUnitId', value: (r) => r.orgUnitId },
        ],
      ),
  )

  app.get(
    '/reports/inactive-members',
    {
      schema: {
        tags,
        operationId: 'listInactiveMembers',
        summary: 'Members with no activity in a year (JSON or CSV)',
        description:
          'Active members whose home unit lies in the subtree who, in the service-zone `year`, have no ' +
          'verified service hours and no points posted (no scoring result, deduction, adjustment or ' +
          'reversal), by name.' +
          CSV_NOTE,
        querystring: YearPageQuery,
        response: pageOrCsv(InactiveMember),
      },
    },
    async (request, reply) =>
      answer(
        request,
        reply,
        (opts) => listInactiveMembers(app.db, request.caller, request.query, tz(), opts),
        `inactive-members-${request.query.year}.csv`,
        [
          { header: '姓名 name', value: (r) => r.name },
          { header: '所在组织 orgUnit', value: (r) => r.orgUnitName },
          { header: '电话 phone', value: (r) => r.phone },
          { header: 'memberId', value: (r) => r.memberId },
          { header: 'orgUnitId', value: (r) => r.orgUnitId },
        ],
      ),
  )
}
