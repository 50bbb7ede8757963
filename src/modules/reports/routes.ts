import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { sendCsv, toCsv, wantsCsv } from '../../shared/csv'
import { Page, problems } from '../../shared/schemas'
import { RankingItem, RankingQuery, Summary, SummaryQuery } from './schemas'
import { getRanking, getSummary } from './service'

const tags = ['reports']

export const reportsRoutes: FastifyPluginAsyncTypebox = async (app) => {
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
          'do not count. hours = verified hours of the year. Ties share a rank (1, 2, 2, 4). ' +
          '`Accept: text/csv` returns the whole list as UTF-8 CSV with BOM.',
        querystring: RankingQuery,
        response: {
          200: {
            description: 'A page of the ranking, or the whole ranking as text/csv',
            content: {
              'application/json': { schema: Page(RankingItem) },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          ...problems(403, 404),
        },
      },
    },
    async (request, reply) => {
      const { caller, query } = request
      const tz = app.settings.timezone
      if (wantsCsv(request)) {
        const { items } = await getRanking(app.db, caller, query, tz, { all: true })
        const csv = toCsv<RankingItem>(
          [
            { header: '排名 rank', value: (r) => r.rank },
            { header: '姓名 name', value: (r) => r.name },
            { header: '积分 points', value: (r) => r.points },
            { header: '服务时长 hours', value: (r) => r.hours },
            { header: 'memberId', value: (r) => r.memberId },
          ],
          items,
        )
        return sendCsv(reply, `ranking-${query.year}.csv`, csv)
      }
      return getRanking(app.db, caller, query, tz)
    },
  )

  app.get(
    '/reports/summary',
    {
      schema: {
        tags,
        operationId: 'getSummary',
        summary: "Figures for a unit's subtree over a period",
        description:
          '`from`/`to` are service-zone dates, both included, either may be left open. activities: held ' +
          '(started) in the period; volunteers: distinct members with verified hours; serviceHours: verified ' +
          'hours of activities and confirmed requests; serviceRequestsCompleted: requests confirmed; ' +
          'pointsIssued / pointsDeducted: positive / negative postings of scoring and adjustments (and ' +
          'their reversals) to members of the subtree, both as positive amounts; pointsRedeemed / ' +
          'redemptions: points and count of redemptions fulfilled for members of the subtree (home unit).',
        querystring: SummaryQuery,
        response: { 200: Summary, ...problems(403, 404) },
      },
    },
    async (request) => getSummary(app.db, request.caller, request.query, app.settings.timezone),
  )
}
