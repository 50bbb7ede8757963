import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'

// Authentication is decided on the matched route, never on the raw URL: the router decodes and normalises the
// path, so every spelling that reaches a protected route must still need a token. Sent over a real socket with
// the path exactly as written (curl --path-as-is), since an HTTP client library might normalise it first.
let t: TestApp
let w: World
let port: number

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  port = (t.app.server.address() as AddressInfo).port
})
afterAll(async () => {
  await t.app.close()
})

function send(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => {
          text += c
        })
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
      },
    )
    req.on('error', reject)
    if (payload) req.write(payload)
    req.end()
  })
}

const pct = (c: string) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`

/** Every spelling of a path we could think of that a lenient decoder or normaliser might take for it. */
function spellings(path: string): string[] {
  const segments = path.split('/').slice(1)
  const out = new Set<string>([path])
  segments.forEach((segment, i) => {
    const at = (replacement: string) => `/${segments.map((s, j) => (j === i ? replacement : s)).join('/')}`
    out.add(at(pct(segment[0]!) + segment.slice(1))) // first letter encoded: /%61pi/v1/...
    out.add(at(pct(segment[0]!).toUpperCase() + segment.slice(1)))
    out.add(at([...segment].map(pct).join(''))) // the whole segment encoded
    out.add(at(`%25${pct(segment[0]!).slice(1)}${segment.slice(1)}`)) // double encoding: %2561pi
    out.add(at(segment.toUpperCase())) // upper case
    out.add(at(`${segment};x=1`)) // path parameter
    out.add(at(`${segment}%3B`))
  })
  const rest = path.replace(/^\/api\/v1\//, '')
  for (const p of [
    `/${path}`.replace(/^\/\//, '//'), // //api/v1/...
    `/api//v1/${rest}`,
    `/api/v1//${rest}`,
    `/api/v1/./${rest}`,
    `/api/v1/%2e/${rest}`,
    `/api/v1/../v1/${rest}`,
    `/api/v1/../api/v1/${rest}`,
    `/api/v1/%2e%2e/v1/${rest}`,
    `/api/v1/auth/login/../../${rest}`,
    `/api%2Fv1/${rest}`,
    `/api%2fv1%2f${rest.replace(/\//g, '%2F')}`,
    `/api/v1%2F${rest}`,
    `/%2Fapi/v1/${rest}`,
    `/api/v1/${rest}/`,
    `/api/v1/${rest}//`,
    `/api/v1/${rest}?`,
    `/api/v1/${rest}?/healthz`,
    `/api/v1/${rest}%3F/healthz`,
    `/api/v1/${rest}#x`,
    `/api/v1/${rest};`,
    `/api/v1/${rest}%00`,
    `/healthz/../api/v1/${rest}`,
    `/docs/../api/v1/${rest}`,
    `/%61pi/%76%31/${rest}`,
  ]) {
    out.add(p)
  }
  return [...out]
}

describe('authentication on the matched route', () => {
  const id = '00000000-0000-4000-8000-000000000001'
  const cases: Array<[string, string, () => string, unknown?]> = [
    ['GET', '/api/v1/org-units', () => '/api/v1/org-units'],
    ['GET', '/api/v1/members', () => '/api/v1/members'],
    ['GET', '/api/v1/me', () => '/api/v1/me'],
    ['GET', '/api/v1/members/:id/balance', () => `/api/v1/members/${w.memberA.memberId}/balance`],
    ['GET', '/api/v1/ledger/verify', () => '/api/v1/ledger/verify'],
    [
      'POST',
      '/api/v1/members',
      () => '/api/v1/members',
      { orgUnitId: id, name: '王五', isPartyMember: true },
    ],
    ['PATCH', '/api/v1/org-units/:id', () => `/api/v1/org-units/${w.branchA}`, { name: 'renamed' }],
    ['PATCH', '/api/v1/members/:id', () => `/api/v1/members/${w.memberA.memberId}`, { name: 'renamed' }],
    ['DELETE', '/api/v1/users/:id/roles/:grantId', () => `/api/v1/users/${w.admin}/roles/${id}`],
    ['POST', '/api/v1/auth/logout', () => '/api/v1/auth/logout', { refreshToken: 'x' }],
  ]

  it.each(cases)(
    '%s %s without a token: 401, or 404/400 for a path that is not the route, never 2xx or 500',
    async (method, _route, path, body) => {
      const refused: string[] = []
      for (const spelling of spellings(path())) {
        const res = await send(method, spelling, body)
        if (![400, 401, 404, 405].includes(res.status)) refused.push(`${res.status} ${method} ${spelling}`)
      }
      expect(refused).toEqual([])
    },
  )

  it('the plain spelling is 401 and the encoded one too (the reported case)', async () => {
    expect((await send('GET', '/api/v1/org-units')).status).toBe(401)
    const encoded = await send('GET', '/%61pi/v1/org-units')
    expect(encoded.status).toBe(401)
    expect(JSON.parse(encoded.text).code).toBe('unauthorized')
  })

  it('public routes stay public whatever the spelling (login answers, not 401-for-no-token)', async () => {
    const res = await send('POST', '/%61pi/v1/auth/login', {
      username: 'nobody-here',
      password: 'wrong-wrong-wrong',
    })
    expect(res.status).toBe(401)
    expect(JSON.parse(res.text).detail).not.toMatch(/Bearer/)
    expect((await send('GET', '/%68ealthz')).status).toBe(200)
  })
})
