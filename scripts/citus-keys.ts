/**
 * What in today's schema would have to change to distribute it by community on Citus (issue 22, docs/scaling.md)?
 *
 * `npx tsx scripts/citus-keys.ts [postgres://.../postgres]` migrates a throw-away database `vp_citus_keys` (the
 * migrations/ of this tree and the repeatable SQL), reads its catalog and prints, per table, the class docs/scaling.md
 * gives it (distributed by community, reference, identity: distributed by user id), then every primary key, unique
 * index and foreign key with what Citus makes of it:
 * - a unique key or primary key of a distributed table must contain the distribution column (community_id): no
 *   table has one today, so each is listed;
 * - a foreign key between two distributed tables must join on the distribution column too (and they must be
 *   colocated); one from a distributed table to a reference table is fine; one from a reference table to a
 *   distributed one, or between two colocation groups (community and user), is not supported.
 * Default URL: TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/postgres. Drops the database afterwards.
 */
import pg from 'pg'
import { migrateUrl } from '../src/db/migrate'

export const REFERENCE = new Set(['org_units', 'rubrics', 'rubric_items', 'report_settings'])
export const IDENTITY = new Set([
  'users',
  'role_grants',
  'refresh_tokens',
  'auth_counters',
  'auth_failures',
  'auth_known_addresses',
])
/** Bookkeeping of this tree's tooling, not data of the service. */
const IGNORED = /^(__drizzle|schema_repeatables|bench_)/

type Cls = 'community' | 'reference' | 'identity'
const classOf = (t: string): Cls =>
  REFERENCE.has(t) ? 'reference' : IDENTITY.has(t) ? 'identity' : 'community'

async function main() {
  const base =
    process.argv[2] ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const url = new URL(base)
  url.pathname = '/vp_citus_keys'
  const admin = new pg.Client({ connectionString: base })
  await admin.connect()
  await admin.query('drop database if exists vp_citus_keys with (force)')
  await admin.query('create database vp_citus_keys')
  try {
    await migrateUrl(url.toString())
    const c = new pg.Client({ connectionString: url.toString() })
    await c.connect()
    const tables = (
      await c.query<{ t: string }>(
        `select table_name as t from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
      )
    ).rows
      .map((r) => r.t)
      .filter((t) => !IGNORED.test(t))
    const uniques = (
      await c.query<{ t: string; name: string; def: string; pk: boolean }>(
        `select t.relname as t, i.relname as name, pg_get_indexdef(x.indexrelid) as def, x.indisprimary as pk
           from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
           join pg_namespace n on n.oid = t.relnamespace
          where n.nspname = 'public' and x.indisunique order by 1, 2`,
      )
    ).rows
    const fks = (
      await c.query<{ t: string; name: string; ref: string; def: string }>(
        `select t.relname as t, k.conname as name, r.relname as ref, pg_get_constraintdef(k.oid) as def
           from pg_constraint k join pg_class t on t.oid = k.conrelid join pg_class r on r.oid = k.confrelid
           join pg_namespace n on n.oid = t.relnamespace
          where n.nspname = 'public' and k.contype = 'f' order by 1, 2`,
      )
    ).rows
    await c.end()

    const count: Record<string, number> = {}
    const bump = (k: string) => {
      count[k] = (count[k] ?? 0) + 1
    }
    console.log(
      '| table | class | unique keys without community_id | foreign keys and what Citus makes of them |',
    )
    console.log('|---|---|---|---|')
    for (const t of tables) {
      const cls = classOf(t)
      bump(`tables ${cls}`)
      const keys = uniques
        .filter((u) => u.t === t)
        .map((u) => {
          const cols = /\((.*?)\)(?: INCLUDE| WHERE|$)/.exec(u.def)?.[1] ?? u.def
          const where = / WHERE (.*)$/.exec(u.def)?.[1]
          if (cls === 'community') bump('unique keys to extend with community_id')
          return `${u.pk ? 'PK ' : ''}(${cols})${where ? ` where ${where}` : ''}`
        })
      const refs = fks
        .filter((f) => f.t === t)
        .map((f) => {
          const cols = /FOREIGN KEY \((.*?)\)/.exec(f.def)?.[1]
          const to = classOf(f.ref)
          let verdict: string
          if (cls === 'community' && to === 'community') verdict = 'add community_id to both sides'
          else if (to === 'reference') verdict = 'kept (to a reference table)'
          else if (cls === 'identity' && to === 'identity' && cols === 'user_id')
            verdict = 'kept (on the distribution column, user_id)'
          else if (cls === to) verdict = 'drop (not on the distribution column); checked by the service'
          else verdict = 'drop (across colocation groups); checked by the service'
          bump(`foreign keys: ${verdict}`)
          return `${cols} → ${f.ref}: ${verdict}`
        })
      console.log(
        `| ${t} | ${cls} | ${cls === 'community' ? keys.join('; ') || '—' : `(${keys.length}: unchanged)`} | ${refs.join('; ') || '—'} |`,
      )
    }
    console.log('\ncounts:')
    for (const [k, v] of Object.entries(count).sort()) console.log(`  ${k}: ${v}`)
  } finally {
    await admin.query('drop database if exists vp_citus_keys with (force)')
    await admin.end()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
