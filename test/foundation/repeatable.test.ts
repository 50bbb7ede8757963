import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrationsFolder } from '../../src/db/migrate'
import {
  applyRepeatables,
  CATALOG_OBJECTS,
  definedObjects,
  readRepeatables,
  type SqlSession,
} from '../../src/db/repeatable'
import { testDatabaseUrl } from '../helpers/db'

/**
 * Functions, triggers and views have one owner each: their module's file in src/db/sql (src/db/repeatable.ts).
 * This file's database is a clone of the template that migrate() built for this run, so what it holds is what
 * the migrations plus the repeatable files make of an empty database.
 */

const files = readRepeatables()
let client: pg.Client
let session: SqlSession

beforeAll(async () => {
  client = new pg.Client({ connectionString: await testDatabaseUrl() })
  await client.connect()
  session = {
    query: async (text, params) => (await client.query(text, params)).rows,
    exec: async (text) => void (await client.query(text)),
  }
})
afterAll(() => client.end())

async function catalog(): Promise<string[]> {
  return (await client.query<{ object: string }>(CATALOG_OBJECTS)).rows.map((r) => r.object).sort()
}

/**
 * Functions that a table's own definition calls (a column default, a CHECK, an index expression): the table's
 * migration must be able to call them, so these are the only ones defined in migrations.
 */
async function tableFunctions(): Promise<string[]> {
  const { rows } = await client.query<{ object: string }>(
    `select distinct 'function:' || p.proname as object
       from pg_depend d join pg_proc p on p.oid = d.refobjid
      where d.refclassid = 'pg_proc'::regclass
        and d.classid in ('pg_attrdef'::regclass, 'pg_constraint'::regclass, 'pg_class'::regclass)
        and p.pronamespace = 'public'::regnamespace`,
  )
  return rows.map((r) => r.object).sort()
}

function journalTags(): string[] {
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[]
  }
  return journal.entries.map((e) => e.tag)
}

describe('repeatable SQL', () => {
  it('defines every function, trigger and view of the schema, each in exactly one file', async () => {
    const owners = new Map<string, string[]>()
    for (const f of files) for (const o of f.defines) owners.set(o, [...(owners.get(o) ?? []), f.name])
    expect([...owners].filter(([, by]) => by.length > 1)).toEqual([])

    const inMigrations = new Set(await tableFunctions())
    const present = await catalog()
    // Present in the database but defined by no file (and not a function a table needs): it came from a migration.
    expect(present.filter((o) => !owners.has(o) && !inMigrations.has(o))).toEqual([])
    // Defined by a file but absent: the file's text and definedObjects() disagree.
    expect([...owners.keys()].filter((o) => !present.includes(o))).toEqual([])
  })

  it('no migration defines a function, trigger or view, except the functions a table definition calls', async () => {
    const allowed = new Set(await tableFunctions())
    expect([...allowed]).toEqual(['function:uuid_v7'])
    const offending = journalTags().flatMap((tag) =>
      definedObjects(readFileSync(join(migrationsFolder, `${tag}.sql`), 'utf8'))
        .filter((o) => !allowed.has(o))
        .map((o) => `${tag}: ${o} (move it to src/db/sql/<module>.sql)`),
    )
    expect(offending).toEqual([])
  })

  it('records each file with the hash of its text, and runs nothing again while nothing changed', async () => {
    const { rows } = await client.query<{ name: string; hash: string }>(
      'select name, hash from drizzle.schema_repeatables order by name',
    )
    expect(rows).toEqual(files.map((f) => ({ name: f.name, hash: f.hash })))
    expect(await applyRepeatables(session, files)).toEqual([])
  })

  it('runs a file again when its text changed or something it defines went missing, in file order', async () => {
    const activities = files.find((f) => f.name === 'activities')!
    await client.query('drop view verified_service_hours')
    await client.query(`update drizzle.schema_repeatables set hash = 'stale' where name = 'reports'`)
    expect(await applyRepeatables(session, files)).toEqual([
      { name: 'activities', reason: 'missing' },
      { name: 'reports', reason: 'changed' },
    ])
    expect(await catalog()).toContain('view:verified_service_hours')
    expect(activities.defines).toContain('view:verified_service_hours')
  })

  it('rolls the whole pass back when a file fails', async () => {
    const broken = [
      ...files,
      { name: 'zz_broken', text: 'select no_such_function()', hash: 'x', defines: [] },
    ]
    await client.query('drop trigger ledger_entries_no_truncate on ledger_entries')
    const before = await catalog()
    await expect(applyRepeatables(session, broken)).rejects.toThrow(/no_such_function/)
    // The ledger file's rerun (its trigger was missing) rolled back with the failure.
    expect(await catalog()).toEqual(before)
    expect(before).not.toContain('trigger:ledger_entries_no_truncate on ledger_entries')
    expect(await applyRepeatables(session, files)).toEqual([{ name: 'ledger', reason: 'missing' }])
  })
})
