import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
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
import { problems } from '../../shared/schemas'
import {
  Appraisal,
  AppraisalPage,
  AppraisalParams,
  AppraisalPublication,
  ListAppraisalsQuery,
  ListMyAppraisalsQuery,
  PublishAppraisalsBody,
  RecordAppraisalBody,
} from './schemas'
import { listAppraisals, listMyAppraisals, publishAppraisals, recordAppraisal } from './service'

const tags = ['appraisals']

const COLUMNS: CsvColumn<Appraisal>[] = [
  { header: '姓名 name', value: (r) => r.memberName },
  { header: '年度 year', value: (r) => r.year },
  { header: '评定结果 outcome', value: (r) => r.outcome },
  { header: '年度积分 points', value: (r) => r.points },
  { header: '等次 grade', value: (r) => r.grade },
  { header: '备注 note', value: (r) => r.note },
  { header: '变更理由 reason', value: (r) => r.reason },
  { header: '已公示 published', value: (r) => (r.published ? '是' : '否') },
  { header: '此前结果 earlier', value: (r) => r.history.map((h) => h.outcome).join(' / ') },
  { header: 'memberId', value: (r) => r.memberId },
]

export const appraisalsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tz = () => app.settings.timezone

  app.put(
    '/members/:id/appraisals/:year',
    {
      schema: {
        tags,
        operationId: 'recordAppraisal',
        summary: "Record a member's year-end outcome (评优: 优秀, 合格, 基本合格, 不合格) (secretary)",
        description:
          "A secretary over the member's home unit (admin); other roles 403, a member outside the caller's " +
          "scope 404. The year's net points and grade at this moment are kept beside the outcome. The same " +
          'outcome and note again change nothing. Otherwise a new appraisal supersedes the current one, which ' +
          "stays in `history`; once the year's list is published (publishAppraisals) for a unit at or above the " +
          'member, a change needs `reason` (400 without).',
        params: AppraisalParams,
        body: RecordAppraisalBody,
        response: { 200: Appraisal, ...problems(400, 403, 404) },
      },
    },
    async (request) =>
      recordAppraisal(app.db, request.caller, request.params.id, request.params.year, request.body, tz()),
  )

  const csv = async (caller: Caller, query: ListAppraisalsQuery, reply: FastifyReply) => {
    const { items } = await listAppraisals(app.readDb, caller, query, { all: true })
    return sendCsv(reply, `appraisals-${query.year}.csv`, toCsv(COLUMNS, items))
  }

  app.get(
    '/appraisals',
    {
      schema: {
        tags,
        operationId: 'listAppraisals',
        summary: "A unit's appraisals for a year, with earlier outcomes (secretary)",
        description:
          "Secretaries over the unit (admin); other roles 403, a unit outside the caller's scope 404. The current " +
          'appraisal of each member appraised in the subtree for the year, by name, each with the points and ' +
          'grade kept when it was recorded, whether it is published, and the earlier outcomes it superseded.' +
          acceptNote('text/csv', '/api/v1/appraisals.csv'),
        ...alsoAnswers('text/csv', 'exportAppraisalsCsv'),
        querystring: ListAppraisalsQuery,
        response: { 200: AppraisalPage, ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => {
      if (wantsCsv(request)) return csv(request.caller, request.query, reply)
      return listAppraisals(app.db, request.caller, request.query)
    },
  )

  app.get(
    '/appraisals.csv',
    {
      schema: {
        tags,
        operationId: 'exportAppraisalsCsv',
        summary: "A unit's appraisals for a year: every row as CSV",
        description: 'Every row of listAppraisals (the same access and query, no paging), as one file.',
        querystring: withoutPaging(ListAppraisalsQuery),
        response: { 200: csvFileResponse('The appraisals'), ...problems(400, 403, 404) },
      },
    },
    async (request, reply) => csv(request.caller, request.query as ListAppraisalsQuery, reply),
  )

  app.post(
    '/appraisals/publish',
    {
      schema: {
        tags,
        operationId: 'publishAppraisals',
        summary: "Publish (公示) a unit's appraisals for a year (secretary)",
        description:
          "Secretaries over the unit (admin); other roles 403, a unit outside the caller's scope 404. From then " +
          'on an outcome of a member in the subtree changes only through a new appraisal with a reason; the ' +
          'old one stays visible. A publication is never withdrawn: publishing again is 409.',
        body: PublishAppraisalsBody,
        response: { 201: AppraisalPublication, ...problems(400, 403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await publishAppraisals(app.db, request.caller, request.body)),
  )

  app.get(
    '/me/appraisals',
    {
      schema: {
        tags,
        operationId: 'listMyAppraisals',
        summary: "The caller's own year-end outcomes, once published (member)",
        description:
          'A member (others 403) reads their own appraisal of every year whose list is published (公示, ' +
          'publishAppraisals) for a unit at or above their home unit of that year, newest year first: the ' +
          'outcome, the points and grade kept beside it, the note, and in `history` the earlier outcomes a ' +
          'change after publication superseded (with its reason). A year not yet published is not listed: ' +
          "until then the outcome is the branch's deliberation.",
        querystring: ListMyAppraisalsQuery,
        response: { 200: AppraisalPage, ...problems(400, 403) },
      },
    },
    async (request) => listMyAppraisals(app.db, request.caller, request.query),
  )
}
