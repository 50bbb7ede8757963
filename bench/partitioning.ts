/**
 * Does PostgreSQL's declarative time partitioning help retention and vacuum of the append-only tables (issue 22)?
 * `npx tsx bench/partitioning.ts [--rows N] [--months M] [--drop-months K] [--keep]` builds a throw-away database
 * `vp_partition_probe` at BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) with two copies of
 * each of two table shapes, one plain and one partitioned by month, holding the same rows:
 *
 * - ledger: the columns and indexes of ledger_entries (a bigint identity, transaction and account uuids, amounts,
 *   account_version with UNIQUE (account_id, account_version), the state after the entry) plus the created_at a
 *   time partitioning would need (entries have none today: their time is their transaction's);
 * - audit: the columns and indexes of audit_events (uuid v7 id, at, target, path, jsonb after) — the outbox (events)
 *   has the same shape and the same questions.
 *
 * Rows (--rows, default 5 M entries; --audit-rows, default half as many) are spread evenly over M months (default 30, 2.5 years); each account's versions rise with time. For each
 * shape it measures load and index build, sizes, removing the oldest K months (default 3, a tenth) by DELETE then
 * VACUUM against DROP of their partitions (time and WAL, pg_current_wal_lsn() around each: an upper bound, other
 * writers on the cluster add to it), a routine VACUUM after one more month is appended, a member's ledger page
 * (the newest 50 entries of an account, no time predicate) over 200 accounts, and whether the unique keys survive.
 * Prints one JSON object; docs/scaling.md quotes it. The database is dropped at the end unless --keep.
 */
import pg from 'pg'

const args = process.argv.slice(2)
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : dflt
}
const ROWS = opt('rows', 5_000_000)
const MONTHS = opt('months', 30)
const DROP_MONTHS = opt('drop-months', 3)
const ACCOUNTS = opt('accounts', 300_000)
/** Audit rows are about six times wider than entries: half as many by default. */
const AUDIT_ROWS = opt('audit-rows', ROWS / 2)
const BASE = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DB = 'vp_partition_probe'
const START = '2024-01-01'

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d

async function main() {
  const admin = new pg.Client({ connectionString: BASE })
  await admin.connect()
  await admin.query(`drop database if exists ${DB} with (force)`)
  await admin.query(`create database ${DB}`)
  const c = new pg.Client({ connectionString: withDatabase(BASE, DB) })
  await c.connect()
  await c.query(`set maintenance_work_mem = '256MB'`)
  const q = (text: string) => c.query(text)
  const timed = async (text: string) => {
    const t = performance.now()
    await q(text)
    return round((performance.now() - t) / 1000, 3)
  }
  const lsn = async () => (await q('select pg_current_wal_lsn()::text as l')).rows[0].l as string
  const walMb = async (from: string) =>
    round(
      Number((await q(`select pg_wal_lsn_diff(pg_current_wal_lsn(), '${from}') as d`)).rows[0].d) / 2 ** 20,
      1,
    )
  const sizeMb = async (table: string) => {
    const r = await q(`
      with t as (select relid from pg_partition_tree('${table}') union select '${table}'::regclass)
      select sum(pg_table_size(relid)) as heap,
             sum(pg_indexes_size(relid)) as idx
        from t`)
    return {
      tableMb: round(Number(r.rows[0].heap) / 2 ** 20, 0),
      indexesMb: round(Number(r.rows[0].idx) / 2 ** 20, 0),
    }
  }
  const monthStart = (m: number) => `(date '${START}' + interval '${m} months')::timestamptz`

  const out: Record<string, unknown> = {
    at: new Date().toISOString(),
    command: `npx tsx bench/partitioning.ts ${args.join(' ')}`.trim(),
    rows: ROWS,
    auditRows: AUDIT_ROWS,
    months: MONTHS,
    dropMonths: DROP_MONTHS,
    accounts: ACCOUNTS,
    server: (await q('show server_version')).rows[0].server_version,
  }

  // ------------------------------------------------------------------ the two shapes
  const shapes = {
    ledger: {
      columns: `id bigint not null, transaction_id uuid not null, account_id uuid not null, amount bigint not null,
                held_change bigint not null default 0, account_version bigint, balance_after bigint,
                held_after bigint, created_at timestamptz not null`,
      // i: 0..rows-1 spread evenly over the months; account i % accounts, its version rises with i
      select: (from: string, to: string, rowsPerMonth: number) => `
        select i, md5('t' || (i / 2))::uuid, md5('a' || (i % ${ACCOUNTS}))::uuid,
               (100 + i % 1900)::bigint, 0, (i / ${ACCOUNTS}) + 1, (i / ${ACCOUNTS}) * 1000, 0,
               ${monthStart(0)} + (i::float8 / ${rowsPerMonth}) * interval '1 month'
          from generate_series(${from}::bigint, ${to}::bigint - 1) i`,
      key: 'created_at',
      pk: { plain: '(id)', partitioned: '(id, created_at)' },
      indexes: ['(account_id)', '(transaction_id)'],
      unique: '(account_id, account_version)',
    },
    audit: {
      columns: `id uuid not null, at timestamptz not null, actor_user_id uuid, action text not null,
                target_type text not null, target_id uuid not null, org_unit_id uuid, org_path text,
                before jsonb, after jsonb`,
      select: (from: string, to: string, rowsPerMonth: number) => `
        select md5('e' || i)::uuid, ${monthStart(0)} + (i::float8 / ${rowsPerMonth}) * interval '1 month',
               md5('u' || (i % 5000))::uuid, 'redemption.create', 'redemption', md5('r' || i)::uuid,
               md5('o' || (i % 12000))::uuid, '/root/c' || (i % 150) || '/s' || (i % 600) || '/' || (i % 3000) || '/',
               null,
               jsonb_build_object('id', md5('r' || i)::uuid, 'memberId', md5('a' || (i % ${ACCOUNTS}))::uuid,
                                  'status', 'reserved', 'quantity', 1, 'amount', '20.00')
          from generate_series(${from}::bigint, ${to}::bigint - 1) i`,
      key: 'at',
      pk: { plain: '(id)', partitioned: '(id, at)' },
      indexes: ['(at, id)', '(target_type, target_id)'],
      unique: '(id)',
    },
  }

  for (const [name, s] of Object.entries(shapes)) {
    const rowsOf = name === 'audit' ? AUDIT_ROWS : ROWS
    const rowsPerMonth = rowsOf / MONTHS
    const res: Record<string, unknown> = {}
    out[name] = res
    const plain = `${name}_plain`
    const part = `${name}_part`
    await q(`create table ${plain} (${s.columns})`)
    await q(`create table ${part} (${s.columns}) partition by range (${s.key})`)
    for (let m = 0; m <= MONTHS; m++)
      await q(
        `create table ${part}_m${String(m).padStart(3, '0')} partition of ${part}
           for values from (${monthStart(m)}) to (${monthStart(m + 1)})`,
      )
    const loadPlain = await timed(`insert into ${plain} ${s.select('0', String(rowsOf), rowsPerMonth)}`)
    const loadPart = await timed(`insert into ${part} select * from ${plain}`)
    // indexes after the load (one sort each), as the bench loads the ledger
    let idxPlain = await timed(`alter table ${plain} add primary key ${s.pk.plain}`)
    let idxPart = await timed(`alter table ${part} add primary key ${s.pk.partitioned}`)
    for (const cols of s.indexes) {
      idxPlain += await timed(`create index on ${plain} ${cols}`)
      idxPart += await timed(`create index on ${part} ${cols}`)
    }
    if (s.unique !== '(id)') idxPlain += await timed(`create unique index on ${plain} ${s.unique}`)
    // the unique key of today's schema on the partitioned table: PostgreSQL refuses it
    let refused: string | null = null
    try {
      await q(`create unique index on ${part} ${s.unique}`)
    } catch (err) {
      refused = (err as Error).message
    }
    if (s.unique !== '(id)') idxPart += await timed(`create index on ${part} ${s.unique}`)
    await q(`vacuum analyze ${plain}`)
    await q(`vacuum analyze ${part}`)
    res.load = {
      plainS: loadPlain,
      partitionedS: loadPart,
      indexesPlainS: round(idxPlain, 3),
      indexesPartitionedS: round(idxPart, 3),
    }
    res.uniqueKeyOnPartitioned = refused ?? 'accepted'
    res.sizeBefore = { plain: await sizeMb(plain), partitioned: await sizeMb(part) }

    if (name === 'ledger') {
      // a member's ledger page: the newest 50 entries of an account, no time predicate (every partition probed)
      const accounts = (
        await q(`select md5('a' || (g * 1499 % ${ACCOUNTS}))::uuid as a from generate_series(1, 200) g`)
      ).rows.map((r) => r.a as string)
      const page = async (table: string) => {
        let ms = 0
        let buffers = 0
        for (const a of accounts) {
          const plan = (
            await q(
              `explain (analyze, buffers, format json) select * from ${table} where account_id = '${a}'
                order by account_version desc limit 50`,
            )
          ).rows[0]['QUERY PLAN'][0]
          ms += plan['Execution Time']
          buffers += plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks']
        }
        return {
          msPerPage: round(ms / accounts.length, 3),
          buffersPerPage: round(buffers / accounts.length, 1),
        }
      }
      await page(plain) // warm both
      await page(part)
      res.ledgerPage = { plain: await page(plain), partitioned: await page(part) }
    }

    // ------------------------------------------------ retention: the oldest DROP_MONTHS months
    const cutoff = monthStart(DROP_MONTHS)
    await q('checkpoint')
    let from = await lsn()
    const deleteS = await timed(`delete from ${plain} where ${s.key} < ${cutoff}`)
    const deleteWal = await walMb(from)
    await q('checkpoint')
    from = await lsn()
    const vacuumAfterDeleteS = await timed(`vacuum ${plain}`)
    const vacuumWal = await walMb(from)
    await q('checkpoint')
    from = await lsn()
    let dropS = 0
    for (let m = 0; m < DROP_MONTHS; m++) {
      const child = `${part}_m${String(m).padStart(3, '0')}`
      dropS += await timed(`alter table ${part} detach partition ${child}`)
      dropS += await timed(`drop table ${child}`)
    }
    const dropWal = await walMb(from)
    res.retention = {
      rowsRemoved: Math.round(rowsPerMonth * DROP_MONTHS),
      plain: { deleteS, deleteWalMb: deleteWal, vacuumS: vacuumAfterDeleteS, vacuumWalMb: vacuumWal },
      partitioned: { detachAndDropS: round(dropS, 3), walMb: dropWal },
      sizeAfter: { plain: await sizeMb(plain), partitioned: await sizeMb(part) },
    }

    // ------------------------------------------------ routine vacuum after one more month appended
    const next = s.select(String(rowsOf), String(Math.round(rowsOf + rowsPerMonth)), rowsPerMonth)
    await q(`insert into ${plain} ${next}`)
    await q(`insert into ${part} ${next}`)
    res.routineVacuum = {
      plainS: await timed(`vacuum ${plain}`),
      partitionedS: await timed(`vacuum ${part}`),
      // what autovacuum would do on the partitioned table: only the partition that changed
      newestPartitionOnlyS: await timed(`vacuum ${part}_m${String(MONTHS).padStart(3, '0')}`),
    }
    // an aggressive (anti-wraparound) vacuum of everything, which a billion-row table meets every
    // autovacuum_freeze_max_age transactions: the whole plain table at once against one partition at a time
    res.freeze = {
      plainS: await timed(`vacuum (freeze) ${plain}`),
      partitionedAllS: await timed(`vacuum (freeze) ${part}`),
    }
    await q(`drop table ${plain}`)
    await q(`drop table ${part}`)
    console.error(`${name}: ${JSON.stringify(res)}`)
  }

  await c.end()
  if (!args.includes('--keep')) await admin.query(`drop database if exists ${DB} with (force)`)
  await admin.end()
  console.log(JSON.stringify(out, null, 2))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
