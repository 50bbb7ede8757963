import jwt from '@fastify/jwt'
import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { prepared } from '../db/client'
import type { Role } from '../db/schema/identity'
import type { Caller, Grant } from '../shared/authz'
import {
  type CounterStore,
  PostgresCounterStore,
  RedisCounterStore,
  unavailableOnError,
} from '../shared/counters'
import { DomainError } from '../shared/errors'
import { CallerBudgets, LAZY_FLUSH_MS } from './auth/budgets'
import { LOGIN_THROTTLE_DEFAULTS, LoginThrottle, type LoginThrottleSettings } from './auth/login-throttle'
import { rateLimitStore } from './auth/rate-limit-store'

export { CallerBudgets } from './auth/budgets'

export const TOKEN_ISSUER = 'volunteer-points'
export const TOKEN_AUDIENCE = 'volunteer-points-api'
export const ACCESS_TOKEN_SECONDS = 15 * 60
/**
 * How far a token's iat may lie in the future: the clocks of the processes that sign and verify may differ by
 * this much. A later iat (a token minted with a moved clock, or forged with a leaked key to outlive rotation) is
 * refused, as is any token whose exp - iat exceeds ACCESS_TOKEN_SECONDS.
 */
export const CLOCK_SKEW_SECONDS = 30
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller
    [verifiedSubject]: string | null
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
/** How often callers in use are re-read in the background, and how many users one statement reads. */
const REFRESH_EVERY_MS = 500
const REFRESH_BATCH = 500
const VERIFIED_TOKENS_MAX = 10_000
/** The `sub` of a bearer token whose signature and claims checked out (null: no or no valid token). */
const verifiedSubject = Symbol('verifiedSubject')

const BEARER = /^Bearer\s+\S+$/i
/**
 * How often each process adds to the shared store the per-caller counts of callers near their budget (all of them
 * every LAZY_FLUSH_MS, see CallerBudgets), and how often it sweeps expired counters.
 */
const FLUSH_EVERY_MS = 250
const SWEEP_EVERY_MS = 60_000

export interface CallerRateLimit {
  /** Requests one caller may make per window (all routes together). */
  max: number
  windowMs: number
}

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

/** True when the matched route needs a bearer token: decided on the route (its pattern and config), never the URL. */
function isProtected(route: { url?: string; config?: { public?: boolean } }): boolean {
  return route.url?.startsWith('/api/v1/') === true && route.config?.public !== true
}

export const authPlugin = fp(
  async (app: FastifyInstance, opts: AuthOptions) => {
    const clock = opts.clock ?? Date.now
    const counters: CounterStore = opts.redisUrl
      ? unavailableOnError(
          new RedisCounterStore(
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

    // Every request counts against one budget per caller (below); login and refresh add budgets of their own
    // (LoginThrottle), certificate verification one per address (app.rateLimit in its routes), all in the shared
    // counters. The answer is a 429 rate_limited problem with Retry-After (seconds until the window resets).
    await app.register(rateLimit, {
      global: false,
      store: rateLimitStore(counters, clock),
      errorResponseBuilder: (_request, context) =>
        new DomainError('rate_limited', `too many attempts; retry in ${context.after}`),
    })
    // The caller is the user of a valid bearer token, else the client address: one user cannot spend
    // another's budget, and many users behind one address (a kiosk, an office NAT) are not lumped together.
    // Decided in this process's memory (at most CALLER_KEYS_MAX callers) and shared through the counters in
    // batches (CallerBudgets: no store round trip per request; the overshoot across processes is bounded there).
    const perCaller = new CallerBudgets(
      opts.rateLimit.windowMs,
      CALLER_KEYS_MAX,
      counters,
      opts.rateLimit.max,
    )
    let flushing: Promise<void> | undefined
    // On Date.now, as the windows are taken in the request hook (opts.clock only moves the login throttle's time).
    let lastSweep = Date.now()
    let lastFullFlush = Date.now()
    const flushCounters = async (all: boolean) => {
      try {
        const now = Date.now()
        if (all) lastFullFlush = now
        await perCaller.flush(now, all)
        if (now - lastSweep >= SWEEP_EVERY_MS) {
          lastSweep = now
          await counters.sweep(now)
        }
      } catch (err) {
        // Nothing is lost: the counts stay unflushed and are sent with the next flush.
        app.log.warn({ err }, 'adding per-caller counts to the shared counters failed')
      }
    }
    const flusher = setInterval(() => {
      const now = Date.now()
      const all = now - lastFullFlush >= LAZY_FLUSH_MS
      if (perCaller.unflushed(all) === 0 && now - lastSweep < SWEEP_EVERY_MS) return
      flushing ??= flushCounters(all).finally(() => {
        flushing = undefined
      })
    }, FLUSH_EVERY_MS)
    flusher.unref()
    app.addHook('onClose', async () => {
      clearInterval(flusher)
      await flushing
      await flushCounters(true)
      await counters.close()
    })

    // Fails closed: a protected route's handler never runs without a caller, whatever the hooks before it did.
    app.addHook('onRoute', (route) => {
      if (!isProtected(route)) return
      const handler = route.handler
      route.handler = function guarded(this: FastifyInstance, request, reply) {
        if (!request.caller) throw new DomainError('unauthorized', 'send Authorization: Bearer <accessToken>')
        return handler.call(this, request, reply)
      }
    })

    // The grants of recent callers. An entry is used while younger than CALLER_TTL_MS (its `at` is taken
    // before the read that filled it). A request that finds none, or a stale one, reads its user on the spot;
    // callers that keep coming are re-read in the background, many users per statement (refreshCallers), so
    // a busy member does not pay a second round trip every CALLER_TTL_MS and the database sees a few
    // statements a second instead of one per active user and period.
    interface CacheEntry {
      at: number
      caller: Caller | null
      /** Read by a request since `at`: worth re-reading before it goes stale. */
      used: boolean
    }
    const cache = new Map<string, CacheEntry>()
    // Bumped by forgetCaller: a read that began before a grant or revocation in this process must not put
    // the old grants back into the cache after forgetCaller dropped them.
    let generation = 0

    app.decorate('signAccessToken', (userId: string) => app.jwt.sign({ sub: userId }))
    app.decorate('forgetCaller', (userId: string) => {
      generation++
      cache.delete(userId)
    })
    app.decorateRequest('caller', null as unknown as Caller)

    type GrantRow = {
      userId: string
      username: string
      memberId: string | null
      grantId: string | null
      role: Role | null
      orgUnitId: string | null
      path: string | null
    }
    const GRANT_COLUMNS = `u.id as "userId", u.username, u.member_id as "memberId", g.id as "grantId", g.role,
                    g.org_unit_id as "orgUnitId", o.path
             from users u
             left join role_grants g on g.user_id = u.id
             left join org_units o on o.id = g.org_unit_id`
    // One user, on a miss; several (ids joined by commas, the same text on pg and PGlite) in the background.
    // Named statements (see `prepared`).
    const GRANTS_STATEMENT = {
      name: 'auth_caller_grants',
      text: `select ${GRANT_COLUMNS} where u.id = $1::uuid and u.disabled_at is null`,
    }
    const MANY_GRANTS_STATEMENT = {
      name: 'auth_callers_grants',
      text: `select ${GRANT_COLUMNS}
             where u.id = any(string_to_array($1::text, ',')::uuid[]) and u.disabled_at is null`,
    }

    /** Callers of the rows of one or more users (rows of one user together, as the join returns them). */
    function callersOf(rows: GrantRow[]): Map<string, Caller> {
      const out = new Map<string, Caller>()
      for (const r of rows) {
        let caller = out.get(r.userId)
        if (!caller) {
          caller = { userId: r.userId, username: r.username, memberId: r.memberId, grants: [] }
          out.set(r.userId, caller)
        }
        if (r.grantId) {
          caller.grants.push({
            id: r.grantId,
            role: r.role!,
            orgUnitId: r.orgUnitId!,
            path: r.path!,
          } satisfies Grant)
        }
      }
      return out
    }

    function remember(userId: string, at: number, caller: Caller | null) {
      if (cache.size >= CALLER_CACHE_MAX && !cache.has(userId)) cache.clear()
      cache.set(userId, { at, caller, used: false })
    }

    /** The cached caller of a user if still fresh, else undefined (then loadCaller reads it). */
    function cachedCaller(userId: string, now: number): Caller | null | undefined {
      const hit = cache.get(userId)
      if (hit === undefined || now - hit.at >= CALLER_TTL_MS) return undefined
      hit.used = true
      return hit.caller
    }

    async function loadCaller(userId: string): Promise<Caller | null> {
      const now = Date.now()
      const fresh = cachedCaller(userId, now)
      if (fresh !== undefined) return fresh
      const began = generation
      const rows = await prepared<GrantRow>(app.db, GRANTS_STATEMENT, [userId])
      const caller = callersOf(rows).get(userId) ?? null
      if (generation === began) remember(userId, now, caller)
      return caller
    }

    /**
     * Re-reads, before they go stale, the callers used since their last read and older than half the TTL,
     * up to REFRESH_BATCH users per statement. Runs every REFRESH_EVERY_MS, one run at a time.
     */
    let refreshing: Promise<void> | undefined
    const refresher = setInterval(() => {
      refreshing ??= refreshCallers().finally(() => {
        refreshing = undefined
      })
    }, REFRESH_EVERY_MS)
    refresher.unref()
    app.addHook('onClose', async () => {
      clearInterval(refresher)
      await refreshing
    })

    async function refreshCallers() {
      try {
        const now = Date.now()
        const due: string[] = []
        for (const [userId, entry] of cache) {
          if (entry.used && now - entry.at >= CALLER_TTL_MS / 2) due.push(userId)
        }
        for (let i = 0; i < due.length; i += REFRESH_BATCH) {
          const ids = due.slice(i, i + REFRESH_BATCH)
          const at = Date.now()
          const began = generation
          const rows = await prepared<GrantRow>(app.db, MANY_GRANTS_STATEMENT, [ids.join(',')])
          if (generation !== began) continue
          const callers = callersOf(rows)
          for (const userId of ids) remember(userId, at, callers.get(userId) ?? null)
        }
      } catch (err) {
        // Nothing is lost: a request that finds its caller stale reads it itself.
        app.log.warn({ err }, 'background re-read of callers failed')
      }
    }

    // Tokens whose signature and claims checked out, keyed by the whole header (signature included), so
    // only the very same bytes skip the HMAC; never past the token's own exp, and bounded in size.
    // Revocation does not depend on this: the caller's user and grants are re-read (loadCaller).
    const verified = new Map<string, { sub: string; expMs: number }>()

    /** The subject of a header verified before and not yet expired, else undefined (then verifyToken). */
    function verifiedBefore(header: string, now: number): string | undefined {
      const hit = verified.get(header)
      if (hit === undefined) return undefined
      if (now < hit.expMs) return hit.sub
      verified.delete(header)
      return undefined
    }

    /** Checks a bearer token not seen before (or expired since): signature and claims. */
    async function verifyToken(request: FastifyRequest, header: string): Promise<string | null> {
      if (!BEARER.test(header)) return null
      try {
        const payload = await request.jwtVerify<{ sub: string; exp: number; iat: number }>()
        if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) return null
        // Issued in the future (beyond the clock skew), or living longer than this service ever signs for.
        const nowSeconds = Date.now() / 1000
        if (typeof payload.iat !== 'number' || payload.iat > nowSeconds + CLOCK_SKEW_SECONDS) return null
        if (typeof payload.exp !== 'number' || payload.exp - payload.iat > ACCESS_TOKEN_SECONDS) return null
        if (verified.size >= VERIFIED_TOKENS_MAX) verified.clear()
        verified.set(header, { sub: payload.sub, expMs: payload.exp * 1000 })
        return payload.sub
      } catch {
        return null
      }
    }

    const unauthorized = () => new DomainError('unauthorized', 'the access token is invalid or expired')
    const limitHeader = String(opts.rateLimit.max)

    /** The per-caller budget, then authentication where the route needs it; undefined when all is done. */
    function admit(request: FastifyRequest, reply: FastifyReply, subject: string | null, now: number) {
      request[verifiedSubject] = subject
      // Before authentication, so that guessing tokens or hammering without one is limited too.
      const window = perCaller.take(subject ?? `ip:${request.ip}`, now)
      const resetSeconds = Math.ceil((window.resetMs - now) / 1000)
      reply.header('x-ratelimit-limit', limitHeader)
      reply.header('x-ratelimit-remaining', String(Math.max(0, opts.rateLimit.max - window.count)))
      reply.header('x-ratelimit-reset', String(resetSeconds))
      if (window.count > opts.rateLimit.max) {
        const after = Math.max(1, resetSeconds)
        reply.header('retry-after', String(after))
        throw new DomainError('rate_limited', `too many requests; retry in ${after} s`)
      }
      // On the matched route, never the raw URL: the router decodes the path (/%61pi/v1/... is /api/v1/...), so
      // a test on request.url could be dodged by spelling the path differently. routeOptions is a getter that
      // builds a new object: read once. Unknown routes (no url) fall to the not-found handler, which answers 404.
      if (!isProtected(request.routeOptions)) return undefined
      if (!subject) {
        // A subject means the header was a well-formed, valid bearer token.
        const header = request.headers.authorization
        if (!header || !BEARER.test(header)) {
          throw new DomainError('unauthorized', 'send Authorization: Bearer <accessToken>')
        }
        throw unauthorized()
      }
      const caller = cachedCaller(subject, now)
      if (caller !== undefined) return setCaller(request, caller)
      return loadCaller(subject).then((loaded) => setCaller(request, loaded))
    }

    function setCaller(request: FastifyRequest, caller: Caller | null): undefined {
      if (!caller) throw unauthorized()
      request.caller = caller
      return undefined
    }

    app.decorateRequest(verifiedSubject, null)
    // A callback hook: a member repeating a request with the same token, within the grants' cache time, passes
    // it without a promise (token, budget and caller all come from memory); only a new token or a cache miss
    // waits for the HMAC check or the database.
    app.addHook('onRequest', (request, reply, done) => {
      const now = Date.now()
      const header = request.headers.authorization
      const known = header === undefined ? null : verifiedBefore(header, now)
      try {
        if (known !== undefined) {
          const pending = admit(request, reply, known, now)
          if (pending === undefined) done()
          else pending.then(() => done(), done)
          return
        }
        verifyToken(request, header!)
          .then((subject) => admit(request, reply, subject, Date.now()))
          .then(() => done(), done)
      } catch (err) {
        done(err as Error)
      }
    })
  },
  { name: 'auth', dependencies: ['db'] },
)
