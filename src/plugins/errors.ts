import type { FastifyError, FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { pgErrorCode } from '../db/client'
import { DomainError, type ErrorCode, problem } from '../shared/errors'
import {
  Cursor,
  DATE_FORMAT_MESSAGES,
  DecimalInput,
  NON_BLANK_TEXT_PATTERN,
  PLAIN_TEXT_PATTERN,
} from '../shared/schemas'

export interface AjvError {
  instancePath?: string
  schemaPath?: string
  message?: string
  keyword?: string
  params?: Record<string, unknown>
}

/** The part of a request a validation error is about, as Fastify names it (err.validationContext). */
export type RequestPart = 'body' | 'querystring' | 'params' | 'headers'

export interface PlainValidation {
  /** One entry per field, in the order the fields failed: `field` as the contract names it, `message` in words. */
  errors: { field: string; message: string }[]
  /** The same as sentences, for the problem's `detail`. */
  detail: string
}

const DECIMAL_INPUT_PATTERN = (DecimalInput.anyOf[0] as unknown as { pattern: string }).pattern
export const TWO_PLACES = 'at most two decimal places, e.g. "3.50"'
const A_DECIMAL = 'must be a number with at most two decimal places, e.g. "3.50"'
const CONTROL_CHARACTERS = 'must not contain control characters or text-direction marks'

/** Patterns of the route schemas, said in words (a pattern not listed: "is not in the expected form"). */
const PATTERN_MESSAGES: Record<string, (value: unknown) => string> = {
  [PLAIN_TEXT_PATTERN]: () => CONTROL_CHARACTERS,
  [NON_BLANK_TEXT_PATTERN]: (v) =>
    typeof v === 'string' && v.trim() === '' ? 'must not be blank' : CONTROL_CHARACTERS,
  [(Cursor as unknown as { pattern: string }).pattern]: () => 'is not a cursor this list gave out',
  '^[0-9+()\\- ]+$': () => 'may hold only digits, spaces, +, - and brackets',
  '^[^\\s\\u0000-\\u001F\\u007F]+$': () => 'must not contain spaces',
  '^[A-Za-z0-9_-]{1,32}$': () => 'may hold only letters, digits, _ and - (at most 32)',
  '^[0-9A-Za-z -]+$': () => 'may hold only letters, digits, spaces and -',
  '^[\\x20-\\x7E]+$': () => 'may hold only printable ASCII characters',
  '^[a-z_]+$': () => 'may hold only lower-case letters and _',
}

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
}

const FORMAT_MESSAGES: Record<string, string> = {
  ...DATE_FORMAT_MESSAGES,
  uuid: 'must be a UUID such as 0f8fad5b-d9cb-469f-a165-70867728950e',
  uri: 'must be a web address such as https://example.org/photo.jpg',
}

/** The field an error is about, as the contract names it: "items.1.code"; a missing or unknown one by its name. */
function fieldOf(e: AjvError, part: string): string {
  const base = pointerSegments(e.instancePath).join('.')
  const extra =
    e.keyword === 'required'
      ? String(e.params?.missingProperty ?? '')
      : e.keyword === 'additionalProperties'
        ? String(e.params?.additionalProperty ?? '')
        : ''
  const path = [base, extra].filter(Boolean).join('.')
  return path || part
}

function pointerSegments(pointer: string | undefined): string[] {
  if (!pointer) return []
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

function valueAt(data: unknown, pointer: string | undefined): unknown {
  let v = data
  for (const s of pointerSegments(pointer)) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[s]
  }
  return v
}

/** The fields an object schema (or a union of one with null) asks for: required first, then the rest. */
function fieldsOf(schema: unknown): { required: string[]; optional: string[] } {
  const s = schema as { properties?: object; required?: string[]; anyOf?: unknown[] } | undefined
  const object = s?.properties ? s : s?.anyOf?.find((b) => (b as { properties?: object }).properties)
  const o = object as { properties?: object; required?: string[] } | undefined
  const required = o?.required ?? []
  return { required, optional: Object.keys(o?.properties ?? {}).filter((k) => !required.includes(k)) }
}

/** The answer to a request without a body (or with no JSON object as the body), naming what it should hold. */
export function missingBodyMessage(schema: unknown, sent: unknown = undefined): string {
  const { required, optional } = fieldsOf(schema)
  const start =
    sent === undefined || sent === null ? 'the request needs a JSON body' : 'the body must be a JSON object'
  if (required.length) return `${start} with: ${required.join(', ')}`
  return optional.length ? `${start} (each field is optional: ${optional.join(', ')})` : `${start}: {}`
}

function decimalMessage(value: unknown): string {
  if (typeof value !== 'string') return A_DECIMAL
  const text = value.trim()
  if (/^-?\d+\.\d{3,}$/.test(text)) return TWO_PLACES
  if (/^-?\d{14,}(\.\d*)?$/.test(text)) return 'is too large: at most 13 digits before the decimal point'
  return A_DECIMAL
}

const plural = (n: number, one: string, many: string) => (n === 1 ? one : `${n} ${many}`)

/** One error in words. `value` is what was sent at the error's place. */
function messageOf(e: AjvError, value: unknown): string {
  const p = e.params ?? {}
  const limit = Number(p.limit)
  switch (e.keyword) {
    case 'required':
      return 'is required'
    case 'additionalProperties':
      return 'is not a field of this request'
    case 'type':
      return `must be ${String(p.type)
        .split(',')
        .map((t) => TYPE_WORDS[t] ?? t)
        .join(' or ')}`
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map(String).join(', ')}`
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`
    case 'minLength':
      return limit === 1 ? 'must not be empty' : `must be at least ${limit} characters long`
    case 'maxLength':
      return `must be at most ${limit} characters long`
    case 'minimum':
      return `must be at least ${limit}`
    case 'maximum':
      return `must be at most ${limit}`
    case 'exclusiveMinimum':
      return `must be more than ${limit}`
    case 'exclusiveMaximum':
      return `must be less than ${limit}`
    case 'multipleOf':
      return `must be a multiple of ${p.multipleOf}`
    case 'minItems':
      return `must list at least ${plural(limit, 'one entry', 'entries')}`
    case 'maxItems':
      return `must list at most ${plural(limit, 'one entry', 'entries')}`
    case 'uniqueItems':
      return 'must not list the same entry twice'
    case 'format':
      return FORMAT_MESSAGES[String(p.format)] ?? `must be a valid ${p.format}`
    case 'pattern':
      return PATTERN_MESSAGES[String(p.pattern)]?.(value) ?? 'is not in the expected form'
    default:
      return e.message ?? 'is not valid'
  }
}

/**
 * One message per field, in words a secretary understands: "hours: at most two decimal places, e.g. "3.50"",
 * "memberId is required", "colour is not a field of this request". Ajv reports a union (a decimal is a string
 * or a number; a nullable value is one or null) as every branch's failure plus the union's own; they are one
 * mistake, so they are said once, as the kind of value the field takes.
 */
function explainField(
  field: string,
  group: AjvError[],
  value: unknown,
  part: string,
  schema: unknown,
): string {
  const first = group[0] as AjvError
  if (first.keyword === 'required' || first.keyword === 'additionalProperties') return messageOf(first, value)
  let errors = group.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && e.keyword !== 'if')
  if (errors.some((e) => e.keyword === 'pattern' && e.params?.pattern === DECIMAL_INPUT_PATTERN)) {
    return decimalMessage(value)
  }
  const typeOf = (e: AjvError) => (e.keyword === 'type' ? String(e.params?.type) : undefined)
  const types = new Set(errors.map(typeOf))
  if (types.has('string') && types.has('number') && errors.every((e) => e.keyword === 'type')) {
    return decimalMessage(value)
  }
  // A nullable value: null is always allowed, so the other branch says what is wrong.
  if (errors.length > 1 && value !== null) errors = errors.filter((e) => typeOf(e) !== 'null')
  if (errors.length === 0) errors = [first]
  if (part === 'body' && field === 'body' && errors.some((e) => typeOf(e) === 'object')) {
    return missingBodyMessage(schema, value)
  }
  if (errors.length > 1 && errors.every((e) => e.keyword === 'const')) {
    return `must be one of: ${errors.map((e) => String(e.params?.allowedValue)).join(', ')}`
  }
  if (errors.length > 1 && errors.every((e) => e.keyword === 'type')) {
    return `must be ${[...new Set(errors.flatMap((e) => String(e.params?.type).split(',')))]
      .map((t) => TYPE_WORDS[t] ?? t)
      .join(' or ')}`
  }
  return messageOf(errors[0] as AjvError, value)
}

/** A field and its message as one sentence: "memberId is required", "hours: at most two decimal places". */
export function sentence(field: string, message: string): string {
  if (/^(the|a|an) /.test(message)) return message
  return /^(is|are|must|may|has|have)\b/.test(message) ? `${field} ${message}` : `${field}: ${message}`
}

/**
 * Ajv's errors for one part of a request, in plain words: one entry per field (the field names as the
 * contract spells them), and a detail that says each. `data` is the part as sent, `schema` its schema.
 */
export function explainValidation(
  ajvErrors: readonly AjvError[],
  part: string,
  data: unknown,
  schema?: unknown,
): PlainValidation {
  const groups = new Map<string, AjvError[]>()
  for (const e of ajvErrors) {
    const field = fieldOf(e, part)
    const group = groups.get(field)
    if (group) group.push(e)
    else groups.set(field, [e])
  }
  const errors = [...groups].map(([field, group]) => {
    const at = group[0]?.keyword === 'required' || group[0]?.keyword === 'additionalProperties'
    const value = at ? undefined : valueAt(data, group[0]?.instancePath)
    return { field, message: explainField(field, group, value, part, schema) }
  })
  const sentences = errors.map((e) => sentence(e.field, e.message))
  const shown = sentences.slice(0, 5).join('; ')
  const detail =
    sentences.length > 5
      ? `${shown}; and ${sentences.length - 5} more (see errors)`
      : shown || 'request is not valid'
  return { errors, detail }
}

const PART_DATA: Record<RequestPart, 'body' | 'query' | 'params' | 'headers'> = {
  body: 'body',
  querystring: 'query',
  params: 'params',
  headers: 'headers',
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
      const part = (err.validationContext ?? 'body') as RequestPart
      const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[part]
      const data = request[PART_DATA[part] ?? 'body']
      const plain = explainValidation(err.validation as AjvError[], part, data, schema)
      body = problem('validation_failed', plain.detail, { errors: plain.errors })
    } else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
      // Content-Type: application/json and nothing after it: say what the body should hold.
      const message = missingBodyMessage(request.routeOptions.schema?.body)
      body = problem('validation_failed', message, { errors: [{ field: 'body', message }] })
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

  // A path that exists with other methods answers 405 with Allow (RFC 9110 15.5.6); only an unknown path is 404.
  const allowedOn = routeMethods(app)
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!
    const allow = allowedOn(path)
    if (allow.length > 0) {
      return reply
        .code(405)
        .header('allow', allow.join(', '))
        .type('application/problem+json')
        .send(
          problem(
            'method_not_allowed',
            `${request.method} is not allowed on ${path}; it takes ${allow.join(', ')}`,
          ),
        )
    }
    return reply
      .code(404)
      .type('application/problem+json')
      .send(problem('not_found', `no route ${request.method} ${path}`))
  })
})

/**
 * The methods the routes registered from now on answer at a concrete path (for the Allow header of a 405), in the
 * order of METHOD_ORDER: HEAD wherever GET is (Fastify answers it), OPTIONS only where a route serves it. A route
 * on every path (`*`, the CORS preflight) adds its methods to paths that exist, and never makes a path exist.
 * Only a request no route matched pays for the scan.
 */
const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']
export function routeMethods(app: FastifyInstance): (path: string) => string[] {
  const routes: { pattern: RegExp; methods: string[] }[] = []
  const everywhere = new Set<string>()
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat().map((m) => m.toUpperCase())
    if (route.url === '*' || route.url === '/*') for (const m of methods) everywhere.add(m)
    else routes.push({ pattern: routePattern(route.url), methods })
  })
  return (path) => {
    const found = new Set<string>()
    for (const r of routes) if (r.pattern.test(path)) for (const m of r.methods) found.add(m)
    if (found.size === 0) return []
    if (found.has('GET')) found.add('HEAD')
    for (const m of everywhere) found.add(m)
    return METHOD_ORDER.filter((m) => found.has(m)).concat(
      [...found].filter((m) => !METHOD_ORDER.includes(m)),
    )
  }
}

/** A Fastify route URL as a regular expression over concrete paths (`:id` one segment or part of one, `*` the rest). */
function routePattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+|\*)/)
    .map((part) =>
      part.startsWith(':') ? '[^/]+?' : part === '*' ? '.*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('')
  // the router ignores a trailing slash (app.ts routerOptions)
  return new RegExp(`^${source.replace(/\/$/, '')}/?$`)
}

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
