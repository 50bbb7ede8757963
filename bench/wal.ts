/**
 * Where a redemption cycle's WAL goes: `npx tsx bench/wal.ts [--cycles 300] [--url postgres://…/vp_bench]`.
 *
 * Runs the benchmark's cycle (createRedemption with a fresh Idempotency-Key, then cancelRedemption) one request
 * at a time in this process (app.inject, the real routes and database) against a database `npm run bench`
 * loaded (vp_bench, kept after the run), and reads the WAL between the first and the last cycle with
 * pg_walinspect (PostgreSQL 15+): bytes per cycle by table (indexes under their table), by record type, and how
 * much of it is full-page images (a page's first change after a checkpoint; pg_walinspect's record_length includes
 * them; amortised, they depend on the checkpoint interval, not on the statements). Nothing else should write to the cluster meanwhile.
 */
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { buildApp } from '../src/app'
import { openDatabase } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { startEventWorker } from '../src/modules/events'
import { describe } from './generate'
import { opt } from './lib'

const url = opt('url', 'postgres://postgres@127.0.0.1:5432/vp_bench')
const cycles = Number(opt('cycles', '300'))

const admin = new pg.Client({ connectionString: url })
await admin.connect()
await admin.query('create extension if not exists pg_walinspect')
const g = await describe(url)
const database = await openDatabase({ databaseUrl: url, poolSize: 2, timezone: 'Asia/Shanghai' })
await migrate(database) // a database an older checkout's bench loaded
const app = await buildApp({
  database,
  jwtSecret: 'wal-bench-secret-wal-bench-secret-0123456789',
  rateLimitMax: 1e6,
  maxEventLoopDelayMs: 0,
  logger: { level: 'error' },
})
// As the server runs it: the dispatcher numbers each committed event for the feed (and would deliver webhooks).
const worker = startEventWorker(app)
await app.ready()

const lsn = async () =>
  (await admin.query<{ l: string }>('select pg_current_wal_lsn()::text as l')).rows[0]!.l
const cycle = async (i: number) => {
  const m = g.members[i % g.members.length]!
  const rewards = g.rewardsByCommunity.get(m.communityId)!
  const auth = `Bearer ${app.signAccessToken(m.userId)}`
  const created = await app.inject({
    method: 'POST',
    url: '/api/v1/redemptions',
    headers: { authorization: auth, 'idempotency-key': randomUUID() },
    payload: { memberId: m.memberId, rewardId: rewards[i % rewards.length]!, quantity: 1 },
  })
  if (created.statusCode !== 201) throw new Error(`createRedemption ${created.statusCode}: ${created.body}`)
  const mid = await lsn()
  const cancelled = await app.inject({
    method: 'POST',
    url: `/api/v1/redemptions/${created.json().id}/cancel`,
    headers: { authorization: auth },
    payload: {},
  })
  if (cancelled.statusCode !== 200)
    throw new Error(`cancelRedemption ${cancelled.statusCode}: ${cancelled.body}`)
  return mid
}

for (let i = 0; i < 30; i++) await cycle(i) // warm: plans, caches, the accounts' first full-page images
await admin.query('checkpoint')
for (let i = 0; i < 30; i++) await cycle(i + 30)
const start = await lsn()
const mids: string[] = []
for (let i = 0; i < cycles; i++) mids.push(await cycle(i + 60))
await worker.runNow() // the last events numbered
const end = await lsn()
await app.close()
await database.close()

const kb = (bytes: number) => (bytes / 1024 / cycles).toFixed(2)
const records = `select r.*, coalesce(c.relname, '(none)') as rel, coalesce(t.relname, c.relname, '(none)') as tbl
  from pg_get_wal_records_info($1, $2) r
  left join pg_class c on c.relfilenode = nullif(substring(r.block_ref from 'rel \\d+/\\d+/(\\d+)'), '')::oid
  left join pg_index i on i.indexrelid = c.oid left join pg_class t on t.oid = i.indrelid`
const total = (
  await admin.query<{ all: string; fpi: string; n: string }>(
    `select sum(record_length)::text as all, sum(fpi_length)::text as fpi, count(*)::text as n
     from pg_get_wal_records_info($1, $2)`,
    [start, end],
  )
).rows[0]!
console.log(
  `WAL per cycle over ${cycles} cycles: ${kb(Number(total.all))} kB (${(Number(total.n) / cycles).toFixed(1)} records; full-page images ${kb(Number(total.fpi))} kB)`,
)
const byTable = await admin.query<{ tbl: string; heap: string; idx: string; fpi: string; n: string }>(
  `select tbl, sum(case when rel = tbl then record_length - fpi_length else 0 end)::text as heap,
     sum(case when rel <> tbl then record_length - fpi_length else 0 end)::text as idx, sum(fpi_length)::text as fpi,
     count(*)::text as n
   from (${records}) x group by tbl order by sum(record_length) desc`,
  [start, end],
)
console.log(
  '\n| table | records/cycle | heap kB | its indexes kB | full-page images kB |\n|---|---|---|---|---|',
)
for (const r of byTable.rows)
  console.log(
    `| ${r.tbl} | ${(Number(r.n) / cycles).toFixed(1)} | ${kb(Number(r.heap))} | ${kb(Number(r.idx))} | ${kb(Number(r.fpi))} |`,
  )
const byType = await admin.query<{ t: string; bytes: string; n: string }>(
  `select resource_manager || '/' || record_type as t, sum(record_length - fpi_length)::text as bytes, count(*)::text as n
   from pg_get_wal_records_info($1, $2) group by 1 order by sum(record_length - fpi_length) desc limit 15`,
  [start, end],
)
console.log('\n| record type | records/cycle | kB/cycle (without images) |\n|---|---|---|')
for (const r of byType.rows)
  console.log(`| ${r.t} | ${(Number(r.n) / cycles).toFixed(1)} | ${kb(Number(r.bytes))} |`)
await admin.end()
