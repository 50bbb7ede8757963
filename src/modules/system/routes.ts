import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import Type from 'typebox'
import { problem } from '../../shared/errors'
import { ProblemSchema, problemsOnly } from '../../shared/schemas'

export const systemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['system'],
        operationId: 'getHealth',
        summary: 'The process is up',
        description: 'No token needed; counts against the per-address rate limit like any request.',
        response: { 200: Type.Object({ status: Type.Literal('ok') }), ...problemsOnly(429, 500) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['system'],
        operationId: 'getReadiness',
        summary: 'The database answers',
        description: 'No token needed. 503 while the database does not answer within 2 s.',
        response: {
          200: Type.Object({ status: Type.Literal('ready') }),
          503: {
            description: 'database unreachable',
            content: { 'application/problem+json': { schema: ProblemSchema } },
          },
          ...problemsOnly(429, 500),
        },
      },
    },
    async (request, reply) => {
      try {
        await Promise.race([
          app.database.ping(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('ping timeout')), 2000).unref()),
        ])
        return { status: 'ready' as const }
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed')
        return reply
          .code(503)
          .type('application/problem+json')
          .send(problem('unavailable', 'the database is not reachable') as never)
      }
    },
  )
}
