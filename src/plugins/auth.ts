import jwt from '@fastify/jwt'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { prepared } from '../db/client'
import type { Role } from '../db/schema/identity'
import type { Caller, Grant } from '../modules/identity/scope'
import { DomainError } from '../shared/errors'

export const TOKEN_ISSUER = 'volunteer-points'
export const TOKEN_AUDIENCE = 'volunteer-points-api'
export const ACCESS_TOKEN_SECONDS = 15 * 60

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
    [verifiedSubject]: string | null
  }
  interface FastifyInstance {
    signAccessToken(userId: string): string
    /** Forget cached grants of a user (after grant/revoke) so the change applies at once in this process. */
    forgetCaller(userId: string): void
  }
  interface FastifyContextConfig {
    /** Routes under /api/v1 that need no token (login, refresh, certificate verification). */
    public?: boolean
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string }
    user: { sub: string; iat: number; exp: number }
  }
}

// Grants are read from the database; this cache only spares a query per request for a few seconds, so a
// revoked grant stops working within CALLER_TTL_MS in other processes and at once in the revoking one.
const CALLER_TTL_MS = 2000
const CALLER_CACHE_MAX = 10_000
const CALLER_KEYS_MAX = 50_000
const VERIFIED_TOKENS_MAX = 10_000
/** The `sub` of a bearer token whose signature and claims checked out (null: no or no valid token). */
const verifiedSubject = Symbol('verifiedSubject')

export interface CallerRateLimit {
  /** Requests one caller may make per window (all routes together). */
  max: number
  windowMs: number
}

export const authPlugin = fp(
  async (app: FastifyInstance, opts: { secret: string; rateLimit: CallerRateLimit }) => {
    await app.register(jwt, {
      secret: opts.secret,
      sign: { algorithm: 'HS256', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, expiresIn: ACCESS_TOKEN_SECONDS },
      verify: {
        algorithms: ['HS256'],
        allowedIss: TOKEN_ISSUER,
        allowedAud: TOKEN_AUDIENCE,
        requiredClaims: ['exp', 'iat', 'iss', 'aud', 'sub'],
      },
    })

    // Every request counts against one budget per caller (below); login, refresh and certificate
    // verification add tighter budgets of their own (app.rateLimit / app.createRateLimit in their routes).
    // The answer is a 429 rate_limited problem with Retry-After (seconds until the window resets).
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new DomainError('rate_limited', `too many attempts; retry in ${context.after}`),
    })
    // The caller is the user of a valid bearer token, else the client address: one user cannot spend
    // another's budget, and many users behind one address (a kiosk, an office NAT) are not lumped together.
    // Counted in this process's memory (an LRU of CALLER_KEYS_MAX keys): with N processes the budget is N times.
    const perCaller = app.createRateLimit({
      max: opts.rateLimit.max,
      timeWindow: opts.rateLimit.windowMs,
      keyGenerator: (request) => {
        const subject = request[verifiedSubject]
        return subject ? `user:${subject}` : `ip:${request.ip}`
      },
      // The local store's LRU size (5,000 by default); typed nowhere, read by the store it creates.
      ...({ cache: CALLER_KEYS_MAX } as object),
    })

    const cache = new Map<string, { at: number; caller: Caller | null }>()

    app.decorate('signAccessToken', (userId: string) => app.jwt.sign({ sub: userId }))
    app.decorate('forgetCaller', (userId: string) => {
      cache.delete(userId)
    })
    app.decorateRequest('caller', null as unknown as Caller)

    type GrantRow = {
      username: string
      memberId: string | null
      grantId: string | null
      role: Role | null
      orgUnitId: string | null
      path: string | null
    }
    // Read on every cache miss (every CALLER_TTL_MS per active user): one named statement (see `prepared`).
    const GRANTS_STATEMENT = {
      name: 'auth_caller_grants',
      text: `select u.username, u.member_id as "memberId", g.id as "grantId", g.role,
                    g.org_unit_id as "orgUnitId", o.path
             from users u
             left join role_grants g on g.user_id = u.id
             left join org_units o on o.id = g.org_unit_id
             where u.id = $1::uuid and u.disabled_at is null`,
    }
    const readGrants = (userId: string) => prepared<GrantRow>(app.db, GRANTS_STATEMENT, [userId])

    async function loadCaller(userId: string): Promise<Caller | null> {
      const hit = cache.get(userId)
      const now = Date.now()
      if (hit && now - hit.at < CALLER_TTL_MS) return hit.caller
      const found = await readGrants(userId)
      const first = found[0]
      const caller: Caller | null = first
        ? {
            userId,
            username: first.username,
            memberId: first.memberId,
            grants: found
              .filter((r) => r.grantId)
              .map(
                (r) =>
                  ({ id: r.grantId!, role: r.role!, orgUnitId: r.orgUnitId!, path: r.path! }) satisfies Grant,
              ),
          }
        : null
      if (cache.size >= CALLER_CACHE_MAX) cache.clear()
      cache.set(userId, { at: now, caller })
      return caller
    }

    // Tokens whose signature and claims checked out, keyed by the whole header (signature included), so
    // only the very same bytes skip the HMAC; never past the token's own exp, and bounded in size.
    // Revocation does not depend on this: the caller's user and grants are re-read (loadCaller).
    const verified = new Map<string, { sub: string; expMs: number }>()

    /** Checks the bearer token once per request; the rate limit and authentication both use the answer. */
    async function verifyToken(request: FastifyRequest): Promise<string | null> {
      const header = request.headers.authorization
      if (!header) return null
      const now = Date.now()
      const hit = verified.get(header)
      if (hit) {
        if (now < hit.expMs) return hit.sub
        verified.delete(header)
      }
      if (!/^Bearer\s+\S+$/i.test(header)) return null
      try {
        const payload = await request.jwtVerify<{ sub: string; exp: number }>()
        if (typeof payload.sub !== 'string' || !/^[0-9a-f-]{36}$/i.test(payload.sub)) return null
        if (verified.size >= VERIFIED_TOKENS_MAX) verified.clear()
        verified.set(header, { sub: payload.sub, expMs: payload.exp * 1000 })
        return payload.sub
      } catch {
        return null
      }
    }

    async function authenticate(request: FastifyRequest) {
      const header = request.headers.authorization
      if (!header || !/^Bearer\s+\S+$/i.test(header)) {
        throw new DomainError('unauthorized', 'send Authorization: Bearer <accessToken>')
      }
      const userId = request[verifiedSubject]
      if (!userId) throw new DomainError('unauthorized', 'the access token is invalid or expired')
      const caller = await loadCaller(userId)
      if (!caller) throw new DomainError('unauthorized', 'the access token is invalid or expired')
      request.caller = caller
    }

    app.decorateRequest(verifiedSubject, null)
    app.addHook('onRequest', async (request, reply) => {
      request[verifiedSubject] = await verifyToken(request)
      // Before authentication, so that guessing tokens or hammering without one is limited too.
      const limit = await perCaller(request)
      if (!limit.isAllowed) {
        reply.header('x-ratelimit-limit', limit.max)
        reply.header('x-ratelimit-remaining', limit.remaining)
        reply.header('x-ratelimit-reset', limit.ttlInSeconds)
        if (limit.isExceeded) {
          reply.header('retry-after', Math.max(1, limit.ttlInSeconds))
          throw new DomainError(
            'rate_limited',
            `too many requests; retry in ${Math.max(1, limit.ttlInSeconds)} s`,
          )
        }
      }
      if (!request.url.startsWith('/api/v1/')) return
      if (request.routeOptions.config?.public) return
      // Unknown routes fall to the not-found handler, which answers 404 without needing a token.
      if (!request.routeOptions.url) return
      await authenticate(request)
    })
  },
  { name: 'auth', dependencies: ['db'] },
)
