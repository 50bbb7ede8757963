import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemSchema } from '../shared/schemas'
import type { AjvError } from './errors'
import {
  applyExamples,
  type OperationExamples,
  type PartValidator,
  type RouteSchemas,
} from './openapi-examples'

export type { OperationExample, OperationExamples, ProblemExample } from './openapi-examples'
export { EX } from './openapi-examples'

export const API_DESCRIPTION = `Points and rewards service for party-member volunteers (党员志愿服务积分).

- Points and hours are decimal strings with exactly two fraction digits ("12.50"); inputs take such a string or a JSON number with at most two fraction digits.
- Errors are RFC 9457 application/problem+json with a stable \`code\`.
- Request bodies reject unknown fields (400 validation_failed naming the field); unknown query parameters are ignored.
- Lists take \`limit\` (1-200, default 50) and \`cursor\`, and answer \`{items, nextCursor}\`.
- Files are operations of their own: a JSON operation answers JSON only, and each file it can also be had as is a GET at the same path plus the file's extension (\`/members/{id}/ledger.csv\` beside \`/members/{id}/ledger\`, \`/reports/ranking.csv\`, \`/members/{id}/service-certificates/{certificateId}.pdf\`), with its JSON twin's query but no paging, the same access, and only its own media type (CSV: UTF-8 with BOM, CRLF). \`Accept: text/csv\` (or \`application/pdf\`) on the JSON operation still gives the same file; its description and \`x-also-answers\` say so.
- Some problem codes add members (\`claimIds\`, \`maxHours\`, \`min\`/\`max\`, \`activeRubricId\`, \`limit\`/\`taken\`, \`errors\`, ...): the Problem schema declares each with the codes that carry it.
- Operations marked with an Idempotency-Key header replay the first answer for the same key and body.
- Every request counts against a per-caller budget (the user of a valid token, else the client address; RATE_LIMIT_MAX requests per RATE_LIMIT_WINDOW_SECONDS, 600 per 60 s by default). Every answer carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset; past the budget the answer is 429 rate_limited with Retry-After. Login, refresh and certificate verification have tighter budgets of their own.`

/** Builds the OpenAPI 3.1 document from the route schemas; serves it at /openapi.json and the UI at /docs. */
export const openapiPlugin = fp(
  async (app: FastifyInstance, options: { examples?: OperationExamples }) => {
    // Each operation's own schemas, kept as the routes give them, so that its 400 example is what it answers.
    const routes = new Map<string, RouteSchemas>()
    const validate: PartValidator = (route, part, data) => {
      const check = app.validatorCompiler?.({
        schema: route.schema[part as keyof RouteSchemas['schema']] as object,
        method: route.method,
        url: route.url,
        httpPart: part,
      }) as ((data: unknown) => boolean) & { errors?: AjvError[] | null }
      if (!check) return null
      return check(structuredClone(data)) ? null : (check.errors ?? [])
    }
    await app.register(swagger, {
      transform: ({ schema, url, route }) => {
        const id = (schema as { operationId?: string } | undefined)?.operationId
        if (id) {
          const { body, querystring, params, headers } = schema as RouteSchemas['schema']
          routes.set(id, {
            method: [route.method].flat()[0] as string,
            url,
            schema: { body, querystring, params, headers },
          })
        }
        return { schema, url }
      },
      transformObject: (document) => {
        const doc = finishDocument((document as { openapiObject: OpenApiDocument }).openapiObject)
        applyExamples(doc, options.examples ?? {}, routes, validate)
        return doc as never
      },
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Volunteer points and rewards API',
          version: '1.0.0',
          description: API_DESCRIPTION,
          contact: { name: 'The operators of this deployment' },
        },
        servers: [
          {
            url: '/',
            description:
              'The deployment serving this document (local, staging or production alike): paths are relative to it',
          },
        ],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              bearerFormat: 'JWT',
              description:
                'The accessToken from login or refresh: a JWS (HS256) valid for 15 minutes. Verified as RFC8725 ' +
                'advises: the algorithm is pinned to HS256 (none and every other alg are refused), and iss, aud, ' +
                'exp, iat and sub are required and checked.',
            },
          },
        },
        tags: [
          { name: 'system', description: 'Health and documentation' },
          { name: 'auth', description: 'Login and tokens' },
          { name: 'org', description: 'Organisation tree (组织)' },
          { name: 'users', description: 'Users and role grants' },
          { name: 'members', description: 'Members (党员) and 双报到 registrations' },
          { name: 'residents', description: 'Residents (群众) and their invitation codes' },
          { name: 'teams', description: 'Teams (志愿服务队)' },
          { name: 'activities', description: 'Activities (志愿服务活动) and service hours (服务时长)' },
          { name: 'service requests', description: '群众点单、社区派单、党员接单' },
          { name: 'service certificates', description: 'Volunteer service certificates (志愿服务记录证明)' },
          { name: 'rubrics', description: 'Rubrics (积分细则)' },
          { name: 'claims', description: 'Claims (积分申报) and objections (异议)' },
          { name: 'scoring', description: 'Scoring rounds (评议) and publicity (公示)' },
          { name: 'ledger', description: 'Points ledger (积分账本)' },
          { name: 'rewards', description: 'Rewards (积分兑换商品) and redemptions (积分兑换)' },
          { name: 'reports', description: 'Year-end ranking and summaries' },
          { name: 'appraisals', description: 'Year-end appraisals (评优) and their publication' },
          { name: 'audit', description: 'Audit events' },
        ],
      },
    })
    await app.register(swaggerUi, { routePrefix: '/docs' })

    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'openapi' },
)

type Json = Record<string, unknown>
interface OpenApiDocument extends Json {
  paths?: Record<string, Record<string, Json>>
  components?: Json & { schemas?: Json; headers?: Json }
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'])
const header = (description: string, schema: Json) => ({ description, schema })
const counter = (description: string) =>
  header(description, { type: 'integer', format: 'int32', minimum: 0, maximum: 2_147_483_647 })

/** Headers the auth plugin's rate limiter (and CORS) put on answers; documented once, referenced everywhere. */
const HEADERS: Record<string, Json> = {
  'X-RateLimit-Limit': counter('Requests allowed to this caller in the current window'),
  'X-RateLimit-Remaining': counter('Requests left to this caller in the current window'),
  'X-RateLimit-Reset': counter('Seconds until the current window ends and the budget is full again'),
  'Retry-After': counter('Seconds to wait before trying again'),
  'Access-Control-Allow-Origin': header(
    'Sent only when CORS_ORIGINS lists the Origin of the request (no cross-origin access by default)',
    { type: 'string', format: 'uri', maxLength: 2000 },
  ),
}
const ref = (name: string) => ({ $ref: `#/components/headers/${name}` })

/**
 * What route schemas cannot say on their own: the headers every answer carries (rate limit, CORS), the
 * problem schema defined once instead of repeated in every response, and public operations marked as such.
 */
function finishDocument(doc: OpenApiDocument): OpenApiDocument {
  // Meant for the organisation's own clients (kiosks, mini-programs, office software), reached over the network.
  for (const server of (doc.servers ?? []) as Json[]) server['x-internal'] ??= false
  doc.components ??= {}
  doc.components.schemas = { ...(doc.components.schemas ?? {}), Problem: ProblemSchema }
  doc.components.headers = { ...(doc.components.headers ?? {}), ...HEADERS }
  for (const item of Object.values(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue
      // No token needed (login, refresh, certificate verification, health): said explicitly, not by omission.
      operation.security ??= [{}]
      const responses = (operation.responses ?? {}) as Record<string, Json>
      for (const [status, response] of Object.entries(responses)) {
        const content = response.content as Record<string, Json> | undefined
        const problemBody = content?.['application/problem+json']
        if (problemBody) problemBody.schema = { $ref: '#/components/schemas/Problem' }
        // A CSV export or a PDF is no JSON string: OpenAPI 3.1 describes such a body by its media type alone.
        // (A CSV export holds every row of its scope or period; its size grows with them, see the description.)
        for (const [type, media] of Object.entries(content ?? {})) {
          if (
            /^(text\/csv|application\/pdf)$/.test(type) &&
            (media.schema as Json | undefined)?.type === 'string'
          ) {
            delete media.schema
          }
        }
        const headers: Json = { ...((response.headers as Json | undefined) ?? {}) }
        headers['Access-Control-Allow-Origin'] = ref('Access-Control-Allow-Origin')
        // The limiter runs first on every request, so every answer but an overload 503 carries its headers.
        if (/^[245]/.test(status) && status !== '503') {
          headers['X-RateLimit-Limit'] = ref('X-RateLimit-Limit')
          headers['X-RateLimit-Remaining'] = ref('X-RateLimit-Remaining')
          headers['X-RateLimit-Reset'] = ref('X-RateLimit-Reset')
        }
        if (status === '429' || status === '503') headers['Retry-After'] = ref('Retry-After')
        response.headers = headers
      }
    }
  }
  return doc
}
