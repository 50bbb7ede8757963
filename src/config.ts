import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Type, { type Static } from 'typebox'
import { Value } from 'typebox/value'

// The whole environment, as one schema: checked once at start, one line naming the bad variable.
const Env = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
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
  DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 200, default: 10 }),
  STATEMENT_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 5000 }),
  CORS_ORIGINS: Type.String({ default: '' }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 600 }),
  RATE_LIMIT_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 60 }),
})
type Env = Static<typeof Env>

export interface Config {
  port: number
  host: string
  databaseUrl: string | undefined
  dataDir: string
  jwtSecret: string
  timezone: string
  logLevel: string
  bootstrapAdminUsername: string
  bootstrapAdminPassword: string | undefined
  redemptionHoldDays: number
  poolSize: number
  statementTimeoutMs: number
  /** Browser origins allowed by CORS; empty (the default) means no cross-origin access at all. */
  corsOrigins: string[]
  /** Requests one caller (user of a valid token, else address) may make per window, all routes together. */
  rateLimitMax: number
  rateLimitWindowSeconds: number
}

export class ConfigError extends Error {}

const numeric = new Set([
  'PORT',
  'REDEMPTION_HOLD_DAYS',
  'DB_POOL_SIZE',
  'STATEMENT_TIMEOUT_MS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WINDOW_SECONDS',
])

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
  return {
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir,
    jwtSecret,
    timezone: env.TIMEZONE,
    logLevel: env.LOG_LEVEL,
    bootstrapAdminUsername: env.BOOTSTRAP_ADMIN_USERNAME,
    bootstrapAdminPassword: env.BOOTSTRAP_ADMIN_PASSWORD,
    redemptionHoldDays: env.REDEMPTION_HOLD_DAYS,
    poolSize: env.DB_POOL_SIZE,
    statementTimeoutMs: env.STATEMENT_TIMEOUT_MS,
    corsOrigins: env.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    rateLimitMax: env.RATE_LIMIT_MAX,
    rateLimitWindowSeconds: env.RATE_LIMIT_WINDOW_SECONDS,
  }
}

// Embedded mode invents its signing key once and keeps it beside the data, so tokens survive restarts.
function embeddedSecret(dataDir: string): string {
  const file = join(dataDir, 'jwt-secret')
  if (existsSync(file)) return readFileSync(file, 'utf8').trim()
  mkdirSync(dataDir, { recursive: true })
  const secret = randomBytes(48).toString('base64url')
  writeFileSync(file, secret, { mode: 0o600 })
  return secret
}
