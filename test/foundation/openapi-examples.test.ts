import Ajv, { type ValidateFunction } from 'ajv'
import addFormats from 'ajv-formats'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateOpenApi } from '../../scripts/openapi'
import { ERROR_STATUS } from '../../src/shared/errors'
import { isSupportedDate, isSupportedDateTime } from '../../src/shared/schemas'

/**
 * What /docs shows a newcomer: every request body and success answer with a realistic example, every success
 * answer described in words, every problem status with its own example; and every example valid against its
 * own schema, so an example that drifts from the contract fails here. CSV and PDF bodies need no example, but
 * their answers need words too.
 */

type Json = Record<string, unknown>
interface Operation extends Json {
  operationId: string
  requestBody?: { content: Record<string, Json> }
  responses: Record<string, { description?: string; content?: Record<string, Json> }>
}

let doc: { paths: Record<string, Record<string, Operation>>; components: Json }
let ajv: Ajv
const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch'])

beforeAll(async () => {
  doc = JSON.parse(await generateOpenApi())
  // The formats as the app checks them (src/app.ts makeAjv).
  ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  ajv.addFormat('date', { type: 'string', validate: isSupportedDate })
  ajv.addFormat('date-time', { type: 'string', validate: isSupportedDateTime })
  ajv.addSchema({ $id: 'doc', components: doc.components })
})

function operations(): [string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.has(method))
      .map(([method, op]): [string, Operation] => [
        `${op.operationId} (${method.toUpperCase()} ${path})`,
        op,
      ]),
  )
}

const compiled = new Map<string, ValidateFunction>()
/** Errors of `value` against `schema` (its #/components refs read from the document), or [] when valid. */
function invalid(schema: unknown, value: unknown): string[] {
  const text = JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')
  let check = compiled.get(text)
  if (!check) {
    check = ajv.compile(JSON.parse(text))
    compiled.set(text, check)
  }
  return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`)
}

/** Each example a media type carries: `example`, or every value of `examples`. */
function examplesOf(media: Json): unknown[] {
  if (media.example !== undefined) return [media.example]
  return Object.values((media.examples ?? {}) as Record<string, { value: unknown }>).map((e) => e.value)
}

describe('examples in the OpenAPI document', () => {
  it('finds the operations', () => {
    expect(operations().length).toBeGreaterThanOrEqual(90)
  })

  it('every JSON request body has an example valid against its schema', () => {
    const missing: string[] = []
    for (const [name, op] of operations()) {
      const media = op.requestBody?.content['application/json']
      if (!media) continue
      const [example] = examplesOf(media)
      if (example === undefined) missing.push(`${name}: no request example`)
      else for (const e of invalid(media.schema, example)) missing.push(`${name} request: ${e}`)
    }
    expect(missing).toEqual([])
  })

  it('every success answer says in words what it is, and a JSON one shows a valid example', () => {
    const missing: string[] = []
    for (const [name, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) >= 300) continue
        if (!response.description || response.description === 'Default Response')
          missing.push(`${name} ${status}: described "${response.description}"`)
        const media = response.content?.['application/json']
        if (!media?.schema) continue
        const [example] = examplesOf(media)
        if (example === undefined) missing.push(`${name} ${status}: no example`)
        else for (const e of invalid(media.schema, example)) missing.push(`${name} ${status}: ${e}`)
      }
    }
    expect(missing).toEqual([])
  })

  it('every problem status has its own example, with that status and a code of that status', () => {
    const missing: string[] = []
    for (const [name, op] of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content?.['application/problem+json']
        if (!media) continue
        const examples = examplesOf(media) as { status?: number; code?: keyof typeof ERROR_STATUS }[]
        if (examples.length === 0) missing.push(`${name} ${status}: no example`)
        for (const example of examples) {
          if (example.status !== Number(status))
            missing.push(`${name} ${status}: example has status ${example.status}`)
          if (!example.code || ERROR_STATUS[example.code] !== Number(status))
            missing.push(`${name} ${status}: code ${example.code} is not a ${status}`)
          for (const e of invalid(media.schema, example)) missing.push(`${name} ${status}: ${e}`)
        }
      }
    }
    expect(missing).toEqual([])
  })

  it('a 400 example is the answer the service gives, in plain words', () => {
    const op = operations().find(([, o]) => o.operationId === 'recordParticipation')?.[1]
    expect(op?.responses['400']?.content?.['application/problem+json']?.example).toMatchObject({
      status: 400,
      code: 'validation_failed',
      detail: 'hours: at most two decimal places, e.g. "3.50"',
      errors: [{ field: 'hours', message: 'at most two decimal places, e.g. "3.50"' }],
    })
  })

  it('the check fails on a wrong example (a decimal without its two places, an id that is no UUID)', () => {
    const op = operations().find(([, o]) => o.operationId === 'recordParticipation')?.[1]
    const media = op?.responses['200']?.content?.['application/json'] as Json
    const right = media.example as Json
    expect(invalid(media.schema, right)).toEqual([])
    expect(invalid(media.schema, { ...right, hours: '3.5' })).not.toEqual([])
    expect(invalid(media.schema, { ...right, memberId: 'zhang' })).not.toEqual([])
  })
})
