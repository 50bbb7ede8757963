import { type SQL, sql } from 'drizzle-orm'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { type PgDatabase, PgDialect, type PgQueryResultHKT } from 'drizzle-orm/pg-core'
import pg from 'pg'

/**
 * One type for both drivers. A transaction handle is a PgDatabase too, so every repo function takes
 * `Db` and works the same inside or outside a transaction (inside one, always pass the `tx`).
 */
export type Db = PgDatabase<PgQueryResultHKT>

export interface Database {
  db: Db
  driver: 'pg' | 'pglite'
  /** The underlying pg Pool (pg driver only): hot paths and benchmarks may use prepared statements on it. */
  pool?: pg.Pool
  ping(): Promise<void>
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string
  dataDir?: string
  timezone: string
  poolSize?: number
  statementTimeoutMs?: number
  onPoolError?: (err: Error) => void
  /** pg_stat_activity's application_name of the pool's sessions (default 'volunteer-points'). */
  applicationName?: string
  /**
   * Every session read-only (default_transaction_read_only): the read pool of DATABASE_READ_URL, so that a write
   * sent to it by mistake fails at once (SQLSTATE 25006) even when it points at the primary.
   */
  readOnly?: boolean
}

// Return bigint (int8) and numeric columns as strings from raw queries: never as JS floats.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => v)

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  if (opts.databaseUrl) return openPg(opts.databaseUrl, opts)
  return openPglite(opts.dataDir ?? './data', opts.timezone)
}

function openPg(url: string, opts: DatabaseOptions): Database {
  const statementTimeout = opts.statementTimeoutMs ?? 5000
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    // Session settings for every connection: the service time zone makes `::date` and date_trunc agree
    // with the API's dates; timeouts make a stalled database answer as an error, never hang a request.
    // jit=off: every statement here is an index-driven read or a small write; a plan whose row estimate runs
    // high (a county's ranking: 212 M estimated, 2,000 real) was compiled for 2.0 of its 2.2 s (issue 22).
    options: `-c timezone=${opts.timezone} -c statement_timeout=${statementTimeout} -c idle_in_transaction_session_timeout=${statementTimeout * 4} -c jit=off${opts.readOnly ? ' -c default_transaction_read_only=on' : ''}`,
    // A frozen backend or host cannot enforce statement_timeout itself: the client gives up a little later.
    query_timeout: statementTimeout + STALL_MARGIN_MS,
    application_name: opts.applicationName ?? 'volunteer-points',
  })
  // A backend killed under us (pg_terminate_backend, failover) emits 'error' on an idle client;
  // without a listener Node would crash the whole process.
  pool.on('error', (err) => opts.onPoolError?.(err))
  // The pool listens only to idle clients. A connection killed while checked out (between two statements of a
  // transaction) emits 'error' on its client, which would otherwise be an uncaught exception; the query
  // running on it fails on its own and is answered 503.
  pool.on('connect', (client) => {
    client.on('error', (err) => opts.onPoolError?.(err))
    dropOnReadTimeout(client)
  })
  const db = drizzlePg(pool, { casing: 'snake_case' }) as unknown as Db
  return {
    db,
    driver: 'pg',
    pool,
    async ping() {
      await pool.query('select 1')
    },
    async close() {
      await pool.end()
    },
  }
}

/** How much longer than statement_timeout the client waits for a backend that does not answer at all. */
const STALL_MARGIN_MS = 1000

/**
 * After a client-side query timeout pg keeps the connection busy with the unanswered statement: the statements
 * queued behind it (drizzle's ROLLBACK) would each wait a full timeout more, and a transaction's client would go
 * back to the pool still stuck. Destroying the socket fails them at once and makes the pool retire the client.
 */
function dropOnReadTimeout(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown
  const drop = (err: unknown) => {
    if (err instanceof Error && err.message === 'Query read timeout')
      (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy()
  }
  ;(client as unknown as { query: unknown }).query = (...args: unknown[]) => {
    const callback = args[args.length - 1]
    if (typeof callback === 'function') {
      args[args.length - 1] = (err: unknown, res: unknown) => {
        drop(err)
        callback(err, res)
      }
      return query(...args)
    }
    const result = query(...args)
    // A side branch only: the caller still gets the rejection.
    if (result instanceof Promise) result.catch(drop)
    return result
  }
}

async function openPglite(dataDir: string, timezone: string): Promise<Database> {
  // Loaded here, not at start: a server on PostgreSQL (DATABASE_URL) never needs PGlite's wasm build, which
  // held resident memory for nothing (docs/performance.md, "Server memory").
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('drizzle-orm/pglite'),
  ])
  const client = await PGlite.create(dataDir)
  await client.exec(`SET TIME ZONE '${timezone.replace(/'/g, "''")}'`)
  const db = drizzlePglite(client, { casing: 'snake_case' }) as unknown as Db
  return {
    db,
    driver: 'pglite',
    async ping() {
      await client.query('select 1')
    },
    async close() {
      await client.close()
    },
  }
}

/** Raw SQL rows, the same on both drivers. Use for queries the builder cannot say well. */
export async function rows<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] }
  return result.rows
}

export async function one<T = Record<string, unknown>>(db: Db, query: SQL): Promise<T | undefined> {
  return (await rows<T>(db, query))[0]
}

const dialect = new PgDialect()

/**
 * Runs a statement built with drizzle's `sql` as a named prepared statement: pg parses it once per
 * connection and, after a few executions, plans it once too (a composed read can take longer to plan than
 * to run: the redemption plan read 0.5-0.7 ms to plan, 0.13 ms to run). PGlite ignores the name.
 * `db._.session` is drizzle's public handle on the connection or transaction, so this runs inside the
 * caller's transaction. A name must always carry the same SQL text (only the parameters vary).
 */
export async function named<T>(db: Db, name: string, query: SQL): Promise<T[]> {
  const prepared = db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false)
  return ((await prepared.execute()) as { rows: T[] }).rows
}

/**
 * A hot read with constant text as one named statement: on a pg Pool, PostgreSQL parses and plans it once per
 * connection and no SQL is built per call. Anywhere else (PGlite, a transaction handle) the same text runs as an
 * ordinary parameterised query. `text` uses $1, $2 ... placeholders.
 */
export async function prepared<T = Record<string, unknown>>(
  db: Db,
  statement: { name: string; text: string },
  values: unknown[],
): Promise<T[]> {
  const client = (db as unknown as { $client?: unknown }).$client
  if (client instanceof pg.Pool) return (await client.query({ ...statement, values })).rows as T[]
  const parts = statement.text.split(/\$(\d+)/)
  const query = sql.join(
    parts.map((part, i) => (i % 2 === 0 ? sql.raw(part) : sql`${values[Number(part) - 1]}`)),
    sql.raw(''),
  )
  return rows<T>(db, query)
}

const RETRYABLE = new Set(['40001', '40P01'])

/** PostgreSQL's own error under drizzle's wrapper (DrizzleQueryError.cause), if `err` carries one. */
function pgError(err: unknown): { code: string; message?: unknown; detail?: unknown } | undefined {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return e as { code: string }
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

export function pgErrorCode(err: unknown): string | undefined {
  return pgError(err)?.code
}

export function pgConstraint(err: unknown): string | undefined {
  let e: unknown = err
  for (let i = 0; i < 4 && e && typeof e === 'object'; i++) {
    const c = (e as { constraint?: unknown }).constraint
    if (typeof c === 'string') return c
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * One database transaction for one command. Serialization failures and deadlocks (40001, 40P01) are
 * retried a bounded number of times with jitter: they mean "try again", never "the request was bad".
 */
export async function transaction<T>(
  db: Db,
  fn: (tx: Db) => Promise<T>,
  opts: { isolationLevel?: 'read committed' | 'repeatable read' | 'serializable'; attempts?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 5
  for (let attempt = 1; ; attempt++) {
    try {
      const pool = (db as unknown as { $client?: unknown }).$client
      if (pool instanceof pg.Pool)
        return await poolTransaction(pool, fn, opts.isolationLevel ?? 'read committed')
      return await db.transaction((tx) => fn(tx as unknown as Db), {
        isolationLevel: opts.isolationLevel ?? 'read committed',
      })
    } catch (err) {
      const code = pgErrorCode(err)
      if (attempt >= attempts || !code || !RETRYABLE.has(code)) throw err
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt))
    }
  }
}

/**
 * drizzle's node-postgres transaction leaks its pooled client when BEGIN itself fails (a connection killed
 * while idle in the pool): the client is never released and the pool slowly runs dry. So we check the client
 * out and always release it (pg-pool drops a client whose connection died instead of handing it out again).
 */
async function poolTransaction<T>(
  pool: pg.Pool,
  fn: (tx: Db) => Promise<T>,
  isolationLevel: 'read committed' | 'repeatable read' | 'serializable',
): Promise<T> {
  const client = await pool.connect()
  try {
    // On a single client drizzle's transaction() issues BEGIN/COMMIT/ROLLBACK itself and hands out a real
    // transaction handle (nested .transaction() calls become savepoints); only acquiring and releasing is ours.
    return await drizzlePg(client, { casing: 'snake_case' }).transaction((tx) => fn(tx as unknown as Db), {
      isolationLevel,
    })
  } finally {
    client.release()
  }
}

export { sql }
