import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { problems } from '../../shared/schemas'
import { AuditEventPage, ListAuditEventsQuery, listAuditEvents } from './service'

export const auditRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/audit-events',
    {
      schema: {
        tags: ['audit'],
        operationId: 'listAuditEvents',
        summary: 'Every change in your scope, newest first (secretary, admin)',
        description:
          'Filter by orgUnitId (its subtree), targetType (org_unit, user, member, team, activity, service_request, rubric, claim, scoring_round, objection, ledger_transaction, reward, redemption, resident, resident_invitation, appraisal) and targetId.',
        querystring: ListAuditEventsQuery,
        response: { 200: AuditEventPage, ...problems(403, 404) },
      },
    },
    async (request) => listAuditEvents(app.readDb, request.caller, request.query),
  )
}
