import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'

// A budget of 3 per caller and minute: the 4th request of one caller is refused, others go on.
let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp({ rateLimitMax: 3 })
  w = await createWorld(t.db)
})
afterAll(async () => {
  await t.app.close()
})

const me = (as: string) => t.call({ method: 'GET', url: '/api/v1/me', as })

describe('per-caller rate limit on every route', () => {
  it('sends the budget on each answer and 429 rate_limited with Retry-After past it', async () => {
    const { userId } = await createMemberUser(t.db, w.branchA)
    const answers = [await me(userId), await me(userId), await me(userId)]
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200, 200])
    expect(answers.map((r) => r.headers['x-ratelimit-remaining'])).toEqual(['2', '1', '0'])
    for (const r of answers) {
      expect(r.headers['x-ratelimit-limit']).toBe('3')
      expect(Number(r.headers['x-ratelimit-reset'])).toBeGreaterThan(0)
      expect(Number(r.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60)
    }

    const refused = await me(userId)
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(refused.json().code).toBe('rate_limited')
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect(refused.headers['x-ratelimit-remaining']).toBe('0')
  })

  it('counts each user on their own, from the same address', async () => {
    const a = await createMemberUser(t.db, w.branchA)
    const b = await createMemberUser(t.db, w.branchA)
    for (let i = 0; i < 3; i++) expect((await me(a.userId)).statusCode).toBe(200)
    expect((await me(a.userId)).statusCode).toBe(429)
    // Same address (inject uses 127.0.0.1), another user: a full budget of their own.
    const other = await me(b.userId)
    expect(other.statusCode).toBe(200)
    expect(other.headers['x-ratelimit-remaining']).toBe('2')
  })

  it('counts callers without a valid token by address, and limits 4xx answers too', async () => {
    const from = (remoteAddress: string, authorization?: string) =>
      t.app.inject({
        method: 'GET',
        url: '/api/v1/me',
        remoteAddress,
        headers: authorization ? { authorization } : {},
      })
    const first = await from('203.0.113.7')
    expect(first.statusCode).toBe(401)
    expect(first.headers['x-ratelimit-limit']).toBe('3')
    expect(first.headers['x-ratelimit-remaining']).toBe('2')
    // A forged token does not buy a fresh budget: it counts for the address.
    expect((await from('203.0.113.7', 'Bearer not.a.token')).statusCode).toBe(401)
    expect((await from('203.0.113.7')).statusCode).toBe(401)
    const refused = await from('203.0.113.7', 'Bearer not.a.token')
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBeDefined()
    // Another address is unaffected.
    expect((await from('203.0.113.8')).statusCode).toBe(401)
  })

  it('covers routes outside /api/v1 as well', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '198.51.100.1' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['x-ratelimit-limit']).toBe('3')
    expect(res.headers['x-ratelimit-remaining']).toBe('2')
  })
})
