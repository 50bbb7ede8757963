import { createHmac } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from '../../src/plugins/auth'
import { buildTestApp, TEST_JWT_SECRET, type TestApp } from '../../test/helpers/app'
import {
  createMember,
  createUser,
  createWorld,
  TEST_PASSWORD,
  uniq,
  type World,
} from '../../test/helpers/factories'
import { givePoints, stockedReward } from '../../test/helpers/rewards'
import {
  createVolunteerPointsClient,
  type Fetch,
  isProblem,
  memoryTokenStore,
  ProblemError,
  type Tokens,
} from '../src/index'

// The client against the real service over HTTP: the test app on this file's database, listening on a port.
let t: TestApp
let w: World
let baseUrl: string
let member: { memberId: string; userId: string; username: string }
let secretary: { userId: string; username: string }

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  const username = uniq('member')
  const memberId = await createMember(t.db, w.branchA, { name: '王五' })
  const userId = await createUser(t.db, { username, memberId, grants: [['member', w.branchA]] })
  member = { memberId, userId, username }
  const secretaryName = uniq('secretary')
  secretary = {
    username: secretaryName,
    userId: await createUser(t.db, { username: secretaryName, grants: [['secretary', w.branchA]] }),
  }
  await givePoints(t.db, memberId, 3000)
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await t.app.close()
})

interface Sent {
  method: string
  path: string
  authorization: string | null
  idempotencyKey: string | null
  body: string
}

/** The global fetch, recording each request the client sends (the refresh too). */
function recording(wrap: (request: Request) => Promise<Response> = (r) => fetch(r)) {
  const sent: Sent[] = []
  const send: Fetch = async (request) => {
    sent.push({
      method: request.method,
      path: new URL(request.url).pathname,
      authorization: request.headers.get('authorization'),
      idempotencyKey: request.headers.get('idempotency-key'),
      body: request.body ? await request.clone().text() : '',
    })
    return wrap(request)
  }
  return { sent, fetch: send }
}

const cents = (points: string) => Math.round(Number(points) * 100)
const refreshes = (sent: Sent[]) => sent.filter((s) => s.path === '/api/v1/auth/refresh').length

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

/** An access token of the user, correctly signed, that expired ten minutes ago. */
function expiredToken(userId: string): string {
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({
    sub: userId,
    iat: now() - 1200,
    exp: now() - 600,
    iss: TOKEN_ISSUER,
    aud: TOKEN_AUDIENCE,
  })}`
  return `${head}.${createHmac('sha256', TEST_JWT_SECRET).update(head).digest('base64url')}`
}

/** A client logged in as the member whose stored access token has then expired (the refresh token is good). */
async function withExpiredAccessToken(send?: Fetch) {
  const store = memoryTokenStore()
  const api = createVolunteerPointsClient({ baseUrl, fetch: send, tokens: store })
  await api.login(member.username, TEST_PASSWORD)
  const pair = store.get()!
  const expired = expiredToken(member.userId)
  store.set({ ...pair, accessToken: expired })
  return { api, store, pair, expired }
}

describe('the member reads balance and ledger', () => {
  it('logs in, learns its member id from /me, reads balance and ledger with the typed fields', async () => {
    const api = createVolunteerPointsClient({ baseUrl })
    const me = await api.login(member.username, TEST_PASSWORD)
    expect(me.user.username).toBe(member.username)
    expect(api.me.memberId).toBe(member.memberId)

    const { data } = await api.GET('/api/v1/members/{id}/balance', {
      params: { path: { id: api.me.memberId } },
    })
    const balance: string = data.balance
    const available: string = data.available
    expect({ balance, available }).toEqual({ balance: '30.00', available: '30.00' })

    const ledger = await api.GET('/api/v1/members/{id}/ledger', {
      params: { path: { id: api.me.memberId }, query: { limit: 10 } },
    })
    const [row] = ledger.data.items
    const next: string | null = ledger.data.nextCursor
    expect(ledger.data.items).toHaveLength(1)
    expect(row?.amount).toBe('30.00')
    expect(row?.balanceAfter).toBe('30.00')
    expect(next).toBeNull()
  })

  it('keeps the pair in the store it is given and reports each change to onTokens', async () => {
    const seen: (Tokens | null)[] = []
    const store = memoryTokenStore()
    const api = createVolunteerPointsClient({ baseUrl, tokens: store, onTokens: (p) => seen.push(p) })
    await api.login(member.username, TEST_PASSWORD)
    expect(seen).toEqual([store.get()])
    expect(api.tokens).toEqual(store.get())
    const refreshToken = store.get()!.refreshToken

    await api.logout()
    expect(seen.at(-1)).toBeNull()
    expect(api.tokens).toBeNull()
    expect(() => api.me).toThrow(/not signed in/)
    // The server ended the session: the refresh token is spent.
    const again = await fetch(`${baseUrl}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken }),
    })
    expect(again.status).toBe(401)
  })

  it('a staff login has no member id to read', async () => {
    const api = createVolunteerPointsClient({ baseUrl })
    await api.login(secretary.username, TEST_PASSWORD)
    expect(api.me.member).toBeNull()
    expect(() => api.me.memberId).toThrow(/not linked to a member record/)
  })

  it('a wrong password is a ProblemError unauthorized, and no refresh is tried', async () => {
    const { sent, fetch: send } = recording()
    const api = createVolunteerPointsClient({ baseUrl, fetch: send })
    const error = await api.login(member.username, 'not-the-password').catch((e: unknown) => e)
    expect(isProblem(error, 'unauthorized')).toBe(true)
    expect((error as ProblemError).status).toBe(401)
    expect(sent.map((s) => s.path)).toEqual(['/api/v1/auth/login'])
  })
})

describe('refresh on 401', () => {
  it('an expired access token is refreshed once and the request sent again, with its body', async () => {
    const { sent, fetch: send } = recording()
    const { api, store, pair, expired } = await withExpiredAccessToken(send)
    sent.length = 0

    const { data } = await api.PATCH('/api/v1/members/{id}', {
      params: { path: { id: member.memberId } },
      body: { phone: '13800138000' },
    })
    expect(data.phone).toBe('13800138000')

    const fresh = store.get()!
    expect(fresh.refreshToken).not.toBe(pair.refreshToken)
    expect(sent.map((s) => [s.method, s.path])).toEqual([
      ['PATCH', `/api/v1/members/${member.memberId}`],
      ['POST', '/api/v1/auth/refresh'],
      ['PATCH', `/api/v1/members/${member.memberId}`],
    ])
    expect(sent[0]!.authorization).toBe(`Bearer ${expired}`)
    expect(sent[2]!.authorization).toBe(`Bearer ${fresh.accessToken}`)
    expect(sent[2]!.body).toBe(sent[0]!.body)
    expect(JSON.parse(sent[2]!.body)).toEqual({ phone: '13800138000' })
  })

  it('a second 401 after the refresh is thrown: no second refresh, no loop', async () => {
    // From here on, a server that refuses every access token (say, a key rotation it has not finished) but
    // still exchanges refresh tokens.
    let refusing = false
    const { sent, fetch: send } = recording((request) => {
      if (refusing && !request.url.endsWith('/auth/refresh')) {
        request.headers.set('authorization', `Bearer ${expiredToken(member.userId)}`)
      }
      return fetch(request)
    })
    const { api } = await withExpiredAccessToken(send)
    sent.length = 0
    refusing = true

    const error = await api
      .GET('/api/v1/members/{id}/balance', { params: { path: { id: member.memberId } } })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProblemError)
    expect(isProblem(error, 'unauthorized') && error.status).toBe(401)
    expect(sent.map((s) => s.path)).toEqual([
      `/api/v1/members/${member.memberId}/balance`,
      '/api/v1/auth/refresh',
      `/api/v1/members/${member.memberId}/balance`,
    ])
  })

  it('requests failing together with 401 share one refresh', async () => {
    const { sent, fetch: send } = recording()
    const { api, store } = await withExpiredAccessToken(send)
    sent.length = 0
    const id = member.memberId

    const answers = await Promise.all([
      api.GET('/api/v1/members/{id}/balance', { params: { path: { id } } }),
      api.GET('/api/v1/members/{id}/ledger', { params: { path: { id } } }),
      api.GET('/api/v1/me'),
      api.GET('/api/v1/members/{id}', { params: { path: { id } } }),
    ])
    expect(answers.map((a) => a.response.status)).toEqual([200, 200, 200, 200])
    expect(refreshes(sent)).toBe(1)
    const retried = sent.slice(-4)
    expect(new Set(retried.map((s) => s.authorization))).toEqual(
      new Set([`Bearer ${store.get()!.accessToken}`]),
    )
  })

  it('a refused refresh ends the session: the 401 is thrown and the tokens are forgotten', async () => {
    const seen: (Tokens | null)[] = []
    const store = memoryTokenStore()
    const api = createVolunteerPointsClient({ baseUrl, tokens: store, onTokens: (p) => seen.push(p) })
    await api.login(member.username, TEST_PASSWORD)
    store.set({ accessToken: expiredToken(member.userId), refreshToken: 'spent-or-forged' })

    const error = await api.GET('/api/v1/me').catch((e: unknown) => e)
    expect(isProblem(error, 'unauthorized')).toBe(true)
    expect(store.get()).toBeNull()
    expect(seen.at(-1)).toBeNull()
  })
})

describe('Idempotency-Key', () => {
  it('is set on an idempotent operation and kept when the call is repeated after a lost answer', async () => {
    const reward = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '5.00', stock: 10 })
    // The first answer is lost on the way back: the server did the work, the client saw a network error.
    let dropped = false
    const { sent, fetch: send } = recording(async (request) => {
      const response = await fetch(request)
      if (!dropped && request.url.endsWith('/api/v1/redemptions')) {
        dropped = true
        await response.body?.cancel()
        throw new TypeError('fetch failed')
      }
      return response
    })
    const api = createVolunteerPointsClient({ baseUrl, fetch: send })
    await api.login(member.username, TEST_PASSWORD)
    sent.length = 0
    const before = await api.GET('/api/v1/members/{id}/balance', {
      params: { path: { id: member.memberId } },
    })
    sent.length = 0

    const { data, response } = await api.POST('/api/v1/redemptions', {
      body: { memberId: member.memberId, rewardId: reward.id, quantity: 1 },
    })
    expect(sent).toHaveLength(2)
    const [first, second] = sent
    expect(first!.idempotencyKey).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
    expect(second!.idempotencyKey).toBe(first!.idempotencyKey)
    expect(second!.body).toBe(first!.body)
    expect(response.headers.get('idempotent-replayed')).toBe('true')
    expect(data.status).toBe('reserved')

    const count = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from redemptions where member_id = ${member.memberId} and reward_id = ${reward.id}`,
    )
    expect(Number(count?.n)).toBe(1)
    const after = await api.GET('/api/v1/members/{id}/balance', { params: { path: { id: member.memberId } } })
    expect(cents(after.data.held) - cents(before.data.held)).toBe(500)
  })

  it('a key the caller gives is sent as given; operations without a key get none', async () => {
    const { sent, fetch: send } = recording()
    const api = createVolunteerPointsClient({ baseUrl, fetch: send })
    await api.login(secretary.username, TEST_PASSWORD)
    const key = `mine-${uniq()}`
    await api.POST('/api/v1/ledger/adjustments', {
      params: { header: { 'idempotency-key': key } },
      body: { memberId: member.memberId, amount: '1.00', reason: '补录' },
    })
    await api.POST('/api/v1/ledger/adjustments', {
      body: { memberId: member.memberId, amount: '1.00', reason: '补录' },
    })
    await api.GET('/api/v1/members/{id}/balance', { params: { path: { id: member.memberId } } })
    const calls = sent.filter((s) => s.path !== '/api/v1/auth/login' && s.path !== '/api/v1/me')
    expect(calls.map((s) => [s.path, s.idempotencyKey === null])).toEqual([
      ['/api/v1/ledger/adjustments', false],
      ['/api/v1/ledger/adjustments', false],
      [`/api/v1/members/${member.memberId}/balance`, true],
    ])
    expect(calls[0]!.idempotencyKey).toBe(key)
    expect(calls[1]!.idempotencyKey).not.toBe(key)
  })

  it('a POST without a key is not repeated after a network failure', async () => {
    let attempts = 0
    const api = createVolunteerPointsClient({
      baseUrl,
      fetch: async (request) => {
        if (request.url.endsWith('/api/v1/auth/logout')) {
          attempts++
          throw new TypeError('fetch failed')
        }
        return fetch(request)
      },
    })
    await api.login(member.username, TEST_PASSWORD)
    await expect(api.logout()).rejects.toThrow(TypeError)
    expect(attempts).toBe(1)
  })
})

describe('problems', () => {
  it('a redemption beyond the available points is thrown as ProblemError insufficient_points', async () => {
    const api = createVolunteerPointsClient({ baseUrl })
    await api.login(member.username, TEST_PASSWORD)
    const reward = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '500.00', stock: 1 })

    const error = await api
      .POST('/api/v1/redemptions', { body: { memberId: api.me.memberId, rewardId: reward.id } })
      .catch((e: unknown) => e)
    if (!isProblem(error, 'insufficient_points', 'out_of_stock')) throw error
    const code: 'insufficient_points' | 'out_of_stock' = error.code
    expect(code).toBe('insufficient_points')
    expect(error.status).toBe(422)
    expect(error.problem.status).toBe(422)
    expect(error.detail).toMatch(/available points/)
    expect(error.response.headers.get('content-type')).toMatch(/application\/problem\+json/)
  })

  it('a second unit over the yearly limit is limit_reached with its limit and count', async () => {
    const api = createVolunteerPointsClient({ baseUrl })
    await api.login(member.username, TEST_PASSWORD)
    const reward = await stockedReward(t, w.clerkA, w.communityA, {
      pointsCost: '1.00',
      stock: 5,
      perMemberLimit: 1,
    })
    await api.POST('/api/v1/redemptions', { body: { memberId: member.memberId, rewardId: reward.id } })
    const error = await api
      .POST('/api/v1/redemptions', { body: { memberId: member.memberId, rewardId: reward.id } })
      .catch((e: unknown) => e)
    expect(isProblem(error, 'insufficient_points')).toBe(false)
    if (!isProblem(error, 'limit_reached')) throw error
    const limit: number | undefined = error.problem.limit
    const taken: number | undefined = error.problem.taken
    expect({ code: error.code, limit, taken }).toEqual({ code: 'limit_reached', limit: 1, taken: 1 })
  })

  it('a validation failure carries the typed field errors', async () => {
    const api = createVolunteerPointsClient({ baseUrl })
    await api.login(secretary.username, TEST_PASSWORD)
    const error = await api
      .POST('/api/v1/ledger/adjustments', {
        body: { memberId: member.memberId, amount: '1.005', reason: '补录' },
      })
      .catch((e: unknown) => e)
    if (!isProblem(error, 'validation_failed')) throw error
    const fields: (string | undefined)[] = (error.problem.errors ?? []).map((e) => e.field)
    expect(fields).toContain('amount')
  })
})
