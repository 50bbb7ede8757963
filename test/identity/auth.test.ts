import { createHmac } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import {
  ACCESS_TOKEN_SECONDS,
  CLOCK_SKEW_SECONDS,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from '../../src/plugins/auth'
import { buildTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app'
import { createUser, createWorld, TEST_PASSWORD, uniq, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url')

/** Hand-made JWTs, to try what @fastify/jwt must refuse. */
function forge(
  payload: Record<string, unknown>,
  opts: { alg?: string; secret?: string; signature?: string } = {},
): string {
  const alg = opts.alg ?? 'HS256'
  const head = `${b64({ alg, typ: 'JWT' })}.${b64(payload)}`
  if (opts.signature !== undefined) return `${head}.${opts.signature}`
  const hash = alg === 'HS384' ? 'sha384' : alg === 'HS512' ? 'sha512' : 'sha256'
  return `${head}.${createHmac(hash, opts.secret ?? TEST_JWT_SECRET)
    .update(head)
    .digest('base64url')}`
}

const now = () => Math.floor(Date.now() / 1000)
const claims = (userId: string, over: Record<string, unknown> = {}) => ({
  sub: userId,
  iat: now(),
  exp: now() + 600,
  iss: TOKEN_ISSUER,
  aud: TOKEN_AUDIENCE,
  ...over,
})
const me = (token: string) =>
  t.call({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })

async function login(username: string, password = TEST_PASSWORD, ip?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password },
    ...(ip ? { remoteAddress: ip } : {}),
  })
}

describe('POST /api/v1/auth/login', () => {
  it('gives a working access token, a refresh token and the token type', async () => {
    const username = uniq('login')
    const userId = await createUser(t.db, { username, grants: [['secretary', w.branchA]] })
    const res = await login(username)
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
    })
    const who = await me(body.accessToken)
    expect(who.statusCode).toBe(200)
    expect(who.json()).toMatchObject({ user: { id: userId, username }, member: null })
    expect(who.json().roles).toEqual([{ id: expect.any(String), role: 'secretary', orgUnitId: w.branchA }])
    const stored = await one<{ tokenHash: string }>(
      t.db,
      sql`select token_hash as "tokenHash" from refresh_tokens where user_id = ${userId}`,
    )
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/)
    expect(stored?.tokenHash).not.toContain(body.refreshToken)
  })

  it('answers an unknown user and a wrong password with the same 401 body', async () => {
    const username = uniq('login')
    await createUser(t.db, { username })
    const wrong = await login(username, 'not-the-password')
    const unknown = await login(uniq('nobody'), 'not-the-password')
    expect(wrong.statusCode).toBe(401)
    expect(unknown.statusCode).toBe(401)
    expect(wrong.json()).toEqual(unknown.json())
    expect(wrong.json().code).toBe('unauthorized')
  })

  it('an unknown user costs about as much time as a wrong password (a dummy hash is verified)', async () => {
    const username = uniq('timing')
    await createUser(t.db, { username })
    const time = async (name: string) => {
      const start = process.hrtime.bigint()
      await login(name, 'not-the-password')
      return Number(process.hrtime.bigint() - start) / 1e6
    }
    await time(uniq('warm')) // the dummy hash is computed once, on first use
    const wrong: number[] = []
    const unknown: number[] = []
    for (let i = 0; i < 3; i++) {
      wrong.push(await time(username))
      unknown.push(await time(uniq('nobody')))
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[1]!
    // Without the dummy verification an unknown user answers in ~1 ms against tens of ms for Argon2id.
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.4)
  })

  it('a disabled user cannot log in and their token stops working', async () => {
    const username = uniq('login')
    const userId = await createUser(t.db, { username })
    const token = t.token(userId)
    await t.db.execute(sql`update users set disabled_at = now() where id = ${userId}`)
    t.app.forgetCaller(userId)
    expect((await login(username)).statusCode).toBe(401)
    expect((await me(token)).statusCode).toBe(401)
  })

  it('shows the linked member on /me', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/me', as: w.memberA.userId })
    expect(res.json().member).toEqual({ id: w.memberA.memberId, name: '张三', orgUnitId: w.branchA })
  })
})

// The login budgets (per address, per account, known addresses, shared by processes): login-throttle.test.ts.

describe('access tokens', () => {
  it('accepts a well-formed HS256 token', async () => {
    expect((await me(forge(claims(w.admin)))).statusCode).toBe(200)
  })

  it('accepts an iat a little in the future (clock skew) and a lifetime of exactly ACCESS_TOKEN_SECONDS', async () => {
    const skewed = forge(claims(w.admin, { iat: now() + CLOCK_SKEW_SECONDS - 5, exp: now() + 600 }))
    expect((await me(skewed)).statusCode).toBe(200)
    const full = forge(claims(w.admin, { iat: now(), exp: now() + ACCESS_TOKEN_SECONDS }))
    expect((await me(full)).statusCode).toBe(200)
  })

  it.each([
    ['expired', () => forge(claims(w.admin, { iat: now() - 2000, exp: now() - 1000 }))],
    ['alg none', () => forge(claims(w.admin), { alg: 'none', signature: '' })],
    ['another algorithm (HS512)', () => forge(claims(w.admin), { alg: 'HS512' })],
    ['bad signature', () => forge(claims(w.admin), { secret: 'some-other-secret-some-other-secret' })],
    ['wrong audience', () => forge(claims(w.admin, { aud: 'another-api' }))],
    ['wrong issuer', () => forge(claims(w.admin, { iss: 'someone-else' }))],
    ['no audience', () => forge(claims(w.admin, { aud: undefined }))],
    ['no expiry', () => forge(claims(w.admin, { exp: undefined }))],
    ['unknown user', () => forge(claims('00000000-0000-4000-8000-000000000000'))],
    ['not a JWT', () => 'abc.def'],
    ['not valid yet (nbf in the future)', () => forge(claims(w.admin, { nbf: now() + 600 }))],
    // Signed with the right key but with claims this service never issues.
    ['a subject that is not a UUID (36 dashes)', () => forge(claims('-'.repeat(36)))],
    ['a subject that is not a UUID (36 hex digits)', () => forge(claims('a'.repeat(36)))],
    ['a numeric subject', () => forge(claims(12345 as unknown as string))],
    ['issued in the future, beyond the clock skew', () => forge(claims(w.admin, { iat: now() + 120 }))],
    ['no iat', () => forge(claims(w.admin, { iat: undefined }))],
    [
      'a lifetime longer than an access token (exp - iat > 15 min)',
      () => forge(claims(w.admin, { iat: now() - 10, exp: now() + ACCESS_TOKEN_SECONDS })),
    ],
    ['a year-long token', () => forge(claims(w.admin, { exp: now() + 365 * 86400 }))],
    [
      'a tampered payload (expiry pushed out, signature of the original)',
      () => {
        const [head, , signature] = forge(claims(w.admin)).split('.')
        return `${head}.${b64(claims(w.admin, { exp: now() + 30 * 86400 }))}.${signature}`
      },
    ],
  ])('refuses %s with 401 unauthorized', async (_name, make) => {
    const res = await me(make())
    expect(res.statusCode).toBe(401)
    expect(res.json().code).toBe('unauthorized')
  })

  it('a revoked grant stops working at once in the revoking process', async () => {
    const userId = await createUser(t.db, { grants: [['secretary', w.branchA]] })
    const grantId = (await t.call({ method: 'GET', url: '/api/v1/me', as: userId })).json().roles[0].id
    const create = () =>
      t.call({
        method: 'POST',
        url: '/api/v1/members',
        as: userId,
        payload: { orgUnitId: w.branchA, name: '王五', isPartyMember: true },
      })
    expect((await create()).statusCode).toBe(201)
    const revoke = await t.call({
      method: 'DELETE',
      url: `/api/v1/users/${userId}/roles/${grantId}`,
      as: w.admin,
    })
    expect(revoke.statusCode).toBe(204)
    expect((await create()).statusCode).toBe(403)
  })
})

describe('refresh tokens', () => {
  async function fresh() {
    const username = uniq('refresh')
    const userId = await createUser(t.db, { username })
    return { userId, pair: (await login(username)).json() }
  }
  const refresh = (refreshToken: string) =>
    t.call({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } })

  it('rotates: a refresh gives a new pair and uses up the old token', async () => {
    const { userId, pair } = await fresh()
    const next = await refresh(pair.refreshToken)
    expect(next.statusCode).toBe(200)
    expect(next.json().refreshToken).not.toBe(pair.refreshToken)
    expect((await me(next.json().accessToken)).json().user.id).toBe(userId)
  })

  it('presenting a used token revokes the whole family', async () => {
    const { userId, pair } = await fresh()
    const second = (await refresh(pair.refreshToken)).json()
    const reuse = await refresh(pair.refreshToken)
    expect(reuse.statusCode).toBe(401)
    // The thief's successor token is dead too.
    expect((await refresh(second.refreshToken)).statusCode).toBe(401)
    const alive = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from refresh_tokens where user_id = ${userId} and revoked_at is null`,
    )
    expect(Number(alive?.n)).toBe(0)
  })

  it('two refreshes of one token at once: exactly one wins', async () => {
    const { pair } = await fresh()
    const results = await Promise.all([refresh(pair.refreshToken), refresh(pair.refreshToken)])
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401])
  })

  it('an expired refresh token is 401', async () => {
    const { userId, pair } = await fresh()
    await t.db.execute(
      sql`update refresh_tokens set expires_at = now() - interval '1 second' where user_id = ${userId}`,
    )
    expect((await refresh(pair.refreshToken)).statusCode).toBe(401)
  })

  it('an unknown token is 401', async () => {
    expect((await refresh('not-a-token')).statusCode).toBe(401)
  })

  it('logout revokes the refresh token (204), and refreshing afterwards is 401', async () => {
    const { userId, pair } = await fresh()
    const out = await t.call({
      method: 'POST',
      url: '/api/v1/auth/logout',
      as: userId,
      payload: { refreshToken: pair.refreshToken },
    })
    expect(out.statusCode).toBe(204)
    expect((await refresh(pair.refreshToken)).statusCode).toBe(401)
  })

  it('logout with another user’s token revokes nothing', async () => {
    const a = await fresh()
    const b = await fresh()
    const out = await t.call({
      method: 'POST',
      url: '/api/v1/auth/logout',
      as: b.userId,
      payload: { refreshToken: a.pair.refreshToken },
    })
    expect(out.statusCode).toBe(204)
    expect((await refresh(a.pair.refreshToken)).statusCode).toBe(200)
  })
})
