import jwt from '@fastify/jwt'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Caller } from '../shared/authz'
import {
  type CounterStore,
  PostgresCounterStore,
  RedisCounterStore,
  unavailableOnError,
} from '../shared/counters'
import { DomainError } from '../shared/errors'
import { admission, guardProtected, verifiedSubject } from './auth/admission'
import { CallerCache } from './auth/caller-cache'
import { grantsLoader } from './auth/grants'
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle, type LoginThrottleSettings } from './auth/login-throttle'
import { type CallerRateLimit, PerCallerLimit } from './auth/per-caller-limit'
import { rateLimitStore } from './auth/rate-limit-store'
import { ACCESS_TOKEN_SECONDS, TOKEN_AUDIENCE, TOKEN_ISSUER, VerifiedTokens } from './auth/tokens'

// The plugin only wires the parts together: token checks (auth/tokens), the per-caller budget
// (auth/per-caller-limit), the grants cache (auth/caller-cache, auth/grants) and the request hook (auth/admission).
export { CallerBudgets } from './auth/budgets'
export type { CallerRateLimit } from './auth/per-caller-limit'
export { ACCESS_TOKEN_SECONDS, CLOCK_SKEW_SECONDS, TOKEN_AUDIENCE, TOKEN_ISSUER } from './auth/tokens'

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
  }
  interface FastifyInstance {
    signAccessToken(userId: string): string
    /** Forget cached grants of a user (after grant/revoke) so the change applies at once in this process. */
    forgetCaller(userId: string): void
    /** Counters shared by all processes (PostgreSQL, or Redis with REDIS_URL). */
    counters: CounterStore
    /** Per-address and per-account login budgets (identity routes). */
    loginThrottle: LoginThrottle
  }
  interface FastifyContextConfig {
    /** Routes under /api/v1 that need no token (login, refresh, certificate verification, resident registration). */
    public?: boolean
  }
}

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string }
    user: { sub: string; iat: number; exp: number }
  }
}

/** How often callers in use are re-read in the background (CallerCache.refresh). */
const REFRESH_EVERY_MS = 500

export interface AuthOptions {
  secret: string
  rateLimit: CallerRateLimit
  /** Keep the shared counters in Redis (ioredis URL) instead of the app's PostgreSQL database. */
  redisUrl?: string
  /** Prefix of every Redis key (default 'vp:'), so that several deployments or test runs can share a Redis. */
  redisPrefix?: string
  login?: Partial<LoginThrottleSettings>
  /** The clock of the login throttle and the shared counters (tests move it); Date.now by default. */
  clock?: () => number
}

export const authPlugin = fp(
  async (app: FastifyInstance, opts: AuthOptions) => {
    const clock = opts.clock ?? Date.now
    const counters: CounterStore = opts.redisUrl
      ? unavailableOnError(
          await RedisCounterStore.open(
            opts.redisUrl,
            (err) => app.log.warn({ err }, 'redis (shared counters) failed'),
            opts.redisPrefix,
          ),
        )
      : new PostgresCounterStore(app.db)
    app.decorate('counters', counters)
    app.decorate(
      'loginThrottle',
      new LoginThrottle(counters, { ...LOGIN_THROTTLE_DEFAULTS, ...opts.login }, clock),
    )

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

    // Every request counts against one budget per caller (PerCallerLimit); login and refresh add budgets of
    // their own (LoginThrottle), certificate verification and resident registration one per address
    // (app.rateLimit in their routes), all in the shared counters. The answer is a 429 rate_limited problem with
    // Retry-After (seconds until the window resets).
    await app.register(rateLimit, {
      global: false,
      store: rateLimitStore(counters, clock),
      errorResponseBuilder: (_request, context) =>
        new DomainError('rate_limited', `too many attempts; retry in ${context.after}`),
    })
    // On Date.now, as the windows are taken in the request hook (opts.clock only moves the login throttle's time).
    const limit = new PerCallerLimit(opts.rateLimit, counters, (err) =>
      app.log.warn({ err }, 'adding per-caller counts to the shared counters failed'),
    )
    limit.start()
    app.addHook('onClose', async () => {
      await limit.close()
      await counters.close()
    })

    app.addHook('onRoute', guardProtected)

    const callers = new CallerCache(grantsLoader(app.db))
    // Nothing is lost on a failure: a request that finds its caller stale reads it itself.
    callers.start(REFRESH_EVERY_MS, (err) => app.log.warn({ err }, 'background re-read of callers failed'))
    app.addHook('onClose', async () => {
      await callers.stop()
    })

    app.decorate('signAccessToken', (userId: string) => app.jwt.sign({ sub: userId }))
    app.decorate('forgetCaller', (userId: string) => callers.forget(userId))
    app.decorateRequest('caller', null as unknown as Caller)
    app.decorateRequest(verifiedSubject, null)
    app.addHook('onRequest', admission({ tokens: new VerifiedTokens(), limit, callers }))
  },
  { name: 'auth', dependencies: ['db'] },
)
