import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { inject } from 'vitest'
import { type Database, openDatabase } from '../../src/db/client'

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

let created: Promise<string> | undefined
const opened: Database[] = []
let createdName: string | undefined

/** This test file's own database, cloned from the migrated template on first use and dropped after the file. */
export function testDatabaseUrl(): Promise<string> {
  created ??= (async () => {
    const base = inject('databaseUrl')
    const template = inject('templateDb')
    const name = `${template.replace('vp_tmpl_', 'vp_t_')}_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: base })
    await admin.connect()
    try {
      await admin.query(`create database ${name} template ${template}`)
    } finally {
      await admin.end()
    }
    createdName = name
    return withDatabase(base, name)
  })()
  return created
}

/** Opens a pool on this file's database (closed after the file). Several pools act like several processes. */
export async function openTestDatabase(opts: { poolSize?: number } = {}): Promise<Database> {
  const database = await openDatabase({
    databaseUrl: await testDatabaseUrl(),
    timezone: 'Asia/Shanghai',
    poolSize: opts.poolSize ?? 10,
  })
  opened.push(database)
  return database
}

/** Run after each file (test/setup.ts): closes its pools and drops its database. */
export async function cleanupTestDatabase(): Promise<void> {
  // A pool whose connections were killed on purpose (reliability tests) may never finish ending; the forced
  // drop below closes whatever is left, so waiting more than a few seconds helps nobody.
  const closing = Promise.allSettled(opened.splice(0).map((d) => d.close()))
  await Promise.race([closing, new Promise((r) => setTimeout(r, 5000).unref())])
  const name = createdName
  // The next file run by this worker (test.isolate is off: workers are reused) clones a database of its own.
  created = undefined
  createdName = undefined
  if (!name) return
  const drop = new pg.Client({ connectionString: inject('databaseUrl') })
  await drop.connect()
  await drop.query(`drop database if exists ${name} with (force)`)
  await drop.end()
}
