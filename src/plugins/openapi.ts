import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export const API_DESCRIPTION = `Points and rewards service for party-member volunteers (党员志愿服务积分).

- Points and hours are decimal strings with exactly two fraction digits ("12.50"); inputs take such a string or a JSON number with at most two fraction digits.
- Errors are RFC 9457 application/problem+json with a stable \`code\`.
- Request bodies reject unknown fields (400 validation_failed naming the field); unknown query parameters are ignored.
- Lists take \`limit\` (1-200, default 50) and \`cursor\`, and answer \`{items, nextCursor}\`.
- Operations marked with an Idempotency-Key header replay the first answer for the same key and body.`

/** Builds the OpenAPI 3.1 document from the route schemas; serves it at /openapi.json and the UI at /docs. */
export const openapiPlugin = fp(
  async (app: FastifyInstance) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'Volunteer points and rewards API', version: '1.0.0', description: API_DESCRIPTION },
        servers: [{ url: '/' }],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
        tags: [
          { name: 'system', description: 'Health and documentation' },
          { name: 'auth', description: 'Login and tokens' },
          { name: 'org', description: 'Organisation tree (组织)' },
          { name: 'users', description: 'Users and role grants' },
          { name: 'members', description: 'Members (党员), 双报到 registrations and teams (志愿服务队)' },
          { name: 'activities', description: 'Activities (志愿服务活动) and service hours (服务时长)' },
          { name: 'service-requests', description: '群众点单、社区派单、党员接单' },
          { name: 'certificates', description: 'Volunteer service certificates (志愿服务记录证明)' },
          { name: 'rubrics', description: 'Rubrics (积分细则)' },
          { name: 'claims', description: 'Claims (积分申报) and objections (异议)' },
          { name: 'scoring', description: 'Scoring rounds (评议) and publicity (公示)' },
          { name: 'ledger', description: 'Points ledger (积分账本)' },
          { name: 'rewards', description: 'Rewards (积分兑换商品) and redemptions (积分兑换)' },
          { name: 'reports', description: 'Year-end ranking and summaries' },
          { name: 'audit', description: 'Audit events' },
        ],
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' },
)
