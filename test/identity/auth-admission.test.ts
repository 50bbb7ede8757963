import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { describe, expect, it } from 'vitest'
import { admission, guardProtected, isProtected } from '../../src/plugins/auth/admission'
import { CallerCache } from '../../src/plugins/auth/caller-cache'
import type { CallerLoader } from '../../src/plugins/auth/grants'
import { PerCallerLimit } from '../../src/plugins/auth/per-caller-limit'
import { VerifiedTokens } from '../../src/plugins/auth/tokens'
import type { Caller } from '../../src/shared/authz'
import type { CounterStore } from '../../src/shared/counters'

// The request hook of the auth plugin without Fastify (src/plugins/auth/admission.ts). The hot path (a known
// token, a caller in the cache) must answer within the call, without a promise; the rest through HTTP:
// auth.test.ts, auth-bypass.test.ts, rate-limit.test.ts.

const SUB = '0190f6a4-1b2c-7d3e-8f40-123456789abc'
const GOOD = 'Bearer good.token.sig'
const nowS = () => Math.floor(Date.now() / 1000)
const member: Caller = { userId: SUB, username: 'ann', memberId: null, residentId: null, grants: [] }

function parts(opts: { max?: number; loaded?: Caller | null } = {}) {
  const reads: string[] = []
  const loader: CallerLoader = {
    one: async (userId) => {
      reads.push(userId)
      return opts.loaded === undefined ? member : opts.loaded
    },
    many: async () => new Map(),
  }
  const tokens = new VerifiedTokens()
  const callers = new CallerCache(loader)
  const limit = new PerCallerLimit({ max: opts.max ?? 100, windowMs: 60_000 }, {} as CounterStore, () => {})
  return { hook: admission({ tokens, limit, callers }), tokens, callers, reads }
}

function request(authorization: string | undefined, url = '/api/v1/me', config: { public?: boolean } = {}) {
  const req = {
    headers: authorization === undefined ? {} : { authorization },
    ip: '10.0.0.1',
    routeOptions: { url, config },
    verified: 0,
    async jwtVerify() {
      req.verified++
      if (req.headers.authorization !== GOOD) throw new Error('bad signature')
      return { sub: SUB, iat: nowS(), exp: nowS() + 600 }
    },
  } as { headers: { authorization?: string }; verified: number; caller?: Caller; [k: string]: unknown }
  return req
}

function reply() {
  const headers: Record<string, string> = {}
  return {
    headers,
    header(k: string, v: string) {
      headers[k] = v
      return this
    },
  }
}

/** Runs the hook; `sync` tells whether it called done before it returned (no promise on the way). */
async function run(hook: ReturnType<typeof admission>, req: ReturnType<typeof request>, res = reply()) {
  let called = false
  const finished = new Promise<Error | undefined>((resolve) => {
    hook(
      req as unknown as FastifyRequest,
      res as unknown as FastifyReply,
      ((err?: Error) => {
        called = true
        resolve(err)
      }) as never,
    )
  })
  const sync = called
  return { err: await finished, sync, res }
}

describe('admission (the onRequest hook)', () => {
  it('a known token whose caller is cached passes within the call: no promise, no read', async () => {
    const p = parts()
    await run(p.hook, request(GOOD)) // verifies the token and reads the caller
    expect(p.reads).toEqual([SUB])
    const req = request(GOOD)
    const { err, sync, res } = await run(p.hook, req)
    expect(err).toBeUndefined()
    expect(sync).toBe(true)
    expect(req.verified).toBe(0)
    expect(req.caller).toEqual(member)
    expect(p.reads).toEqual([SUB])
    expect(res.headers).toMatchObject({ 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '98' })
  })

  it('a new token waits for the verifier, a cache miss for the read', async () => {
    const p = parts()
    const first = request(GOOD)
    const a = await run(p.hook, first)
    expect(a).toMatchObject({ err: undefined, sync: false })
    expect(first.verified).toBe(1)
    expect(first.caller).toEqual(member)
    p.callers.forget(SUB)
    const b = await run(p.hook, request(GOOD))
    expect(b).toMatchObject({ err: undefined, sync: false })
    expect(p.reads).toEqual([SUB, SUB])
  })

  it('a protected route without a token, or with a bad one, is 401; a public one passes without a caller', async () => {
    const p = parts()
    const none = await run(p.hook, request(undefined))
    expect(none.err).toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('send Authorization'),
    })
    const bad = await run(p.hook, request('Bearer forged.token.sig'))
    expect(bad.err).toMatchObject({
      code: 'unauthorized',
      message: expect.stringContaining('invalid or expired'),
    })
    const open = request(undefined, '/api/v1/auth/login', { public: true })
    expect(await run(p.hook, open)).toMatchObject({ err: undefined, sync: true })
    expect(open.caller).toBeUndefined()
    expect(p.reads).toEqual([])
  })

  it('a user the loader no longer finds (disabled) is 401', async () => {
    const p = parts({ loaded: null })
    expect((await run(p.hook, request(GOOD))).err).toMatchObject({ code: 'unauthorized' })
  })

  it('the budget is taken before authentication: past it, 429 with Retry-After, token or not', async () => {
    const p = parts({ max: 2 })
    await run(p.hook, request(undefined))
    await run(p.hook, request(undefined))
    const over = await run(p.hook, request(undefined))
    expect(over.err).toMatchObject({ code: 'rate_limited' })
    expect(Number(over.res.headers['retry-after'])).toBeGreaterThanOrEqual(1)
    expect(over.res.headers['x-ratelimit-remaining']).toBe('0')
    // A token's user has a budget of their own, not the address's.
    expect((await run(p.hook, request(GOOD))).err).toBeUndefined()
  })
})

describe('isProtected and guardProtected', () => {
  it('protects /api/v1 routes that are not marked public, decided on the route', () => {
    expect(isProtected({ url: '/api/v1/me' })).toBe(true)
    expect(isProtected({ url: '/api/v1/auth/login', config: { public: true } })).toBe(false)
    expect(isProtected({ url: '/health' })).toBe(false)
    expect(isProtected({})).toBe(false)
  })

  it("a protected route's handler never runs without a caller", async () => {
    let ran = 0
    const route = { url: '/api/v1/me', method: 'GET', handler: () => ++ran } as unknown as RouteOptions
    guardProtected(route)
    const call = (caller?: Caller) =>
      (route.handler as (r: unknown, s: unknown) => unknown).call({}, { caller }, {})
    expect(() => call()).toThrow(expect.objectContaining({ code: 'unauthorized' }))
    expect(ran).toBe(0)
    call(member)
    expect(ran).toBe(1)
    const open = { url: '/health', method: 'GET', handler: () => 'ok' } as unknown as RouteOptions
    const handler = open.handler
    guardProtected(open)
    expect(open.handler).toBe(handler)
  })
})
