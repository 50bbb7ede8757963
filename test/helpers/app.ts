import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { type AppOptions, buildApp } from '../../src/app'
import type { Database } from '../../src/db/client'
import { parsePiiKey } from '../../src/shared/pii'
import { openTestDatabase } from './db'

export const TEST_JWT_SECRET = 'test-secret-test-secret-test-secret-0123'
/** PII_KEY of every test app (32 bytes, hex): tests of the encryption open the table's values with it. */
export const TEST_PII_KEY = '7e57'.repeat(16)

export interface TestApp {
  app: FastifyInstance
  database: Database
  db: Database['db']
  /** Signs a real access token for a user id. */
  token(userId: string): string
  /** app.inject with `as` (a user id) turned into a bearer token. */
  call(opts: InjectOptions & { as?: string }): Promise<LightMyRequestResponse>
}

/**
 * The real app on this file's real database (a fresh pool each call: two calls behave like two API
 * processes sharing one database).
 */
export async function buildTestApp(
  opts: {
    loginRateLimit?: number
    /** The per-caller limit on all requests; tests of other things never reach it. */
    rateLimitMax?: number
    poolSize?: number
    corsOrigins?: string[]
    beforeReady?: (app: FastifyInstance) => void
    /** Load shedding is off in tests (a busy shared machine lags the event loop); a test of it sets it. */
    maxEventLoopDelayMs?: number
    /** PII_KEY as the server takes it (default TEST_PII_KEY). */
    piiKey?: string
  } & Pick<
    AppOptions,
    | 'trustProxy'
    | 'redisUrl'
    | 'redisPrefix'
    | 'login'
    | 'clock'
    | 'readDatabase'
    | 'webhookAllowPrivateNetworks'
  > = {},
): Promise<TestApp> {
  const database = await openTestDatabase({ poolSize: opts.poolSize })
  const app = await buildApp({
    database,
    readDatabase: opts.readDatabase,
    jwtSecret: TEST_JWT_SECRET,
    timezone: 'Asia/Shanghai',
    loginRateLimit: opts.loginRateLimit ?? 1000,
    rateLimitMax: opts.rateLimitMax ?? 1_000_000,
    corsOrigins: opts.corsOrigins,
    maxEventLoopDelayMs: opts.maxEventLoopDelayMs ?? 0,
    trustProxy: opts.trustProxy,
    redisUrl: opts.redisUrl,
    redisPrefix: opts.redisPrefix,
    // Files log in many times from 127.0.0.1; a test of the login budgets sets its own.
    login: { addressMax: 1000, ...opts.login },
    clock: opts.clock,
    piiKeys: (opts.piiKey ?? TEST_PII_KEY).split(',').map(parsePiiKey),
    webhookAllowPrivateNetworks: opts.webhookAllowPrivateNetworks,
  })
  opts.beforeReady?.(app)
  await app.ready()
  const token = (userId: string) => app.signAccessToken(userId)
  return {
    app,
    database,
    db: database.db,
    token,
    call: ({ as, headers, ...rest }) =>
      app.inject({
        ...rest,
        headers: { ...(headers ?? {}), ...(as ? { authorization: `Bearer ${token(as)}` } : {}) },
      } as InjectOptions),
  }
}
