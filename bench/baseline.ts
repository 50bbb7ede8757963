/**
 * The yardstick: a bare Fastify + pg process with no auth, no validation, no drizzle. It runs the same
 * primary-key read and the same single write transaction as the real server's hot paths, given as SQL by
 * the benchmark runner, so each real figure can be printed as a ratio to what the bare stack does here.
 *
 *   GET  /read/:id   -> BASELINE_READ_SQL with $1 = id
 *   GET  /page/:id   -> BASELINE_PAGE_SQL with $1 = id, every row (the ledger page's rows as the database has them)
 *   POST /write/:id  -> BEGIN; BASELINE_WRITE_SQL ($1 = id); COMMIT
 */
import Fastify from 'fastify'
import pg from 'pg'

const pool = new pg.Pool({
  connectionString: process.env.DATABASE_URL,
  max: Number(process.env.DB_POOL_SIZE ?? 10),
})
const readSql = process.env.BASELINE_READ_SQL ?? 'select 1 as one where $1::text is not null'
const pageSql = process.env.BASELINE_PAGE_SQL ?? readSql
const writeSql = (process.env.BASELINE_WRITE_SQL ?? 'select 1 where $1::text is not null')
  .split(';')
  .filter((s) => s.trim())

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ status: 'ok' }))
app.get<{ Params: { id: string } }>('/read/:id', async (req, reply) => {
  const r = await pool.query({ name: 'read', text: readSql, values: [req.params.id] })
  if (r.rowCount === 0) return reply.code(404).send({ error: 'not found' })
  return r.rows[0]
})
app.get<{ Params: { id: string } }>('/page/:id', async (req) => {
  const r = await pool.query({ name: 'page', text: pageSql, values: [req.params.id] })
  return { items: r.rows }
})
app.post<{ Params: { id: string } }>('/write/:id', async (req) => {
  const client = await pool.connect()
  try {
    await client.query('begin')
    for (const [i, text] of writeSql.entries())
      await client.query({ name: `w${i}`, text, values: [req.params.id] })
    await client.query('commit')
    return { ok: true }
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  } finally {
    client.release()
  }
})

await app.listen({ port: Number(process.env.PORT ?? 3999), host: '127.0.0.1' })
const stop = async () => {
  await app.close()
  await pool.end()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
