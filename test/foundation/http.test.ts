import Type from 'typebox'
import { beforeAll, describe, expect, it } from 'vitest'
import { formatCents, parseCents } from '../../src/shared/decimal'
import { DomainError } from '../../src/shared/errors'
import { Body, DecimalInput } from '../../src/shared/schemas'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp({
    beforeReady: (app) => {
      app.post(
        '/api/v1/_echo',
        {
          schema: {
            body: Body({
              name: Type.String({ minLength: 1 }),
              amount: DecimalInput,
              count: Type.Optional(Type.Integer()),
            }),
          },
        },
        async (req) => ({
          name: (req.body as { name: string }).name,
          amount: formatCents(parseCents((req.body as { amount: unknown }).amount, 'amount')),
        }),
      )
      app.get('/api/v1/_boom', async () => {
        throw new Error('select * from secret_table where password = hunter2')
      })
      app.get('/api/v1/_domain', async () => {
        throw new DomainError('insufficient_points', 'available 1.00, needed 5.00')
      })
    },
  })
  w = await createWorld(t.db)
})

const isProblem = (res: { headers: Record<string, unknown> }) =>
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/)

describe('system endpoints', () => {
  it('GET /healthz and /readyz answer 200 with a live database', async () => {
    expect((await t.call({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' })
    expect((await t.call({ method: 'GET', url: '/readyz' })).json()).toEqual({ status: 'ready' })
  })

  it('GET /docs serves the interactive docs and /openapi.json the document', async () => {
    const docs = await t.call({ method: 'GET', url: '/docs' })
    expect(docs.statusCode).toBe(200)
    expect(docs.body).toMatch(/swagger/i)
    const doc = (await t.call({ method: 'GET', url: '/openapi.json' })).json()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
  })
})

describe('errors as application/problem+json', () => {
  it('unknown route: 404 not_found', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/nothing-here' })
    expect(res.statusCode).toBe(404)
    isProblem(res)
    expect(res.json()).toMatchObject({
      status: 404,
      code: 'not_found',
      title: expect.any(String),
      type: expect.any(String),
    })
  })

  it('no token: 401 unauthorized', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/_domain' })
    expect(res.statusCode).toBe(401)
    isProblem(res)
    expect(res.json().code).toBe('unauthorized')
  })

  it('schema violations: 400 validation_failed with per-field errors, unknown fields refused', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/_echo',
      as: w.admin,
      payload: { name: '', amount: 'x', extra: 1 },
    })
    expect(res.statusCode).toBe(400)
    isProblem(res)
    const body = res.json()
    expect(body.code).toBe('validation_failed')
    const fields = body.errors.map((e: { field: string }) => e.field)
    expect(fields).toEqual(expect.arrayContaining(['name', 'amount', 'extra']))
  })

  it('bodies are not coerced: "5" is not an integer', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/_echo',
      as: w.admin,
      payload: { name: 'a', amount: 1, count: '5' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().errors[0].field).toBe('count')
  })

  it('decimals: a number with three places is 400, two places is accepted exactly', async () => {
    const bad = await t.call({
      method: 'POST',
      url: '/api/v1/_echo',
      as: w.admin,
      payload: { name: 'a', amount: 1.005 },
    })
    expect(bad.statusCode).toBe(400)
    expect(bad.json().errors).toEqual([{ field: 'amount', message: expect.any(String) }])
    const ok = await t.call({
      method: 'POST',
      url: '/api/v1/_echo',
      as: w.admin,
      payload: { name: 'a', amount: 0.1 },
    })
    expect(ok.json()).toEqual({ name: 'a', amount: '0.10' })
  })

  it('malformed JSON: 400 validation_failed', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/_echo',
      as: w.admin,
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    })
    expect(res.statusCode).toBe(400)
    isProblem(res)
    expect(res.json().code).toBe('validation_failed')
  })

  it('a body over 1 MiB: 413', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/_echo',
      as: w.admin,
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10), amount: 1 }),
    })
    expect(res.statusCode).toBe(413)
    isProblem(res)
  })

  it('a DomainError keeps its code and status', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/_domain', as: w.admin })
    expect(res.statusCode).toBe(422)
    expect(res.json()).toMatchObject({ code: 'insufficient_points', detail: 'available 1.00, needed 5.00' })
  })

  it('an unexpected error: generic 500 naming the request id, no internals', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/_boom', as: w.admin })
    expect(res.statusCode).toBe(500)
    isProblem(res)
    expect(res.body).not.toMatch(/secret_table|hunter2|at .*\.ts/)
    expect(res.json().detail).toContain(
      String(res.headers['x-request-id'] ?? res.json().detail.match(/[0-9a-f-]{36}/)?.[0]),
    )
  })

  it('authenticated answers are not cached and carry security headers', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/_domain', as: w.admin })
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    expect(res.headers['x-frame-options']).toBe('DENY')
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+; includeSubDomains$/)
    expect(res.headers['referrer-policy']).toBe('no-referrer')
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin')
  })

  it('errors carry the security headers too; the docs page may load its own scripts but not be framed', async () => {
    const missing = await t.call({ method: 'GET', url: '/api/v1/nothing-here' })
    expect(missing.headers['x-content-type-options']).toBe('nosniff')
    expect(missing.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
    for (const url of ['/docs', '/docs/static/swagger-ui.css']) {
      const docs = await t.call({ method: 'GET', url })
      expect(docs.statusCode).toBe(200)
      expect(docs.headers['content-security-policy']).toBe("frame-ancestors 'none'")
      expect(docs.headers['x-frame-options']).toBe('DENY')
      expect(docs.headers['x-content-type-options']).toBe('nosniff')
    }
  })
})

describe('CORS', () => {
  const preflight = {
    method: 'OPTIONS' as const,
    url: '/api/v1/_domain',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
  }

  it('is closed by default: no origin is allowed', async () => {
    const res = await t.call(preflight)
    expect(res.headers['access-control-allow-origin']).toBeUndefined()
    // No CORS at all: a preflight is a method no route answers (it was a 401 from the catch-all OPTIONS route
    // of @fastify/cors, registered even with no origin allowed): 405, and Allow does not offer OPTIONS.
    expect(res.statusCode).toBe(405)
    expect(res.json().code).toBe('method_not_allowed')
    expect(res.headers.allow).not.toMatch(/OPTIONS/)
    const plain = await t.call({
      method: 'GET',
      url: '/healthz',
      headers: { origin: 'https://evil.example' },
    })
    expect(plain.headers['access-control-allow-origin']).toBeUndefined()
    expect(plain.headers.vary).toBeUndefined()
  })

  it('allows exactly the configured origins', async () => {
    const open = await buildTestApp({ corsOrigins: ['https://kiosk.example'] })
    const allowed = await open.call({
      ...preflight,
      headers: { ...preflight.headers, origin: 'https://kiosk.example' },
    })
    expect(allowed.headers['access-control-allow-origin']).toBe('https://kiosk.example')
    const other = await open.call(preflight)
    expect(other.headers['access-control-allow-origin']).toBeUndefined()
    await open.app.close()
  })
})
