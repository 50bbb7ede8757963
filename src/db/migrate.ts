import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PGlite } from '@electric-sql/pglite'
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres'
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator'
import type { PgliteDatabase } from 'drizzle-orm/pglite'
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator'
import pg from 'pg'
import type { Database } from './client'
import { type AppliedRepeatable, applyRepeatables, type SqlSession } from './repeatable'

/**
 * The nearest migrations/ (with drizzle-kit's journal) above this module: ../../migrations from src/db/ under
 * tsx, ../migrations from the bundle dist/server.mjs (npm run build), so neither layout has to mimic the other.
 * The repeatable SQL (src/db/sql, see ./repeatable.ts) is found the same way.
 */
export const migrationsFolder = findMigrations(dirname(fileURLToPath(import.meta.url)))

function findMigrations(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'migrations')
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate
    if (dirname(dir) === dir) throw new Error(`no migrations/meta/_journal.json in ${from} or above`)
  }
}

// Any key will do as long as every process uses the same one: it serialises concurrent start-ups.
const MIGRATION_LOCK = 727_001

/**
 * Applies migrations/ (drizzle-kit's journal: tables and data), then the repeatable SQL files that changed
 * (functions, triggers, views: ./repeatable.ts), once, even when several processes start together. Returns the
 * repeatable files that ran, and why.
 *
 * Why functions can leave the old migrations: drizzle's migrator picks what to apply by the journal's `when`
 * alone (the newest applied `created_at` against each entry's `when`) and never re-reads the hash of an applied
 * file, so editing an applied migration changes nothing in a database that has it; a new database gets the
 * tables from the journal and every function, trigger and view from the repeatable files right after.
 */
export async function migrate(database: Database): Promise<AppliedRepeatable[]> {
  if (database.driver === 'pglite') {
    // One process owns a PGlite data directory: no lock to take.
    await migratePglite(database.db as unknown as PgliteDatabase, { migrationsFolder })
    return applyRepeatables(pgliteSession((database.db as unknown as { $client: PGlite }).$client))
  }
  const client = await database.pool!.connect()
  try {
    return await migrateClient(client)
  } finally {
    client.release()
  }
}

/** Migrates the database at `url` with one short-lived connection (test templates, scripts). */
export async function migrateUrl(url: string): Promise<AppliedRepeatable[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await migrateClient(client)
  } finally {
    await client.end()
  }
}

async function migrateClient(client: pg.Client | pg.PoolClient): Promise<AppliedRepeatable[]> {
  await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
  try {
    await migratePg(drizzlePg(client), { migrationsFolder })
    return await applyRepeatables(pgSession(client))
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK])
  }
}

function pgSession(client: pg.Client | pg.PoolClient): SqlSession {
  return {
    async query<T>(text: string, params?: unknown[]) {
      return (await client.query(text, params)).rows as T[]
    },
    async exec(text: string) {
      // Without parameters pg uses the simple query protocol, which runs a script of several statements.
      await client.query(text)
    },
  }
}

function pgliteSession(client: PGlite): SqlSession {
  return {
    async query<T>(text: string, params?: unknown[]) {
      return (await client.query<T>(text, params)).rows
    },
    async exec(text: string) {
      await client.exec(text)
    },
  }
}
