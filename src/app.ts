import cors from '@fastify/cors'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import underPressure from '@fastify/under-pressure'
import Ajv from 'ajv'
import addFormats from 'ajv-formats'
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  LogController,
} from 'fastify'
import type { Database } from './db/client'
import { activitiesExamples, activitiesRoutes, certificatePageRoutes } from './modules/activities'
import { appraisalsExamples, appraisalsRoutes } from './modules/appraisals'
import { auditExamples, auditRoutes } from './modules/audit'
import { eventsExamples, eventsRoutes } from './modules/events'
import { identityExamples, identityRoutes } from './modules/identity'
import { ledgerExamples, ledgerRoutes } from './modules/ledger'
import { membersExamples, membersRoutes } from './modules/members'
import { orgExamples, orgRoutes } from './modules/org'
import { reportsExamples, reportsRoutes } from './modules/reports'
import { residentsExamples, residentsRoutes } from './modules/residents'
import { rewardsExamples, rewardsRoutes } from './modules/rewards'
import { rubricsExamples, rubricsRoutes } from './modules/rubrics'
import { evidenceHooks, scoringExamples, scoringRoutes } from './modules/scoring'
import { systemExamples, systemRoutes } from './modules/system'
import { authPlugin } from './plugins/auth'
import type { LoginThrottleSettings } from './plugins/auth/login-throttle'
import { dbPlugin } from './plugins/db'
import { errorsPlugin } from './plugins/errors'
import { openapiPlugin } from './plugins/openapi'
import { problem } from './shared/errors'
import { exactJsonParser } from './shared/json-body'
import { NO_PII_KEYRING, type PiiKeyring, piiKeyring } from './shared/pii'
import { requestIdOf } from './shared/request-id'
import { isSupportedDate, isSupportedDateTime, problems } from './shared/schemas'
import { setServiceTimeZone } from './shared/time'

export interface AppOptions {
  database: Database
  /**
   * The pool of DATABASE_READ_URL (a replica), read by the operations that tolerate a little lag
   * (docs/scaling.md); without it those read `database` too. Closing it is the caller's job.
   */
  readDatabase?: Database
  jwtSecret: string
  timezone?: string
  redemptionHoldDays?: number
  logger?: FastifyServerOptions['logger']
  /** Certificate verifications per address and minute (default 10); login and refresh: `login`. */
  loginRateLimit?: number
  /** Requests per caller (user of a valid token, else address) per window, all routes together (default 600). */
  rateLimitMax?: number
  /** The window of rateLimitMax in seconds (default 60). */
  rateLimitWindowSeconds?: number
  /** Browser origins allowed by CORS; none by default (the API is called by servers, kiosks and mini-programs). */
  corsOrigins?: string[]
  /** Shed load with 503 when the event loop lags this much (ms); 0 turns it off. */
  maxEventLoopDelayMs?: number
  /**
   * Proxies (addresses or CIDRs) whose X-Forwarded-For is believed for the client address; none by default, so a
   * client cannot pick the address its budgets are counted under.
   */
  trustProxy?: string[]
  /** Keep the shared throttling counters in Redis instead of the database (see src/shared/counters.ts). */
  redisUrl?: string
  /** Prefix of the Redis keys (default 'vp:'). */
  redisPrefix?: string
  /** Login throttling: per-address budget, failures before delays, the longest delay (login-throttle.ts). */
  login?: Partial<LoginThrottleSettings>
  /** The clock of the login throttle and shared counters (tests only). */
  clock?: () => number
  /** Where people reach the service: certificates print <publicBaseUrl>/service-certificates/<code> (PUBLIC_BASE_URL). */
  publicBaseUrl?: string
  /**
   * Keys of personal data at rest (PII_KEY: the first seals, every one opens; src/shared/pii.ts). Without them
   * the app refuses to seal or open anything (the OpenAPI script builds the app without).
   */
  piiKeys?: Buffer[]
  /** Webhook URLs may resolve to loopback, private and link-local addresses (WEBHOOK_ALLOW_PRIVATE_NETWORKS). */
  webhookAllowPrivateNetworks?: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    settings: { timezone: string; redemptionHoldDays: number; loginRateLimit: number; publicBaseUrl: string }
    /** Seals, opens and hashes personal data (identity numbers) under PII_KEY. */
    pii: PiiKeyring
  }
}

function makeAjv(coerce: boolean) {
  const ajv = new Ajv({
    // Bodies are taken as sent (a "5" is not a number); query strings and params are text by nature.
    coerceTypes: coerce ? 'array' : false,
    useDefaults: true,
    removeAdditional: false,
    allErrors: true,
    strict: false,
  })
  addFormats(ajv)
  // ajv-formats also takes "urn:uuid:<uuid>", which PostgreSQL's uuid type refuses (a 500): only the RFC 4122 form.
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i)
  // Dates and times: real calendar days of the supported range only (shared/schemas.ts MIN_DATE..MAX_DATE).
  ajv.addFormat('date', { type: 'string', validate: isSupportedDate })
  ajv.addFormat('date-time', { type: 'string', validate: isSupportedDateTime })
  return ajv
}

const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
}
/** Answers of the API are data, never a page: nothing may load from or frame them. */
const API_HEADERS = {
  ...SECURITY_HEADERS,
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
}
/** The Swagger UI page (/docs) loads its own scripts and styles: it is only kept out of frames. */
const DOCS_HEADERS = { ...SECURITY_HEADERS, 'content-security-policy': "frame-ancestors 'none'" }

/** One log line per request, when it completes (method, URL, status and time), instead of Fastify's two. */
class OneLinePerRequest extends LogController {
  override incomingRequest() {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    if (this.isLogDisabled(request)) return
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      )
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed')
    }
  }
}

/** Builds the whole application; never listens (server.ts does, tests inject). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    ...(options.logger ? { logController: new OneLinePerRequest() } : {}),
    bodyLimit: 1024 * 1024,
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    keepAliveTimeout: 10_000,
    // X-Request-Id only when it is a short safe token (shared/request-id.ts), else a fresh UUID; echoed below.
    genReqId: requestIdOf,
    requestIdHeader: false,
    // request.ip (what every budget counts by) comes from X-Forwarded-For only when the peer is a listed proxy.
    trustProxy: options.trustProxy?.length ? options.trustProxy : false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // A broken percent-escape in the path (/members/%zz) fails before routing; Fastify's own answer is plain
    // JSON without a `code`, so answer the problem+json 400 every operation documents.
    frameworkErrors: (err, _request, reply) =>
      (reply as FastifyReply)
        .code(400)
        .type('application/problem+json')
        .send(
          problem(
            'validation_failed',
            err.code === 'FST_ERR_BAD_URL'
              ? 'the URL is not validly percent-encoded'
              : 'request is not valid',
          ),
        ),
  }).withTypeProvider<TypeBoxTypeProvider>()

  // JSON bodies: Fastify's parser (prototype-poisoning protection kept), then numbers a double cannot hold
  // exactly are refused (shared/json-body.ts): 1.0000000000000000001 is not silently 1.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, exactJsonParser(parseJson))

  const bodyAjv = makeAjv(false)
  const otherAjv = makeAjv(true)
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? bodyAjv.compile(schema) : otherAjv.compile(schema),
  )

  // Every instant the API answers is written in the service zone (shared/time.ts formatInstant).
  setServiceTimeZone(options.timezone ?? 'Asia/Shanghai')
  app.decorate('settings', {
    timezone: options.timezone ?? 'Asia/Shanghai',
    redemptionHoldDays: options.redemptionHoldDays ?? 7,
    loginRateLimit: options.loginRateLimit ?? 10,
    publicBaseUrl: options.publicBaseUrl ?? 'http://localhost:3000',
  })
  app.decorate('pii', options.piiKeys?.length ? piiKeyring(options.piiKeys) : NO_PII_KEYRING)

  // Every /api/v1 route that is not public is documented as needing a bearer token.
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/api/v1/') || route.config?.public || !route.schema) return
    route.schema.security ??= [{ bearerAuth: [] }]
  })
  // Fastify answers 413 (body over 1 MiB) and 415 (a body that is not JSON) before any handler runs, on every
  // method that may carry a body: document them wherever they can happen.
  app.addHook('onRoute', (route) => {
    const response = route.schema?.response as Record<number, unknown> | undefined
    if (!response || ![route.method].flat().some((m) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(m)))
      return
    const bodyProblems = problems(413, 415)
    response[413] ??= bodyProblems[413]
    response[415] ??= bodyProblems[415]
  })
  // Security headers of a JSON API (OWASP REST Security cheat sheet), one precomputed set written in the one
  // onSend hook every response passes anyway (this replaced @fastify/helmet, whose eleven middlewares set
  // headers one by one through the raw response on every request). A callback hook, not an async one: it runs
  // on every response, and a promise per response is measurable.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.headers(request.url.startsWith('/docs') ? DOCS_HEADERS : API_HEADERS)
    reply.header('x-request-id', request.id)
    if (request.headers.authorization) reply.header('cache-control', 'no-store')
    done(null, payload)
  })

  await app.register(errorsPlugin)
  // Closed unless origins are configured: a browser page elsewhere cannot call the API with a user's token.
  // Without origins the plugin is not registered at all: with origin false it would only run its hook on
  // every request (two route-option objects and a copy of its options) to add nothing, and answer a
  // preflight 404 as the not-found handler does.
  if (options.corsOrigins?.length) await app.register(cors, { origin: options.corsOrigins })
  if ((options.maxEventLoopDelayMs ?? 1000) > 0) {
    // Under overload answer 503 quickly (a retry is safe) instead of letting every request time out.
    await app.register(underPressure, {
      maxEventLoopDelay: options.maxEventLoopDelayMs ?? 1000,
      retryAfter: 1,
      exposeStatusRoute: false,
      pressureHandler: (_req, reply) => {
        reply
          .code(503)
          .header('retry-after', '1')
          .type('application/problem+json')
          .send(problem('unavailable', 'the service is overloaded; retry shortly'))
      },
    })
  }
  await app.register(dbPlugin, { database: options.database, readDatabase: options.readDatabase })
  // Each module's examples (src/modules/<module>/examples.ts) for /docs and openapi/openapi.json.
  await app.register(openapiPlugin, {
    examples: {
      ...systemExamples,
      ...identityExamples,
      ...orgExamples,
      ...membersExamples,
      ...residentsExamples,
      ...activitiesExamples,
      ...rubricsExamples,
      ...scoringExamples,
      ...ledgerExamples,
      ...rewardsExamples,
      ...reportsExamples,
      ...appraisalsExamples,
      ...auditExamples,
      ...eventsExamples,
    },
  })
  await app.register(authPlugin, {
    secret: options.jwtSecret,
    rateLimit: { max: options.rateLimitMax ?? 600, windowMs: (options.rateLimitWindowSeconds ?? 60) * 1000 },
    redisUrl: options.redisUrl,
    redisPrefix: options.redisPrefix,
    login: options.login,
    clock: options.clock,
  })

  await app.register(systemRoutes)
  // The page a certificate's printed verification URL opens (outside /api/v1, not in the OpenAPI document).
  await app.register(certificatePageRoutes)
  await app.register(
    async (api) => {
      await api.register(identityRoutes)
      await api.register(orgRoutes)
      await api.register(membersRoutes)
      await api.register(residentsRoutes)
      // Verifying evidence drafts claims: scoring's hooks, handed to activities so that it needs no import of scoring.
      await api.register(activitiesRoutes, { evidenceHooks, checkInSecret: options.jwtSecret })
      await api.register(rubricsRoutes)
      await api.register(scoringRoutes)
      await api.register(ledgerRoutes)
      await api.register(rewardsRoutes)
      await api.register(reportsRoutes)
      await api.register(appraisalsRoutes)
      await api.register(auditRoutes)
      await api.register(eventsRoutes, { allowPrivateNetworks: options.webhookAllowPrivateNetworks })
    },
    { prefix: '/api/v1' },
  )
  return app
}
