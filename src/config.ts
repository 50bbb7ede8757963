import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { join, resolve } from 'node:path'
import Type, { type Static } from 'typebox'
import { Value } from 'typebox/value'
import { newPiiKey, parsePiiKey } from './shared/pii'

// The whole environment, as one schema: checked once at start, one line naming the bad variable.
const Env = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATABASE_READ_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  DATA_DIR: Type.String({ default: './data' }),
  JWT_SECRET: Type.Optional(Type.String({ minLength: 32 })),
  TIMEZONE: Type.String({ default: 'Asia/Shanghai' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
    { default: 'info' },
  ),
  BOOTSTRAP_ADMIN_USERNAME: Type.String({ default: 'admin', minLength: 3, maxLength: 64 }),
  BOOTSTRAP_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 10 })),
  REDEMPTION_HOLD_DAYS: Type.Integer({ minimum: 1, maximum: 365, default: 7 }),
  REDEMPTION_SWEEP_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  CORS_ORIGINS: Type.String({ default: '' }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 600 }),
  RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
  TRUST_PROXY: Type.String({ default: '' }),
  REDIS_URL: Type.Optional(Type.String({ pattern: '^rediss?://' })),
  REDIS_KEY_PREFIX: Type.String({ default: 'vp:', minLength: 1, maxLength: 64 }),
  LOGIN_ADDRESS_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 100 }),
  LOGIN_FREE_FAILURES: Type.Integer({ minimum: 1, maximum: 1000, default: 5 }),
  LOGIN_MAX_DELAY_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  PUBLIC_BASE_URL: Type.Optional(Type.String({ maxLength: 200 })),
  PII_KEY: Type.Optional(Type.String({ maxLength: 1000 })),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: Type.String({ pattern: '^(true|false|1|0)$', default: 'false' }),
  WEBHOOK_RETRY_BASE_MS: Type.Integer({ minimum: 1, maximum: 3_600_000, default: 5000 }),
  WEBHOOK_WORKER_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000 }),
})
type Env = Static<typeof Env>

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
  /**
   * A second pool (a streaming replica, typically) for the report and list operations that tolerate a little
   * lag (docs/scaling.md lists them); unset: they read the primary like everything else.
   */
  databaseReadUrl: string | undefined
  dataDir: string
  jwtSecret: string
  timezone: string
  logLevel: string
  bootstrapAdminUsername: string
  bootstrapAdminPassword: string | undefined
  redemptionHoldDays: number
  /** How often each process runs the sweep that releases lapsed reservations. */
  redemptionSweepSeconds: number
  poolSize: number
  statementTimeoutMs: number
  /** Browser origins allowed by CORS; empty (the default) means no cross-origin access at all. */
  corsOrigins: string[]
  /** Requests one caller (user of a valid token, else address) may make per window, all routes together. */
  rateLimitMax: number
  rateLimitWindowSeconds: number
  /** Proxies (addresses, CIDRs, or loopback / linklocal / uniquelocal) whose X-Forwarded-For is believed. */
  trustProxy: string[]
  /** Shared throttling counters in Redis instead of PostgreSQL. */
  redisUrl: string | undefined
  /** Prefix of every key this service writes to Redis, so deployments (or test runs) can share one. */
  redisKeyPrefix: string
  /** Login attempts per address and minute (and refreshes, separately). */
  loginAddressMax: number
  /** Failed logins of an account before the delays start. */
  loginFreeFailures: number
  loginMaxDelaySeconds: number
  /**
   * Where people reach this service (scheme, host, optional path; no trailing slash): the verification URL and QR
   * code printed on certificates. Default http://localhost:<PORT>.
   */
  publicBaseUrl: string
  /**
   * Keys of personal data at rest (identity numbers): PII_KEY, one or more 32-byte keys (base64 or hex),
   * comma-separated, the first sealing new values and all opening old ones. Embedded mode invents one.
   */
  piiKeys: Buffer[]
  /** Webhook URLs may resolve to loopback, private and link-local addresses (tests, a trusted internal receiver). */
  webhookAllowPrivateNetworks: boolean
  /** The first retry delay of a webhook delivery; each next one doubles (up to an hour), with jitter. */
  webhookRetryBaseMs: number
  /** How often each process's delivery worker looks for due deliveries when it has nothing to do. */
  webhookWorkerIntervalMs: number
}

export class ConfigError extends Error {}

const numeric = new Set([
  'PORT',
  'REDEMPTION_HOLD_DAYS',
  'REDEMPTION_SWEEP_SECONDS',
  'DB_POOL_SIZE',
  'STATEMENT_TIMEOUT_MS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_SECONDS',
  'LOGIN_ADDRESS_MAX',
  'LOGIN_FREE_FAILURES',
  'LOGIN_MAX_DELAY_SECONDS',
  'WEBHOOK_RETRY_BASE_MS',
  'WEBHOOK_WORKER_INTERVAL_MS',
])

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** TRUST_PROXY: a comma-separated list of addresses and CIDRs (as Fastify's trustProxy takes them). */
function trustedProxies(value: string): string[] {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  for (const entry of entries) {
    const [address, bits, ...rest] = entry.split('/')
    const version = isIP(address!)
    const bitsOk =
      bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128))
    if (PROXY_NAMES.has(entry)) continue
    if (version === 0 || !bitsOk || rest.length > 0) {
      throw new ConfigError(
        `invalid environment variable TRUST_PROXY: ${JSON.stringify(entry)} is not an address or CIDR`,
      )
    }
  }
  return entries
}

/** PUBLIC_BASE_URL: an absolute http(s) URL without query, fragment or credentials; kept without a trailing slash. */
function publicBaseUrl(value: string | undefined, port: number): string {
  if (value === undefined) return `http://localhost:${port}`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(
      `invalid environment variable PUBLIC_BASE_URL: ${JSON.stringify(value)} is not a URL`,
    )
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(
      'invalid environment variable PUBLIC_BASE_URL: must be an http(s) URL without query, fragment or credentials',
    )
  }
  return url.href.replace(/\/+$/, '')
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(Env.properties)) {
    const v = source[key]
    if (v === undefined || v === '') continue
    raw[key] = numeric.has(key) && /^-?\d+$/.test(v) ? Number(v) : v
  }
  const withDefaults = Value.Default(Env, raw) as Record<string, unknown>
  const firstError = Value.Errors(Env, withDefaults)[0]
  if (firstError) {
    const name = firstError.instancePath.replace(/^\//, '') || JSON.stringify(firstError.params)
    throw new ConfigError(`invalid environment variable ${name}: ${firstError.message}`)
  }
  const env = withDefaults as Env
  try {
    Intl.DateTimeFormat('en', { timeZone: env.TIMEZONE })
  } catch {
    throw new ConfigError(`invalid environment variable TIMEZONE: unknown time zone ${env.TIMEZONE}`)
  }
  const dataDir = resolve(env.DATA_DIR)
  let jwtSecret = env.JWT_SECRET
  if (!jwtSecret) {
    if (env.DATABASE_URL) {
      throw new ConfigError(
        'invalid environment variable JWT_SECRET: required (32+ bytes) when DATABASE_URL is set',
      )
    }
    jwtSecret = embeddedSecret(dataDir)
  }
  if (env.DATABASE_READ_URL && !env.DATABASE_URL) {
    throw new ConfigError(
      'invalid environment variable DATABASE_READ_URL: needs DATABASE_URL (the embedded database has no replica)',
    )
  }
  const piiKeys = piiKeysOf(env.PII_KEY, env.DATABASE_URL !== undefined, dataDir)
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    databaseReadUrl: env.DATABASE_READ_URL,
    dataDir,
    jwtSecret,
    timezone: env.TIMEZONE,
    logLevel: env.LOG_LEVEL,
    bootstrapAdminUsername: env.BOOTSTRAP_ADMIN_USERNAME,
    bootstrapAdminPassword: env.BOOTSTRAP_ADMIN_PASSWORD,
    redemptionHoldDays: env.REDEMPTION_HOLD_DAYS,
    redemptionSweepSeconds: env.REDEMPTION_SWEEP_SECONDS,
    poolSize: env.DB_POOL_SIZE,
    statementTimeoutMs: env.STATEMENT_TIMEOUT_MS,
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    rateLimitMax: env.RATE_LIMIT_MAX,
    rateLimitWindowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
    trustProxy: trustedProxies(env.TRUST_PROXY),
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    loginAddressMax: env.LOGIN_ADDRESS_MAX,
    loginFreeFailures: env.LOGIN_FREE_FAILURES,
    loginMaxDelaySeconds: env.LOGIN_MAX_DELAY_SECONDS,
    publicBaseUrl: publicBaseUrl(env.PUBLIC_BASE_URL, env.PORT),
    piiKeys,
    webhookAllowPrivateNetworks: ['true', '1'].includes(env.WEBHOOK_ALLOW_PRIVATE_NETWORKS),
    webhookRetryBaseMs: env.WEBHOOK_RETRY_BASE_MS,
    webhookWorkerIntervalMs: env.WEBHOOK_WORKER_INTERVAL_MS,
  }
}

/** PII_KEY, else (embedded mode only) the key invented once and kept beside the data. */
function piiKeysOf(value: string | undefined, external: boolean, dataDir: string): Buffer[] {
  if (value === undefined) {
    if (external) {
      throw new ConfigError(
        'invalid environment variable PII_KEY: required (32 bytes, base64 or hex) when DATABASE_URL is set',
      )
    }
    return [parsePiiKey(embeddedFile(dataDir, 'pii-key', newPiiKey))]
  }
  return value.split(',').map((part, i) => {
    try {
      return parsePiiKey(part)
    } catch (err) {
      throw new ConfigError(`invalid environment variable PII_KEY: key ${i + 1} ${(err as Error).message}`)
    }
  })
}

// Embedded mode invents its signing key once and keeps it beside the data, so tokens survive restarts.
function embeddedSecret(dataDir: string): string {
  return embeddedFile(dataDir, 'jwt-secret', () => randomBytes(48).toString('base64url'))
}

/** A secret kept in DATA_DIR/<name> (mode 0600), made by `make` the first time. */
function embeddedFile(dataDir: string, name: string, make: () => string): string {
  const file = join(dataDir, name)
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const secret = make()
  writeFileSync(file, secret, { mode: 0o600 })
  return secret
}
