import { afterAll, describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/app'
import { createWorld } from '../helpers/factories'

/**
 * Issue 17: a path the API serves, asked with a method it does not take, answers 405 method_not_allowed with an
 * Allow header naming the methods it does take (HEAD where GET is; OPTIONS only where served); a path it does not
 * serve at all stays 404.
 */

const t = await buildTestApp()
const cors = await buildTestApp({ corsOrigins: ['https://office.example'] })
const w = await createWorld(t.db)
afterAll(async () => {
  await t.app.close()
  await cors.app.close()
})

describe('405 with Allow for a known path and another method', () => {
  it.each([
    ['DELETE', '/api/v1/me', 'GET, HEAD'],
    ['POST', '/api/v1/me', 'GET, HEAD'],
    ['PUT', '/api/v1/members', 'GET, HEAD, POST'],
    ['DELETE', `/api/v1/members/${crypto.randomUUID()}`, 'GET, HEAD, PATCH'],
    ['GET', '/api/v1/auth/login', 'POST'],
    ['PATCH', `/api/v1/activities/${crypto.randomUUID()}/participants/${crypto.randomUUID()}`, 'PUT, DELETE'],
    ['POST', '/healthz', 'GET, HEAD'],
    ['DELETE', '/api/v1/me/', 'GET, HEAD'],
    ['OPTIONS', '/api/v1/rewards?limit=5', 'GET, HEAD, POST'],
  ])('%s %s: 405, Allow: %s', async (method, url, allow) => {
    const res = await t.call({ method: method as 'GET', url, as: w.secretaryA })
    expect(res.statusCode, res.body).toBe(405)
    expect(res.headers.allow).toBe(allow)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json()).toMatchObject({ status: 405, code: 'method_not_allowed' })
    expect(res.json().detail).toContain(allow)
  })

  it('a method the path takes is not refused (HEAD answers where GET does)', async () => {
    const res = await t.call({ method: 'HEAD', url: '/api/v1/me', as: w.secretaryA })
    expect(res.statusCode).toBe(200)
  })

  it('unknown paths stay 404 whatever the method', async () => {
    for (const method of ['GET', 'DELETE', 'POST'] as const) {
      const res = await t.call({ method, url: '/api/v1/nothing-here', as: w.secretaryA })
      expect(res.statusCode).toBe(404)
      expect(res.json().code).toBe('not_found')
      expect(res.headers.allow).toBeUndefined()
    }
    // a known path one segment too deep is another path
    const deep = await t.call({ method: 'GET', url: '/api/v1/me/extra', as: w.secretaryA })
    expect(deep.statusCode).toBe(404)
  })

  it('OPTIONS is listed only where it is served: with CORS configured, the preflight route', async () => {
    const res = await cors.call({ method: 'DELETE', url: '/api/v1/me', as: w.secretaryA })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD, OPTIONS')
    // and the preflight route does not make unknown paths exist
    const unknown = await cors.call({ method: 'DELETE', url: '/api/v1/nothing-here', as: w.secretaryA })
    expect(unknown.statusCode).toBe(404)
  })
})
