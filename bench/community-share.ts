/**
 * What share of the service's statements touch one community only? (issue 22, docs/scaling.md: the case for
 * distributing by community on Citus.)
 *
 * `npx tsx bench/community-share.ts [--port 4170] [--bench "--scale city --repeats 1 --seconds 2"] [--keep-cluster]
 *  [--examples]`; `--analyse DB_URL LOG_DIR` classifies a kept cluster's log again
 *
 * 1. starts a throw-away PostgreSQL cluster (initdb into a temp dir, port 4170, `log_statement=all` as jsonlog),
 * 2. runs `bench/run.ts` against it (default scale: 2,000 members, 200,000 entries; the server through tsx, its
 *    figures written to a temp file, not BENCHMARKS.md), keeping the database,
 * 3. maps every uuid the data holds to its community (a unit to the community at or above it, or ABOVE for a
 *    street, district, city or root; a member, account, transaction, redemption, reward, activity, claim, round ...
 *    to the community of its member or unit; users are not mapped: an actor's id does not say where the data is),
 * 4. reads every statement the server ran (application_name volunteer-points) with its parameters and classes it:
 *    control (BEGIN, COMMIT, SET ...), reference (reads only the org tree, rubrics, report settings: replicated
 *    tables on Citus), identity (users, grants, tokens, login counters: their own colocation group by user),
 *    one community (every mapped uuid in the text and parameters is of one community), several (uuids of two
 *    communities or of a unit above a community: a multi-node statement), or no key (nothing to route by),
 * 5. prints the counts per class and per statement (named statements by name, the others by their first words).
 *
 * A materialised path ('/root/…/branch/') counts as its last unit only. The uuids are the routing evidence: a
 * statement that names no id of any community (a count over a whole table) is "no key", not "one".
 * Needs initdb/pg_ctl (PG_BIN or /usr/lib/postgresql/<v>/bin) and taskset, like the bench. About 4 minutes at the
 * default scale (one community: every id maps to it, so use the city); at city scale about 20 minutes to load and run
 * on a busy 2-core machine and 4 more to classify. The last city figures: bench/results/community-share.txt.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { opt } from './lib'

const run = promisify(execFile)
const args = process.argv.slice(2)
const PORT = Number(opt('port', '4170'))
const BENCH_ARGS = opt('bench', '--repeats 1 --seconds 2').split(/\s+/).filter(Boolean)
const root = resolve(import.meta.dirname, '..')

const REFERENCE = new Set(['org_units', 'rubrics', 'rubric_items', 'report_settings'])
const IDENTITY = new Set([
  'users',
  'role_grants',
  'refresh_tokens',
  'auth_counters',
  'auth_failures',
  'auth_known_addresses',
])
const CONTROL = /^(begin|commit|rollback|savepoint|release|set|show|start transaction|deallocate|discard)\b/i
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const PATH = /(?:\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}){2,}\/?/gi

function pgBin(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN
  const base = '/usr/lib/postgresql'
  const v = readdirSync(base)
    .filter((d) => existsSync(join(base, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0]
  if (!v) throw new Error('no PostgreSQL binaries: set PG_BIN')
  return join(base, v, 'bin')
}

async function startCluster() {
  const bin = pgBin()
  const dir = mkdtempSync(join(tmpdir(), 'vp_share_pg_'))
  const data = join(dir, 'data')
  const asRoot = process.getuid?.() === 0
  const as = (cmd: string, a: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...a]) : run(join(bin, cmd), a)
  if (asRoot) await run('chown', ['postgres', dir])
  await as('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'])
  const options = [
    `-p ${PORT} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
    '-c shared_buffers=256MB -c logging_collector=on -c log_destination=jsonlog',
    `-c log_directory=${join(dir, 'log')} -c log_statement=all -c log_parameter_max_length=-1`,
    '-c log_rotation_size=0',
  ].join(' ')
  await as('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'postgres.log'), '-w', '-t', '60', 'start'])
  return {
    url: (db = 'postgres') => `postgres://postgres@127.0.0.1:${PORT}/${db}`,
    logDir: join(dir, 'log'),
    dir,
    async destroy() {
      await as('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function bench(url: string, out: string): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--runtime', 'tsx', '--out', out, ...BENCH_ARGS],
      {
        cwd: root,
        env: {
          ...process.env,
          BENCH_DATABASE_URL: url,
          BENCH_SERVER_PORT: '4171',
          BENCH_BASELINE_PORT: '4172',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    )
    child.on('exit', (code) => (code === 0 ? done() : fail(new Error(`bench exited ${code}`))))
  })
}

/** uuid -> community id, or 'ABOVE' for units above the community level. */
async function communityMap(url: string): Promise<Map<string, string>> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query(`
      create temporary table unit_map as
      select u.id, coalesce(
               (select a.id::text from org_units a
                 where a.id = any(string_to_array(trim(both '/' from u.path), '/')::uuid[]) and a.kind = 'community'),
               'ABOVE') as c
        from org_units u`)
    await c.query('alter table unit_map add primary key (id)')
    await c.query(`create temporary table member_map as
      select m.id, um.c from members m join unit_map um on um.id = m.org_unit_id`)
    await c.query('alter table member_map add primary key (id)')
    await c.query('analyze unit_map')
    await c.query('analyze member_map')
    await c.query(`create temporary table id_map (id uuid primary key, c text not null)`)
    await c.query(`insert into id_map select id, c::text from unit_map`)
    await c.query(`insert into id_map select id, c::text from member_map on conflict do nothing`)
    // every other table with a uuid id and a member or unit: the community of that member or unit
    const tables = (
      await c.query<{ t: string; member: boolean; unit: boolean }>(`
        select c.table_name as t,
               bool_or(c2.column_name = 'member_id') as member,
               bool_or(c2.column_name = 'org_unit_id') as unit
          from information_schema.columns c
          join information_schema.columns c2 on c2.table_name = c.table_name and c2.table_schema = c.table_schema
         where c.table_schema = 'public' and c.column_name = 'id' and c.data_type = 'uuid'
           and c.table_name not in ('org_units', 'members', 'users')
         group by c.table_name
        having bool_or(c2.column_name in ('member_id', 'org_unit_id'))`)
    ).rows
    for (const t of tables) {
      const via = [
        t.member ? `(select c from member_map where id = x.member_id)` : null,
        t.unit ? `(select c from unit_map where id = x.org_unit_id)` : null,
      ].filter(Boolean)
      await c.query(
        `insert into id_map select x.id, coalesce(${via.join(', ')})::text from ${t.t} x
          where coalesce(${via.join(', ')}) is not null on conflict do nothing`,
      )
    }
    const map = new Map<string, string>()
    for (const r of (await c.query<{ id: string; c: string }>('select id::text, c from id_map')).rows)
      map.set(r.id, r.c)
    return map
  } finally {
    await c.end()
  }
}

type Class = 'control' | 'reference' | 'identity' | 'one community' | 'several' | 'no key'

function classify(text: string, detail: string, map: Map<string, string>): Class {
  const sql = text.replace(/^execute [^:]*:\s*|^statement:\s*/i, '').trim()
  if (CONTROL.test(sql)) return 'control'
  const tables = new Set(
    [...sql.matchAll(/\b(?:from|join|into|update)\s+(?:only\s+)?"?([a-z_]+)"?/gi)].map((m) =>
      m[1]!.toLowerCase(),
    ),
  )
  const isFunctionCall = /^select\s+[a-z_]+\(/i.test(sql) && tables.size === 0
  if (!isFunctionCall && tables.size > 0 && [...tables].every((t) => REFERENCE.has(t))) return 'reference'
  if (!isFunctionCall && tables.size > 0 && [...tables].every((t) => IDENTITY.has(t) || REFERENCE.has(t)))
    return 'identity'
  const both = `${sql}\n${detail}`.replace(PATH, (p) => p.match(UUID)!.pop()!)
  const communities = new Set<string>()
  for (const id of both.match(UUID) ?? []) {
    const c = map.get(id.toLowerCase())
    if (c) communities.add(c)
  }
  if (communities.has('ABOVE') || communities.size > 1) return 'several'
  if (communities.size === 1) return 'one community'
  return 'no key'
}

/** A statement's group: its name when it is a named prepared statement, else its first words. */
function groupOf(message: string): string {
  const named = /^execute ([^<][^:]*):/.exec(message)
  const sql = message
    .replace(/^execute [^:]*:\s*|^statement:\s*/i, '')
    .replace(/\s+/g, ' ')
    .trim()
  if (named) return `${named[1]}: ${sql.slice(0, 60)}`
  return sql.slice(0, 90)
}

/** Classifies every statement of the server in the jsonlog files of `logDir` against the data at `dbUrl`. */
async function analyse(dbUrl: string, logDir: string) {
  const map = await communityMap(dbUrl)
  const counts = new Map<Class, number>()
  const groups = new Map<string, Map<Class, number>>()
  const examples = new Map<string, string>()
  let total = 0
  for (const file of readdirSync(logDir).filter((f) => f.endsWith('.json'))) {
    for (const line of readFileSync(join(logDir, file), 'utf8').split('\n')) {
      if (!line) continue
      const entry = JSON.parse(line) as { message?: string; detail?: string; application_name?: string }
      if (entry.application_name !== 'volunteer-points' || !entry.message) continue
      if (!/^(execute|statement)/.test(entry.message)) continue
      const cls = classify(entry.message, entry.detail ?? '', map)
      total++
      counts.set(cls, (counts.get(cls) ?? 0) + 1)
      const g = groupOf(entry.message)
      const per = groups.get(g) ?? new Map<Class, number>()
      per.set(cls, (per.get(cls) ?? 0) + 1)
      groups.set(g, per)
      if (cls === 'several' && !examples.has(g))
        examples.set(g, `${entry.message.slice(0, 300)}\n      ${(entry.detail ?? '').slice(0, 600)}`)
    }
  }
  const pct = (n: number, of = total) => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`
  const routed = total - (counts.get('control') ?? 0)
  console.log(`\nstatements of the server: ${total} (bench ${BENCH_ARGS.join(' ')})`)
  for (const [cls, n] of [...counts].sort((x, y) => y[1] - x[1]))
    console.log(
      `  ${cls.padEnd(14)} ${String(n).padStart(8)}  ${pct(n)} of all, ${cls === 'control' ? '-' : pct(n, routed)} of the others`,
    )
  console.log('\nper statement (count, classes):')
  for (const [g, per] of [...groups].sort((x, y) => sum(y[1]) - sum(x[1])).slice(0, 50))
    console.log(
      `  ${String(sum(per)).padStart(8)}  ${[...per]
        .map(([c, n]) => `${c} ${n}`)
        .join(', ')
        .padEnd(40)}  ${g}`,
    )
  if (args.includes('--examples')) {
    console.log('\nan example of each statement classed several:')
    for (const [g, e] of examples) console.log(`  ${g}\n      ${e}`)
  }
}

async function main() {
  // --analyse DB_URL LOG_DIR: classify the log of an earlier --keep-cluster run again
  const again = args.indexOf('--analyse')
  if (again >= 0) return analyse(args[again + 1]!, args[again + 2]!)
  const cluster = await startCluster()
  const database = BENCH_ARGS.join(' ').includes('--scale city') ? 'vp_bench_city' : 'vp_bench'
  try {
    const out = join(mkdtempSync(join(tmpdir(), 'vp_share_')), 'BENCHMARKS.md')
    writeFileSync(out, '')
    await bench(cluster.url(), out)
    await analyse(cluster.url(database), cluster.logDir)
  } finally {
    if (args.includes('--keep-cluster'))
      console.log(
        `\nkept: --analyse ${cluster.url(database)} ${cluster.logDir}  (stop: pg_ctl -D ${cluster.dir}/data stop)`,
      )
    else await cluster.destroy()
  }
}

const sum = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0)

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
