import { buildApp } from './app'
import { ConfigError, loadConfig } from './config'
import { openDatabase } from './db/client'
import { migrate } from './db/migrate'
import { startEventWorker } from './modules/events'
import { bootstrapAdmin, ensureRoot } from './modules/identity'
import { alignRollupZone, startPointsFold } from './modules/reports'
import { startRedemptionSweep } from './modules/rewards'
import { consoleFolder, consolePlugin } from './plugins/console'

async function main() {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`config: ${err.message}`)
      process.exit(78)
    }
    throw err
  }
  const logger = {
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken'],
  }
  let app: Awaited<ReturnType<typeof buildApp>> | undefined
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    timezone: config.timezone,
    poolSize: config.poolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    onPoolError: (err) => app?.log.warn({ err }, 'idle database connection failed; the pool will replace it'),
  })
  // Reports, exports and lists of history that tolerate a little lag read here (src/plugins/db.ts, docs/scaling.md).
  const readDatabase = config.databaseReadUrl
    ? await openDatabase({
        databaseUrl: config.databaseReadUrl,
        timezone: config.timezone,
        poolSize: config.poolSize,
        statementTimeoutMs: config.statementTimeoutMs,
        applicationName: 'volunteer-points-read',
        readOnly: true,
        onPoolError: (err) =>
          app?.log.warn({ err }, 'idle read-pool connection failed; the pool will replace it'),
      })
    : undefined
  const repeatables = await migrate(database)
  await ensureRoot(database.db)
  const bootstrapped = await bootstrapAdmin(
    database.db,
    config.bootstrapAdminUsername,
    config.bootstrapAdminPassword,
  )

  app = await buildApp({
    database,
    readDatabase,
    jwtSecret: config.jwtSecret,
    timezone: config.timezone,
    redemptionHoldDays: config.redemptionHoldDays,
    publicBaseUrl: config.publicBaseUrl,
    piiKeys: config.piiKeys,
    webhookAllowPrivateNetworks: config.webhookAllowPrivateNetworks,
    corsOrigins: config.corsOrigins,
    rateLimitMax: config.rateLimitMax,
    rateLimitWindowSeconds: config.rateLimitWindowSeconds,
    trustProxy: config.trustProxy,
    redisUrl: config.redisUrl,
    redisPrefix: config.redisKeyPrefix,
    login: {
      addressMax: config.loginAddressMax,
      freeFailures: config.loginFreeFailures,
      maxDelayMs: config.loginMaxDelaySeconds * 1000,
    },
    logger,
  })
  // The web console (console/, built into console/dist) at /console/, same origin as the API.
  const consoleRoot = consoleFolder()
  await app.register(consolePlugin, { root: consoleRoot })
  if (!consoleRoot) app.log.warn('the console is not built (console/dist): /console/ says how to build it')
  if (repeatables.length) app.log.info({ repeatables }, 'functions, triggers and views applied (src/db/sql)')
  // Reports read only the rollups, so they must be cut in TIMEZONE: recut them now if it changed.
  const recutFrom = await alignRollupZone(database.db, config.timezone)
  if (recutFrom)
    app.log.info(
      `report rollups were cut in ${recutFrom}: rebuilt in TIMEZONE ${config.timezone} before serving`,
    )
  if (bootstrapped) app.log.info({ username: config.bootstrapAdminUsername }, 'bootstrap admin created')
  if (database.driver === 'pglite') {
    const { demoLogins, loadDemoIfEmpty } = await import('./demo/accounts')
    if (await loadDemoIfEmpty(database.db)) {
      const started = Date.now()
      const { loadDemoContent } = await import('./demo/content')
      await loadDemoContent(database.db, config.timezone, { holdDays: config.redemptionHoldDays })
      app.log.info(
        `demo organisation loaded in ${Date.now() - started} ms: a year of 幸福社区 (activities, rounds finalized, on notice and ready to finalize, redemptions, a certificate); the README's "Call it" walks through it`,
      )
    }
    // On every start of the demo database, not only the first: how to sign in.
    const logins = await demoLogins(database.db)
    if (logins.length) app.log.info('demo logins (username / password, unless changed since):')
    for (const l of logins) app.log.info(`  ${l.role.padEnd(12)} ${l.username} / ${l.password}`)
  }

  let closing = false
  const shutdown = async (signal: string) => {
    if (closing) return
    closing = true
    app?.log.info({ signal }, 'shutting down: finishing in-flight requests')
    const force = setTimeout(() => process.exit(1), 15_000)
    force.unref()
    try {
      await app?.close()
      await database.close()
      await readDatabase?.close()
      process.exit(0)
    } catch (err) {
      app?.log.error({ err }, 'error during shutdown')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))

  // Releases lapsed redemption holds; safe with any number of processes (FOR UPDATE SKIP LOCKED).
  startRedemptionSweep(app, { intervalMs: config.redemptionSweepSeconds * 1000 })
  // Folds each month that is over into per-subtree rows (a city's summary reads its own dozen); any number of processes.
  startPointsFold(app)
  // Delivers webhooks (and numbers committed events for the feed); any number of processes (SKIP LOCKED, leases).
  startEventWorker(app, {
    intervalMs: config.webhookWorkerIntervalMs,
    retryBaseMs: config.webhookRetryBaseMs,
    allowPrivateNetworks: config.webhookAllowPrivateNetworks,
  })
  await app.listen({ port: config.port, host: config.host })
  const where = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`
  app.log.info(
    `serving on ${where} (database: ${database.driver === 'pg' ? 'PostgreSQL at DATABASE_URL' : `embedded PGlite in ${config.dataDir}`}${readDatabase ? ', reports and exports from DATABASE_READ_URL' : ''}; throttling counters in ${config.redisUrl ? 'Redis at REDIS_URL' : 'the database'}); docs at ${where}/docs`,
  )
}

main().catch((err) => {
  console.error('fatal: could not start:', err instanceof Error ? err.message : err)
  process.exit(1)
})
