import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser, TEST_PASSWORD, uniq } from '../helpers/factories'

// Login throttling (security issue 15): per-address budgets high enough for an office behind one NAT, growing
// delays per account that failures from elsewhere cannot turn into a lock-out of the member's own address, the
// client address from X-Forwarded-For only through configured proxies, and all of it shared by every process.
// "Processes" here are two app instances built separately (own pool, own memory) on one database or one Redis.

const clock = { ms: Date.now() }
const tick = (ms: number) => {
  clock.ms += ms
}
const now = () => clock.ms

type Options = Parameters<typeof buildTestApp>[0]
const apps: TestApp[] = []
async function app(opts: Options = {}): Promise<TestApp> {
  const built = await buildTestApp({ clock: now, ...opts })
  apps.push(built)
  return built
}

let t: TestApp
beforeAll(async () => {
  t = await app()
})
afterAll(async () => {
  for (const a of apps) await a.app.close()
})

function login(
  on: TestApp,
  username: string,
  password: string,
  ip: string,
  headers: Record<string, string> = {},
) {
  return on.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
    remoteAddress: ip,
    headers,
  })
}
const WRONG = 'not-the-password'

describe('per account: growing delays', () => {
  it('after five failures each attempt waits 1 s, 2 s, 4 s ...; a success resets them', async () => {
    const username = uniq('delay')
    await createUser(t.db, { username })
    const ip = '203.0.113.20'
    for (let i = 0; i < 5; i++) expect((await login(t, username, WRONG, ip)).statusCode).toBe(401)
    let res = await login(t, username, WRONG, ip)
    expect(res.statusCode).toBe(429)
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    expect(res.json().code).toBe('rate_limited')
    expect(res.headers['retry-after']).toBe('1')
    // The right password waits too: this address never logged in to the account.
    expect((await login(t, username, TEST_PASSWORD, ip)).statusCode).toBe(429)

    for (const wait of [1, 2, 4, 8]) {
      tick(wait * 1000 - 1)
      expect((await login(t, username, WRONG, ip)).statusCode).toBe(429)
      tick(1)
      expect((await login(t, username, WRONG, ip)).statusCode).toBe(401)
      res = await login(t, username, WRONG, ip)
      expect(res.statusCode).toBe(429)
      expect(res.headers['retry-after']).toBe(String(wait * 2))
    }
    tick(16_000)
    expect((await login(t, username, TEST_PASSWORD, ip)).statusCode).toBe(200)
    // Reset: five free failures again.
    for (let i = 0; i < 5; i++) expect((await login(t, username, WRONG, ip)).statusCode).toBe(401)
    expect((await login(t, username, WRONG, ip)).headers['retry-after']).toBe('1')
  })

  it('the delay stops growing at the configured longest delay', async () => {
    const capped = await app({ login: { addressMax: 1000, freeFailures: 1, maxDelayMs: 5000 } })
    const username = uniq('capped')
    await createUser(capped.db, { username })
    const ip = '203.0.113.21'
    expect((await login(capped, username, WRONG, ip)).statusCode).toBe(401)
    const seen: string[] = []
    for (let i = 0; i < 6; i++) {
      const refused = await login(capped, username, WRONG, ip)
      expect(refused.statusCode).toBe(429)
      seen.push(refused.headers['retry-after'] as string)
      tick(Number(refused.headers['retry-after']) * 1000)
      expect((await login(capped, username, WRONG, ip)).statusCode).toBe(401)
    }
    expect(seen).toEqual(['1', '2', '4', '5', '5', '5'])
  })

  it('attempts sent together once the delays began: only one reaches the password check', async () => {
    const username = uniq('burst')
    await createUser(t.db, { username })
    const ip = '203.0.113.22'
    for (let i = 0; i < 5; i++) expect((await login(t, username, WRONG, ip)).statusCode).toBe(401)
    tick(1000)
    const burst = await Promise.all(Array.from({ length: 8 }, () => login(t, username, WRONG, ip)))
    const codes = burst.map((r) => r.statusCode).sort()
    expect(codes).toEqual([401, 429, 429, 429, 429, 429, 429, 429])
  })
})

describe('per account: no lock-out of the member', () => {
  it('ten wrong passwords from ten addresses do not stop the member at an address they used before', async () => {
    const username = uniq('member')
    await createUser(t.db, { username })
    const home = '192.0.2.10'
    expect((await login(t, username, TEST_PASSWORD, home)).statusCode).toBe(200)

    const attack = []
    for (let i = 1; i <= 10; i++) attack.push((await login(t, username, WRONG, `198.51.100.${i}`)).statusCode)
    expect(attack).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429])
    // From anywhere else the account is in its delay, right password or not ...
    expect((await login(t, username, TEST_PASSWORD, '198.51.100.99')).statusCode).toBe(429)
    // ... but the member, from home, with the right password, gets in.
    expect((await login(t, username, TEST_PASSWORD, home)).statusCode).toBe(200)
  })

  it('guesses sent from a known address are slowed down just the same', async () => {
    const username = uniq('shared-pc')
    await createUser(t.db, { username })
    const office = '192.0.2.30'
    expect((await login(t, username, TEST_PASSWORD, office)).statusCode).toBe(200)
    for (let i = 0; i < 5; i++) expect((await login(t, username, WRONG, office)).statusCode).toBe(401)
    expect((await login(t, username, WRONG, office)).statusCode).toBe(429)
    expect((await login(t, username, TEST_PASSWORD, office)).statusCode).toBe(429)
    tick(1000)
    expect((await login(t, username, TEST_PASSWORD, office)).statusCode).toBe(200)
  })

  it('usernames are throttled whatever their case, and unknown usernames alike', async () => {
    const ip = '203.0.113.23'
    const ghost = uniq('ghost')
    for (let i = 0; i < 5; i++) expect((await login(t, ghost, WRONG, ip)).statusCode).toBe(401)
    expect((await login(t, ghost.toUpperCase(), WRONG, ip)).statusCode).toBe(429)
  })
})

describe('per address', () => {
  it('an office behind one address: many members log in within the default budget', async () => {
    const office = await app({ login: { addressMax: 100 } })
    const users = Array.from({ length: 40 }, () => uniq('office'))
    for (const username of users) await createUser(office.db, { username })
    const ip = '198.51.100.200'
    const codes: number[] = []
    for (const username of users) {
      // A typo first for every fourth member, then the right password.
      if (codes.length % 4 === 0) codes.push((await login(office, username, WRONG, ip)).statusCode)
      codes.push((await login(office, username, TEST_PASSWORD, ip)).statusCode)
    }
    expect(codes.filter((c) => c === 429)).toEqual([])
    expect(codes.filter((c) => c === 200)).toHaveLength(40)
  })

  it('past the per-address budget: 429 with Retry-After, other addresses unaffected', async () => {
    const small = await app({ login: { addressMax: 3 } })
    const ip = '198.51.100.201'
    for (let i = 0; i < 3; i++) expect((await login(small, uniq('spray'), WRONG, ip)).statusCode).toBe(401)
    const refused = await login(small, uniq('spray'), WRONG, ip)
    expect(refused.statusCode).toBe(429)
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0)
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60)
    expect((await login(small, uniq('spray'), WRONG, '198.51.100.202')).statusCode).toBe(401)
    tick(60_000)
    expect((await login(small, uniq('spray'), WRONG, ip)).statusCode).toBe(401)
  })

  it('refresh has a per-address budget of its own', async () => {
    const small = await app({ login: { addressMax: 2 } })
    const refresh = () =>
      small.app.inject({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: 'not-a-token' },
        remoteAddress: '198.51.100.203',
      })
    expect((await refresh()).statusCode).toBe(401)
    expect((await refresh()).statusCode).toBe(401)
    const refused = await refresh()
    expect(refused.statusCode).toBe(429)
    expect(refused.headers['retry-after']).toBeDefined()
  })
})

describe('client address behind a proxy (TRUST_PROXY)', () => {
  it('without configured proxies X-Forwarded-For is ignored: a client cannot pick a fresh budget', async () => {
    const plain = await app({ login: { addressMax: 2 } })
    const codes = []
    for (let i = 1; i <= 3; i++) {
      const res = await login(plain, uniq('xff'), WRONG, '10.2.0.1', { 'x-forwarded-for': `203.0.113.${i}` })
      codes.push(res.statusCode)
    }
    expect(codes).toEqual([401, 401, 429])
  })

  it('with a configured proxy, its X-Forwarded-For names the client; others still cannot spoof it', async () => {
    const proxied = await app({ login: { addressMax: 2 }, trustProxy: ['10.2.0.0/24'] })
    const via = (client: string, peer = '10.2.0.1') =>
      login(proxied, uniq('xff'), WRONG, peer, { 'x-forwarded-for': client })
    // Three clients behind the proxy: three budgets.
    for (let i = 1; i <= 3; i++) expect((await via(`203.0.113.${i}`)).statusCode).toBe(401)
    // The same client thrice: its own budget runs out, whichever proxy forwarded it.
    expect((await via('203.0.113.9')).statusCode).toBe(401)
    expect((await via('203.0.113.9', '10.2.0.2')).statusCode).toBe(401)
    expect((await via('203.0.113.9')).statusCode).toBe(429)
    // A peer that is not a configured proxy: its own address counts, whatever it forwards.
    const direct = []
    for (let i = 1; i <= 3; i++) direct.push((await via(`203.0.113.${20 + i}`, '192.0.2.77')).statusCode)
    expect(direct).toEqual([401, 401, 429])
  })
})

// ------------------------------------------------------------------ shared by processes

async function certificateCheck(on: TestApp, ip: string) {
  return (
    await on.app.inject({ method: 'GET', url: '/api/v1/service-certificates/NOSUCHCODE', remoteAddress: ip })
  ).statusCode
}

/** The same scenarios on two separately built apps sharing one store. */
function sharedScenarios(store: () => Options) {
  it('failed logins through one process delay the attempts through the other', async () => {
    const a = await app(store())
    const b = await app(store())
    const username = uniq('shared')
    await createUser(a.db, { username })
    const ip = '203.0.113.40'
    for (let i = 0; i < 5; i++) {
      expect((await login(i % 2 ? a : b, username, WRONG, ip)).statusCode).toBe(401)
    }
    expect((await login(a, username, WRONG, ip)).statusCode).toBe(429)
    expect((await login(b, username, WRONG, ip)).statusCode).toBe(429)
    // The known address is shared too.
    tick(1000)
    expect((await login(a, username, TEST_PASSWORD, ip)).statusCode).toBe(200)
  })

  it('the per-address login budget is one budget across processes', async () => {
    const a = await app({ ...store(), login: { addressMax: 4 } })
    const b = await app({ ...store(), login: { addressMax: 4 } })
    const ip = `198.51.100.${40 + Math.floor(Math.random() * 100)}`
    const codes = []
    for (let i = 0; i < 6; i++) codes.push((await login(i % 2 ? a : b, uniq('spray'), WRONG, ip)).statusCode)
    expect(codes).toEqual([401, 401, 401, 401, 429, 429])
  })

  it('certificate verification counts one budget per address across processes', async () => {
    const a = await app({ ...store(), loginRateLimit: 2 })
    const b = await app({ ...store(), loginRateLimit: 2 })
    const ip = '203.0.113.41'
    expect(await certificateCheck(a, ip)).toBe(404)
    expect(await certificateCheck(b, ip)).toBe(404)
    expect(await certificateCheck(a, ip)).toBe(429)
    expect(await certificateCheck(b, ip)).toBe(429)
    expect(await certificateCheck(b, '203.0.113.42')).toBe(404)
  })

  it('the per-caller budget on every request is shared, within a flush interval', async () => {
    const a = await app({ ...store(), rateLimitMax: 10 })
    const b = await app({ ...store(), rateLimitMax: 10 })
    const from = (on: TestApp) =>
      on.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.43' })
    const flushed = () => new Promise((r) => setTimeout(r, 700))
    for (let i = 0; i < 6; i++) expect((await from(a)).statusCode).toBe(200)
    await flushed()
    // b's first request is decided on b's own count; once b has flushed it sees a's six.
    expect((await from(b)).statusCode).toBe(200)
    await flushed()
    const codes = []
    for (let i = 0; i < 4; i++) codes.push((await from(b)).statusCode)
    expect(codes).toEqual([200, 200, 200, 429])
    const last = await from(b)
    expect(last.headers['x-ratelimit-remaining']).toBe('0')
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0)
    // And a learns of b's requests at its next flush: the one request it admits meanwhile is the bounded
    // overshoot (a process decides on the shared total as of its last flush).
    await flushed()
    expect((await from(a)).statusCode).toBe(200)
    await flushed()
    expect((await from(a)).statusCode).toBe(429)
  })
}

describe('shared by processes: PostgreSQL (default)', () => {
  sharedScenarios(() => ({}))
})

const redisUrl = process.env.TEST_REDIS_URL
const redisUnavailable = await (async () => {
  if (!redisUrl) return 'TEST_REDIS_URL is not set'
  const probe = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.ping()
    return undefined
  } catch (err) {
    return `Redis at TEST_REDIS_URL is unreachable (${(err as Error).message})`
  } finally {
    probe.disconnect()
  }
})()
if (redisUnavailable)
  console.warn(`login-throttle.test.ts: skipping the Redis store tests: ${redisUnavailable}`)

describe('a shared store that is down', () => {
  it('login answers 503 unavailable (retry), never 500, and other requests go on counting locally', async () => {
    // Nothing listens on port 1: every Redis command fails.
    const down = await app({ redisUrl: 'redis://127.0.0.1:1', redisPrefix: 'vp-down:' })
    const res = await login(down, uniq('down'), WRONG, '203.0.113.60')
    expect(res.statusCode).toBe(503)
    expect(res.json().code).toBe('unavailable')
    expect(res.json().detail).not.toMatch(/redis|ECONNREFUSED/i)
    const health = await down.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.60' })
    expect(health.statusCode).toBe(200)
    expect(health.headers['x-ratelimit-limit']).toBeDefined()
  })
})

describe.skipIf(redisUnavailable !== undefined)('shared by processes: Redis (REDIS_URL)', () => {
  // One prefix per run of this file: runs sharing a Redis do not see each other's counts.
  const prefix = `vp-test-${randomBytes(4).toString('hex')}:`
  sharedScenarios(() => ({ redisUrl, redisPrefix: prefix }))

  afterAll(async () => {
    const redis = new Redis(redisUrl!)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length) await redis.del(...keys)
    redis.disconnect()
  })
})
