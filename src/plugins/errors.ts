import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { pgErrorCode } from '../db/client'
import { DomainError, type ErrorCode, problem } from '../shared/errors'
import { DATE_FORMAT_MESSAGES } from '../shared/schemas'

interface AjvError {
  instancePath?: string
  message?: string
  keyword?: string
  params?: Record<string, unknown>
}

function fieldOf(e: AjvError, context: string | undefined): string {
  const base = (e.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.')
  const extra =
    e.keyword === 'required'
      ? String(e.params?.missingProperty ?? '')
      : e.keyword === 'additionalProperties'
        ? String(e.params?.additionalProperty ?? '')
        : ''
  const path = [base, extra].filter(Boolean).join('.')
  return path || context || 'body'
}

function messageOf(e: AjvError): string {
  if (e.keyword === 'additionalProperties') return 'is not a known field'
  if (e.keyword === 'required') return 'is required'
  if (e.keyword === 'format') {
    const dates = DATE_FORMAT_MESSAGES[String(e.params?.format)]
    if (dates) return dates
  }
  return e.message ?? 'is not valid'
}

/**
 * One place turns every failure into RFC 9457 application/problem+json with a stable `code`.
 * Unknown errors become a generic 500 (logged with the request id); nothing internal reaches a client.
 */
export const errorsPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((err: FastifyError & { validationContext?: string }, request, reply) => {
    let body: ReturnType<typeof problem>
    if (err instanceof DomainError) {
      body = err.toProblem()
    } else if (err.validation) {
      const errors = (err.validation as AjvError[]).map((e) => ({
        field: fieldOf(e, err.validationContext),
        message: messageOf(e),
      }))
      const first = errors[0]
      body = problem(
        'validation_failed',
        first ? `${first.field} ${first.message}` : 'request is not valid',
        {
          errors,
        },
      )
    } else if (err.statusCode === 429) {
      body = problem('rate_limited', 'too many requests; retry later')
    } else if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      body = problem('payload_too_large', 'request body exceeds the limit of 1 MiB')
    } else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      body = problem(
        'unsupported_media_type',
        'send application/json (or text/csv where the operation says so)',
      )
    } else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      // Fastify's own client errors (bad JSON, empty body with a JSON content type, ...).
      const code: ErrorCode =
        err.statusCode === 401 ? 'unauthorized' : err.statusCode === 404 ? 'not_found' : 'validation_failed'
      const detail =
        err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.name === 'SyntaxError'
          ? 'body is not valid JSON'
          : code === 'validation_failed'
            ? 'request is not valid'
            : err.message
      body = problem(code, detail)
    } else if (isDatabaseUnavailable(err)) {
      request.log.warn({ err }, 'database unavailable')
      body = problem('unavailable', 'the database is unavailable; retry shortly')
      reply.header('retry-after', '1')
    } else {
      request.log.error({ err, reqId: request.id }, 'unhandled error')
      body = problem('internal_error', `unexpected error; quote request id ${request.id} when reporting it`)
    }
    if (body.code === 'rate_limited' && !reply.getHeader('retry-after')) reply.header('retry-after', '60')
    return reply.code(body.status).type('application/problem+json').send(body)
  })

  app.setNotFoundHandler((request, reply) => {
    return reply
      .code(404)
      .type('application/problem+json')
      .send(problem('not_found', `no route ${request.method} ${request.url.split('?')[0]}`))
  })
})

const UNAVAILABLE_PG = new Set([
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  '08001',
  '08004',
  '57014',
  '53300',
])
const UNAVAILABLE_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'])

/** Connection loss, shutdown, statement timeout, too many connections: the client should retry, it did nothing wrong. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = pgErrorCode(err)
  if (code && UNAVAILABLE_PG.has(code)) return true
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const c = (e as { code?: unknown }).code
    const m = (e as { message?: unknown }).message
    if (typeof c === 'string' && UNAVAILABLE_NET.has(c)) return true
    if (
      typeof m === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Query read timeout/i.test(
        m,
      )
    )
      return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}
