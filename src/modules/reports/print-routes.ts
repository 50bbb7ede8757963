import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { type Caller, findUnit } from '../../shared/authz'
import {
  acceptNote,
  type CsvColumn,
  csvFileResponse,
  sendCsv,
  toCsv,
  wantsCsv,
  withoutPaging,
} from '../../shared/csv'
import { pdfFileResponse, sendPdf, wantsPdf } from '../../shared/pdf'
import { Page, problems } from '../../shared/schemas'
import { IDENTITY_TYPES } from '../members'
import { getDualRegistrationReport } from './dual-registration'
import { DualRegistrationItem, DualRegistrationQuery } from './dual-registration-schemas'
import { renderDualRegistrationPdf, renderRankingPdf } from './print'
import { RankingQuery } from './schemas'
import { getRanking } from './service'
import { getStandings } from './standings'

const tags = ['reports']

const DUAL_COLUMNS: CsvColumn<DualRegistrationItem>[] = [
  { header: '姓名 memberName', value: (r) => r.memberName },
  {
    header: '证件类型 identityType',
    value: (r) => (r.identityDocument ? IDENTITY_TYPES[r.identityDocument.type] : null),
  },
  { header: '证件号码 identityNumberMasked', value: (r) => r.identityDocument?.maskedNumber ?? null },
  { header: '工作单位 workUnit', value: (r) => r.workUnit },
  { header: '所在党组织 homeUnit', value: (r) => r.homeUnitName },
  { header: '报到社区 community', value: (r) => r.communityName },
  { header: '报到时间 registeredAt', value: (r) => r.registeredAt },
  { header: '结束时间 endedAt', value: (r) => r.endedAt },
  { header: '活动次数 activities', value: (r) => r.activities },
  { header: '活动时长 activityHours', value: (r) => r.activityHours },
  { header: '点单服务 serviceRequests', value: (r) => r.serviceRequests },
  { header: '点单时长 serviceRequestHours', value: (r) => r.serviceRequestHours },
  { header: '服务时长 hours', value: (r) => r.hours },
  { header: '群众评价 averageRating', value: (r) => r.averageRating },
  { header: '积分申报 claims', value: (r) => r.claims },
  { header: '已入账 claimsPosted', value: (r) => r.claimsPosted },
  { header: '所获积分 points', value: (r) => r.points },
  { header: 'memberId', value: (r) => r.memberId },
  { header: 'communityId', value: (r) => r.communityId },
  { header: 'registrationId', value: (r) => r.registrationId },
]

const DUAL_DESCRIPTION =
  '双报告: for each member whose home unit lies in the subtree and each residential community they registered with ' +
  '(双报到: accepted at some time, overlapping the period), what they did there in the period, until the ' +
  "registration ended: verified hours at activities of the community's subtree (as corrected), service requests " +
  "of that subtree they completed and the resident confirmed, with the residents' mean rating, and the claims " +
  'whose evidence is that work (not withdrawn; posted ones and the points awarded). `from`/`to` are service-zone ' +
  'dates, both included, either may be left open. The home side reads it: secretaries over `orgUnitId` (admin ' +
  'too); other units 404. Identity numbers only masked. Ordered by member name.'

/**
 * Files of the reports module that are not a JSON report's CSV twin: the 双报告 (JSON, CSV and PDF), and the
 * year's ranking and a branch's standings as printable PDFs. Each is authorised by the same service call as its
 * JSON operation.
 */
export const printRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tz = () => app.settings.timezone

  const dualCsv = async (caller: Caller, query: DualRegistrationQuery) => {
    const { items } = await getDualRegistrationReport(app.readDb, caller, query, { all: true })
    return toCsv(DUAL_COLUMNS, items)
  }
  const dualFilename = (q: DualRegistrationQuery, ext: string) =>
    `dual-registration-${q.from ?? 'start'}-${q.to ?? 'now'}.${ext}`

  app.get(
    '/reports/dual-registration',
    {
      schema: {
        tags,
        operationId: 'getDualRegistrationReport',
        summary: '双报告: what in-service members did in the communities they registered with',
        description:
          DUAL_DESCRIPTION +
          acceptNote('text/csv', '/api/v1/reports/dual-registration.csv') +
          acceptNote('application/pdf', '/api/v1/reports/dual-registration.pdf'),
        'x-also-answers': {
          'text/csv': 'exportDualRegistrationReportCsv',
          'application/pdf': 'getDualRegistrationReportPdf',
        },
        querystring: DualRegistrationQuery,
        response: { 200: Page(DualRegistrationItem), ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => {
      const q = request.query
      if (wantsCsv(request)) return sendCsv(reply, dualFilename(q, 'csv'), await dualCsv(request.caller, q))
      if (wantsPdf(request)) return dualPdf(request.caller, q, reply)
      const { items, nextCursor } = await getDualRegistrationReport(app.readDb, request.caller, q)
      return { items, nextCursor }
    },
  )

  app.get(
    '/reports/dual-registration.csv',
    {
      schema: {
        tags,
        operationId: 'exportDualRegistrationReportCsv',
        summary: '双报告: every row as CSV',
        description:
          'Every row of getDualRegistrationReport (the same access and query, no paging), as one file.',
        querystring: withoutPaging(DualRegistrationQuery),
        response: { 200: csvFileResponse('The whole report'), ...problems(400, 403, 404) },
      },
    },
    async (request, reply) =>
      sendCsv(reply, dualFilename(request.query, 'csv'), await dualCsv(request.caller, request.query)),
  )

  const dualPdf = async (caller: Caller, q: DualRegistrationQuery, reply: Parameters<typeof sendPdf>[0]) => {
    const report = await getDualRegistrationReport(app.readDb, caller, q, { all: true })
    const pdf = await renderDualRegistrationPdf(
      { unitName: report.unitName, from: q.from ?? null, to: q.to ?? null, items: report.items },
      tz(),
    )
    return sendPdf(reply, dualFilename(q, 'pdf'), pdf)
  }

  app.get(
    '/reports/dual-registration.pdf',
    {
      schema: {
        tags,
        operationId: 'getDualRegistrationReportPdf',
        summary: '双报告 as the printable form (在职党员到社区报到服务情况反馈表)',
        description:
          'Every row of getDualRegistrationReport (the same access and query, no paging) as a landscape A4 form ' +
          "for the members' own party organisation: member, masked identity number, home unit, community, " +
          'activities, requests, hours, mean rating, claims and points, with lines for the community’s opinion ' +
          'and seal. Chinese embedded as a Noto Sans SC subset.',
        querystring: withoutPaging(DualRegistrationQuery),
        response: { 200: pdfFileResponse('The form as a PDF'), ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => dualPdf(request.caller, request.query, reply),
  )

  const rankingPdf = (
    kind: 'ranking' | 'standings',
    operationId: string,
    summary: string,
    description: string,
  ) =>
    app.get(
      `/reports/${kind}.pdf`,
      {
        schema: {
          tags,
          operationId,
          summary,
          description,
          querystring: withoutPaging(RankingQuery),
          response: { 200: pdfFileResponse('The sheet as a PDF'), ...problems(400, 403, 404) },
        },
      },
      async (request, reply) => {
        const q = request.query
        const run = kind === 'ranking' ? getRanking : getStandings
        const { items } = await run(app.readDb, request.caller, q, { all: true })
        // The service call above checked the caller may read the unit.
        const unit = (await findUnit(app.readDb, q.orgUnitId))!
        const pdf = await renderRankingPdf(kind, { unitName: unit.name, year: q.year, items }, tz())
        return sendPdf(reply, `${kind}-${q.year}.pdf`, pdf)
      },
    )

  rankingPdf(
    'ranking',
    'getRankingPdf',
    "The year's ranking as a printable A4 sheet",
    'Every row of getRanking (the same access and query, no paging: secretaries over the unit) as an A4 sheet ' +
      'in Chinese: rank, name, points, verified hours and grade. Chinese embedded as a Noto Sans SC subset.',
  )
  rankingPdf(
    'standings',
    'getStandingsPdf',
    "亮积分: a branch's standings as a printable A4 sheet for the notice board",
    'Every row of getStandings (the same access and query, no paging: staff over the unit and the ' +
      "branch's own members unless standingsVisibleToMembers is off, 403) as an A4 sheet in Chinese: rank, " +
      'name, points, verified hours and grade.',
  )
}
