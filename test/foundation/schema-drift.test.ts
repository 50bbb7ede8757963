import { execFile } from 'node:child_process'
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { Column, is, SQL } from 'drizzle-orm'
import { toSnakeCase } from 'drizzle-orm/casing'
import { getTableConfig, type PgColumn, PgTable } from 'drizzle-orm/pg-core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrationsFolder } from '../../src/db/migrate'
import { INDEX_INCLUDES, UNLOGGED_TABLES } from '../../src/db/schema/sql-only'
import { testDatabaseUrl } from '../helpers/db'

/**
 * The TypeScript schema (src/db/schema/*.ts) against what the migrations make of an empty database (this file's
 * database is a clone of the template migrate() built for this run). A column, index, CHECK, key or table added
 * by a migration and not declared in the schema, or declared and never migrated, fails here by name.
 *
 * What drizzle cannot say (INCLUDE columns of an index, UNLOGGED) is listed in src/db/schema/sql-only.ts and held
 * against the database here too. `drizzle-kit generate` staying silent (no new migration) is the other half: it
 * diffs the schema against migrations/meta's newest snapshot, which is this schema.
 */

const schemaFolder = join(import.meta.dirname, '..', '..', 'src', 'db', 'schema')

let client: pg.Client
let declared: Map<string, TableShape>
let migrated: Map<string, TableShape>

beforeAll(async () => {
  client = new pg.Client({ connectionString: await testDatabaseUrl() })
  await client.connect()
  declared = await declaredTables()
  migrated = await migratedTables(client)
})
afterAll(() => client.end())

interface TableShape {
  /** name: "type not null|null default|-" */
  columns: Record<string, string>
  /** Indexes that back no constraint, name: "unique? (keys) include (cols) where?" */
  indexes: Record<string, string>
  primaryKey: string | null
  uniques: Record<string, string>
  checks: string[]
  /** "(cols) -> table (cols) on delete x", sorted: hand-written migrations name them their own way. */
  foreignKeys: string[]
  unlogged: boolean
}

/** Every PgTable exported by every file of src/db/schema, as the database should hold it. */
async function declaredTables(): Promise<Map<string, TableShape>> {
  const tables = new Map<string, TableShape>()
  for (const file of readdirSync(schemaFolder).filter((f) => f.endsWith('.ts'))) {
    const module = (await import(join(schemaFolder, file))) as Record<string, unknown>
    for (const value of Object.values(module)) {
      if (!is(value, PgTable)) continue
      const config = getTableConfig(value)
      if (tables.has(config.name)) continue
      tables.set(config.name, declaredShape(config))
    }
  }
  return tables
}

/** The column's name in the database: the project declares columns by key with casing 'snake_case'. */
function columnName(column: PgColumn): string {
  return column.keyAsName ? toSnakeCase(column.name) : column.name
}

function declaredShape(config: ReturnType<typeof getTableConfig>): TableShape {
  const table = config.name
  const columns: Record<string, string> = {}
  const uniques: Record<string, string> = {}
  let primaryKey: string | null = null
  for (const column of config.columns) {
    const name = columnName(column)
    const notNull = column.notNull || column.primary
    const hasDefault =
      column.hasDefault || column.generated !== undefined || column.generatedIdentity !== undefined
    columns[name] = `${column.getSQLType()} ${notNull ? 'not null' : 'null'} ${hasDefault ? 'default' : '-'}`
    if (column.primary) primaryKey = keyShape(`${table}_pkey`, [name])
    if (column.isUnique) {
      const uniqueName = column.uniqueName ?? `${table}_${name}_unique`
      uniques[uniqueName] = keyShape(uniqueName, [name]).slice(uniqueName.length + 1)
    }
  }
  for (const pk of config.primaryKeys) {
    // drizzle-kit names an unnamed composite key after the columns' database names (getName() uses the keys).
    const columns = pk.columns.map(columnName)
    primaryKey = keyShape(pk.name ?? `${table}_${columns.join('_')}_pk`, columns)
  }
  for (const uq of config.uniqueConstraints) {
    uniques[uq.getName()!] = keyShape(uq.getName()!, uq.columns.map(columnName)).slice(
      uq.getName()!.length + 1,
    )
  }
  const indexes: Record<string, string> = {}
  for (const index of config.indexes) {
    const { name, columns: keys, unique, where } = index.config
    if (!name) throw new Error(`${table}: an index without a name cannot be compared; name it`)
    const keyNames = keys.map((k) => (is(k, SQL) ? sqlKey(k) : columnName(k as PgColumn)))
    const include = INDEX_INCLUDES[name]
    indexes[name] = indexShape(unique, keyNames, include ?? [], where !== undefined)
  }
  return {
    columns,
    indexes,
    primaryKey,
    uniques,
    checks: config.checks.map((c) => c.name).sort(),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference()
        const foreignTable = getTableConfig(ref.foreignTable).name
        return `(${ref.columns.map(columnName).join(', ')}) -> ${foreignTable} (${ref.foreignColumns
          .map(columnName)
          .join(', ')}) on delete ${fk.onDelete ?? 'no action'}`
      })
      .sort(),
    unlogged: UNLOGGED_TABLES.includes(table),
  }
}

/**
 * An index key written as SQL: the column it names (org_units_path_idx's `path text_pattern_ops`, the `(kind)` of
 * org_units_one_root_uq), which is what the catalog shows; a key over several columns or none is an expression.
 */
function sqlKey(key: SQL): string {
  const columns = key.queryChunks.filter((chunk) => is(chunk, Column)) as PgColumn[]
  return columns.length === 1 ? columnName(columns[0]!) : 'expr'
}

/** A primary key or unique constraint: "name (cols)", with the INCLUDE columns of its index if it has any. */
function keyShape(
  name: string,
  columns: string[],
  include: readonly string[] = INDEX_INCLUDES[name] ?? [],
): string {
  return `${name} (${columns.join(', ')})${include.length ? ` include (${include.join(', ')})` : ''}`
}

function indexShape(unique: boolean, keys: string[], include: readonly string[], partial: boolean): string {
  return [
    unique ? 'unique' : 'index',
    `(${keys.join(', ')})`,
    include.length ? `include (${include.join(', ')})` : '',
    partial ? 'where' : '',
  ]
    .filter(Boolean)
    .join(' ')
}

const ON_DELETE: Record<string, string> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
}

/** The public tables of the migrated database, read from pg_catalog (drizzle's own bookkeeping schema aside). */
async function migratedTables(c: pg.Client): Promise<Map<string, TableShape>> {
  const tables = new Map<string, TableShape>()
  const { rows: rels } = await c.query<{ name: string; persistence: string }>(
    `select relname as name, relpersistence as persistence from pg_class
      where relnamespace = 'public'::regnamespace and relkind in ('r', 'p') order by relname`,
  )
  for (const r of rels) {
    tables.set(r.name, {
      columns: {},
      indexes: {},
      primaryKey: null,
      uniques: {},
      checks: [],
      foreignKeys: [],
      unlogged: r.persistence === 'u',
    })
  }
  const { rows: cols } = await c.query<{
    table: string
    name: string
    type: string
    not_null: boolean
    has_default: boolean
  }>(
    `select c.relname as table, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
            a.attnotnull as not_null, (a.atthasdef or a.attidentity <> '') as has_default
       from pg_attribute a join pg_class c on c.oid = a.attrelid
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
        and a.attnum > 0 and not a.attisdropped`,
  )
  for (const col of cols) {
    tables.get(col.table)!.columns[col.name] =
      `${col.type} ${col.not_null ? 'not null' : 'null'} ${col.has_default ? 'default' : '-'}`
  }
  const { rows: cons } = await c.query<{
    table: string
    name: string
    type: string
    columns: string[]
    foreign_table: string | null
    foreign_columns: string[] | null
    on_delete: string
  }>(
    `select c.relname as table, k.conname as name, k.contype as type,
            array(select a.attname from unnest(k.conkey) with ordinality u(n, i)
                    join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.n order by u.i)::text[] as columns,
            f.relname as foreign_table,
            array(select a.attname from unnest(k.confkey) with ordinality u(n, i)
                    join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.n order by u.i)::text[]
              as foreign_columns,
            k.confdeltype as on_delete
       from pg_constraint k join pg_class c on c.oid = k.conrelid left join pg_class f on f.oid = k.confrelid
      where c.relnamespace = 'public'::regnamespace`,
  )
  const { rows: idx } = await c.query<{
    table: string
    name: string
    unique: boolean
    keys: string[]
    include: string[]
    partial: boolean
    constraint: boolean
  }>(
    `select t.relname as table, ic.relname as name, i.indisunique as unique,
            array(select case when i.indkey[n - 1] = 0 then 'expr'
                              else (select attname from pg_attribute
                                     where attrelid = i.indrelid and attnum = i.indkey[n - 1]) end
                    from generate_series(1, i.indnkeyatts) n order by n)::text[] as keys,
            array(select (select attname from pg_attribute where attrelid = i.indrelid and attnum = i.indkey[n - 1])
                    from generate_series(i.indnkeyatts + 1, i.indnatts) n order by n)::text[] as include,
            i.indpred is not null as partial,
            exists (select 1 from pg_constraint k where k.conindid = i.indexrelid and k.contype in ('p', 'u'))
              as constraint
       from pg_index i join pg_class ic on ic.oid = i.indexrelid join pg_class t on t.oid = i.indrelid
      where t.relnamespace = 'public'::regnamespace`,
  )
  const includes = new Map<string, string[]>()
  for (const i of idx) {
    // A primary key's or unique constraint's index is compared as the constraint, INCLUDE columns and all.
    if (i.constraint) includes.set(i.name, i.include)
    else tables.get(i.table)!.indexes[i.name] = indexShape(i.unique, i.keys, i.include, i.partial)
  }
  for (const k of cons) {
    const t = tables.get(k.table)!
    const cols = `(${k.columns.join(', ')})`
    if (k.type === 'p') t.primaryKey = keyShape(k.name, k.columns, includes.get(k.name) ?? [])
    else if (k.type === 'u')
      t.uniques[k.name] = keyShape(k.name, k.columns, includes.get(k.name) ?? []).slice(k.name.length + 1)
    else if (k.type === 'c') t.checks.push(k.name)
    else if (k.type === 'f')
      t.foreignKeys.push(
        `${cols} -> ${k.foreign_table} (${k.foreign_columns!.join(', ')}) on delete ${ON_DELETE[k.on_delete]}`,
      )
  }
  for (const t of tables.values()) {
    t.checks.sort()
    t.foreignKeys.sort()
  }
  return tables
}

/** One line per difference: `table.part.name: database <what the migrations made>, schema <what is declared>`. */
function differences(table: string, database: TableShape, schema: TableShape): string[] {
  const lines: string[] = []
  const show = (v: unknown) => (v === undefined || v === null ? '(none)' : JSON.stringify(v))
  const compare = (part: string, db: Record<string, unknown>, ts: Record<string, unknown>) => {
    for (const key of [...new Set([...Object.keys(db), ...Object.keys(ts)])].sort()) {
      if (JSON.stringify(db[key]) !== JSON.stringify(ts[key]))
        lines.push(`${table}.${part}.${key}: database ${show(db[key])}, schema ${show(ts[key])}`)
    }
  }
  const asSet = (items: string[]) => Object.fromEntries(items.map((i) => [i, true]))
  compare('columns', database.columns, schema.columns)
  compare('indexes', database.indexes, schema.indexes)
  compare('uniques', database.uniques, schema.uniques)
  compare('checks', asSet(database.checks), asSet(schema.checks))
  compare('foreignKeys', asSet(database.foreignKeys), asSet(schema.foreignKeys))
  compare(
    '',
    { primaryKey: database.primaryKey, unlogged: database.unlogged },
    {
      primaryKey: schema.primaryKey,
      unlogged: schema.unlogged,
    },
  )
  return lines
}

describe('the drizzle schema is the migrated database', () => {
  it('declares every table the migrations create, and no other', () => {
    expect([...declared.keys()].sort()).toEqual([...migrated.keys()].sort())
  })

  it('declares each table as migrated: columns, keys, indexes, CHECKs, foreign keys, UNLOGGED', () => {
    const drift: string[] = []
    for (const [name, shape] of declared) {
      const actual = migrated.get(name)
      if (actual) drift.push(...differences(name, actual, shape))
    }
    expect(drift).toEqual([])
  })

  it('lists INCLUDE columns only for indexes and keys the schema declares', () => {
    const named = new Set(
      [...declared.values()].flatMap((t) => [
        ...Object.keys(t.indexes),
        ...Object.keys(t.uniques),
        ...(t.primaryKey ? [t.primaryKey.split(' ')[0]!] : []),
      ]),
    )
    expect(Object.keys(INDEX_INCLUDES).filter((name) => !named.has(name))).toEqual([])
  })
})

describe('migrations/meta is the drizzle schema', () => {
  /**
   * drizzle-kit generate diffs the schema against the newest snapshot in migrations/meta: it must find nothing,
   * or the next `npm run db:generate` would put someone else's forgotten change (or a re-creation of what a
   * hand-written migration already did) into an unrelated migration. Run on a copy of migrations/, so a failure
   * writes nothing into the tree.
   */
  it('drizzle-kit generate finds nothing to migrate', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vp-drizzle-kit-'))
    try {
      cpSync(migrationsFolder, join(dir, 'migrations'), { recursive: true })
      writeFileSync(
        join(dir, 'drizzle.config.json'),
        // As drizzle.config.ts, but writing into the copy.
        JSON.stringify({
          dialect: 'postgresql',
          schema: join(schemaFolder, '*.ts'),
          out: './migrations',
          casing: 'snake_case',
        }),
      )
      // The package's exports hide bin.cjs (npx drizzle-kit's target); it sits next to the main entry.
      const bin = join(dirname(createRequire(import.meta.url).resolve('drizzle-kit')), 'bin.cjs')
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [bin, 'generate', '--config', 'drizzle.config.json'],
        {
          cwd: dir,
        },
      )
      const before = new Set(readdirSync(migrationsFolder))
      // What it would have written, word for word: the drift to declare (or to migrate).
      const written = readdirSync(join(dir, 'migrations'))
        .filter((f) => f.endsWith('.sql') && !before.has(f))
        .map((f) => ({ [f]: readFileSync(join(dir, 'migrations', f), 'utf8') }))
      expect(written).toEqual([])
      expect(stdout).toContain('No schema changes')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
