import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Repeatable SQL: the functions, triggers and views of the schema, one file per module in src/db/sql/<module>.sql
 * (next to src/db/schema/<module>.ts, which holds the same module's tables). A migration keeps tables and data
 * only; a function is defined in exactly one place, its module's file, and edited there in place, so a change to
 * a function is a diff of that function instead of a copy of it in the next migration.
 *
 * Why src/db/sql/<module>.sql rather than src/modules/<module>/sql/: the tables they guard are declared per
 * module under src/db/schema/ already, the objects often span modules (the report rollups are triggers on
 * ledger, member and activity tables), and one folder is one thing to find from the bundle and to ship
 * (the Dockerfile copies src/db/sql next to dist/, as it copies migrations/).
 *
 * migrate() applies them after drizzle's journal, in one transaction, under the migration lock (pg):
 * - in file-name order (plpgsql bodies bind at call time, so order matters only for SQL-language functions and
 *   views that read another file's objects, and for triggers declared on another file's functions: such a file
 *   must sort after the one it reads; _shared.sql, the functions every file's triggers use, sorts first);
 * - a file runs when its text changed since it last ran (a sha256 per file in drizzle.schema_repeatables), when
 *   it is new, or when an object it defines is missing (a migration dropped a view to change a column under it:
 *   the file puts it back, no bookkeeping needed in the migration);
 * - a file runs whole, so every statement in it must be safe to run again: CREATE OR REPLACE FUNCTION / VIEW,
 *   DROP TRIGGER IF EXISTS before CREATE TRIGGER, and any data step that must follow a change (reports.sql
 *   rebuilds the rollups) at its end. Renaming or dropping an object takes an explicit DROP in the file.
 *
 * What stays in migrations: a function that a table's definition itself calls (a column default, a CHECK, an
 * index expression), because the table must be creatable when its migration runs, before any repeatable file.
 * Today that is uuid_v7() (migration 0027, the default of time-ordered ids); changing it takes a new migration.
 * test/foundation/repeatable.test.ts holds both rules against the migrated template database.
 */

/** Where the repeatable files are: the nearest src/db/sql above this module (tsx: src/db/, bundle: dist/). */
export const repeatableFolder = findUp(dirname(fileURLToPath(import.meta.url)), join('src', 'db', 'sql'))

function findUp(from: string, relative: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, relative)
    if (existsSync(candidate)) return candidate
    if (dirname(dir) === dir) throw new Error(`no ${relative} in ${from} or above`)
  }
}

export interface RepeatableFile {
  /** The module: the file name without .sql. */
  name: string
  text: string
  hash: string
  /** What the file creates, as `function:name`, `trigger:name on table`, `view:name`. */
  defines: string[]
}

export function readRepeatables(folder = repeatableFolder): RepeatableFile[] {
  return readdirSync(folder)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => {
      const text = readFileSync(join(folder, f), 'utf8')
      return {
        name: f.slice(0, -'.sql'.length),
        text,
        hash: createHash('sha256').update(text).digest('hex'),
        defines: definedObjects(text),
      }
    })
}

/** The functions, triggers and views a SQL text creates (line comments aside), in the catalog's naming. */
export function definedObjects(text: string): string[] {
  const code = text.replace(/--[^\n]*/g, '')
  const found = new Set<string>()
  for (const m of code.matchAll(/\bCREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\s+"?(\w+)"?\s*\(/gi))
    found.add(`function:${m[1]!.toLowerCase()}`)
  for (const m of code.matchAll(
    /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:CONSTRAINT\s+)?TRIGGER\s+"?(\w+)"?[\s\S]*?\bON\s+"?(\w+)"?/gi,
  ))
    found.add(`trigger:${m[1]!.toLowerCase()} on ${m[2]!.toLowerCase()}`)
  for (const m of code.matchAll(/\bCREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+"?(\w+)"?/gi))
    found.add(`view:${m[1]!.toLowerCase()}`)
  return [...found].sort()
}

/** The functions, triggers and views of the public schema, named as definedObjects() names them. */
export const CATALOG_OBJECTS = `
  select 'function:' || p.proname as object from pg_proc p where p.pronamespace = 'public'::regnamespace
  union
  select 'trigger:' || t.tgname || ' on ' || c.relname from pg_trigger t join pg_class c on c.oid = t.tgrelid
   where c.relnamespace = 'public'::regnamespace and not t.tgisinternal
  union
  select 'view:' || c.relname from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'`

/** One connection, either driver: `query` runs one parameterised statement, `exec` a script of several. */
export interface SqlSession {
  query<T>(text: string, params?: unknown[]): Promise<T[]>
  exec(text: string): Promise<void>
}

export interface AppliedRepeatable {
  name: string
  reason: 'new' | 'changed' | 'missing'
}

/**
 * Runs the repeatable files that are new, changed or incomplete in the database, in one transaction; returns
 * which ran and why. The caller holds the migration lock (pg) and has applied the journal.
 */
export async function applyRepeatables(
  session: SqlSession,
  files: RepeatableFile[] = readRepeatables(),
): Promise<AppliedRepeatable[]> {
  const applied: AppliedRepeatable[] = []
  await session.exec('BEGIN')
  try {
    await session.exec(`CREATE SCHEMA IF NOT EXISTS drizzle;
      CREATE TABLE IF NOT EXISTS drizzle.schema_repeatables (
        name text PRIMARY KEY,
        hash text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`)
    const stored = new Map(
      (
        await session.query<{ name: string; hash: string }>(
          'select name, hash from drizzle.schema_repeatables',
        )
      ).map((r) => [r.name, r.hash]),
    )
    let present = await catalog(session)
    for (const file of files) {
      const reason = !stored.has(file.name)
        ? 'new'
        : stored.get(file.name) !== file.hash
          ? 'changed'
          : file.defines.some((o) => !present.has(o))
            ? 'missing'
            : null
      if (!reason) continue
      await session.exec(file.text)
      await session.query(
        `insert into drizzle.schema_repeatables (name, hash) values ($1, $2)
         on conflict (name) do update set hash = excluded.hash, applied_at = now()`,
        [file.name, file.hash],
      )
      applied.push({ name: file.name, reason })
      // A file may drop what a later one defines (DROP VIEW ... CASCADE): look again before the next.
      present = await catalog(session)
    }
    await session.exec('COMMIT')
  } catch (err) {
    await session.exec('ROLLBACK')
    throw err
  }
  return applied
}

async function catalog(session: SqlSession): Promise<Set<string>> {
  return new Set((await session.query<{ object: string }>(CATALOG_OBJECTS)).map((r) => r.object))
}
