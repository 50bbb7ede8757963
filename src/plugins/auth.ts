import jwt from '@fastify/jwt'
import rateLimit from '@fastify/rate-limit'
import { sql } from 'drizzle-orm'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { rows } from '../db/client'
import type { Role } from '../db/schema/identity'
import type { Caller, Grant } from '../modules/identity/scope'
import { DomainError } from '../shared/errors'

export const TOKEN_ISSUER = 'volunteer-points'
export const TOKEN_AUDIENCE = 'volunteer-points-api'
export const ACCESS_TOKEN_SECONDS = 15 * 60

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
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

export const authPlugin = fp(
  async (app: FastifyInstance, opts: { secret: string }) => {
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

    // Rate limits are opt-in per route (login, refresh, certificate verification use app.rateLimit()).
    // The answer is a 429 rate_limited problem with Retry-After (seconds until the window resets).
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: (_request, context) =>
        new DomainError('rate_limited', `too many attempts; retry in ${context.after}`),
    })

    const cache = new Map<string, { at: number; caller: Caller | null }>()

    app.decorate('signAccessToken', (userId: string) => app.jwt.sign({ sub: userId }))
    app.decorate('forgetCaller', (userId: string) => {
      cache.delete(userId)
    })
    app.decorateRequest('caller', null as unknown as Caller)

    async function loadCaller(userId: string): Promise<Caller | null> {
      const hit = cache.get(userId)
      const now = Date.now()
      if (hit && now - hit.at < CALLER_TTL_MS) return hit.caller
      const found = await rows<{
        username: string
        memberId: string | null
        grantId: string | null
        role: Role | null
        orgUnitId: string | null
        path: string | null
      }>(
        app.db,
        sql`select u.username, u.member_id as "memberId", g.id as "grantId", g.role,
                   g.org_unit_id as "orgUnitId", o.path
            from users u
            left join role_grants g on g.user_id = u.id
            left join org_units o on o.id = g.org_unit_id
            where u.id = ${userId} and u.disabled_at is null`,
      )
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

    async function authenticate(request: FastifyRequest) {
      const header = request.headers.authorization
      if (!header || !/^Bearer\s+\S+$/i.test(header)) {
        throw new DomainError('unauthorized', 'send Authorization: Bearer <accessToken>')
      }
      let userId: string
      try {
        const payload = await request.jwtVerify<{ sub: string }>()
        userId = payload.sub
      } catch {
        throw new DomainError('unauthorized', 'the access token is invalid or expired')
      }
      if (typeof userId !== 'string' || !/^[0-9a-f-]{36}$/i.test(userId)) {
        throw new DomainError('unauthorized', 'the access token is invalid or expired')
      }
      const caller = await loadCaller(userId)
      if (!caller) throw new DomainError('unauthorized', 'the access token is invalid or expired')
      request.caller = caller
    }

    app.addHook('onRequest', async (request) => {
      if (!request.url.startsWith('/api/v1/')) return
      if (request.routeOptions.config?.public) return
      // Unknown routes fall to the not-found handler, which answers 404 without needing a token.
      if (!request.routeOptions.url) return
      await authenticate(request)
    })
  },
  { name: 'auth', dependencies: ['db'] },
)
