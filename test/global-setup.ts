import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { migrateUrl } from '../src/db/migrate'

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string
    templateDb: string
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

async function startContainer(): Promise<{ url: string; stop: () => Promise<unknown> } | null> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers')
    await getContainerRuntimeClient()
  } catch {
    return null
  }
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  const container = await new PostgreSqlContainer('postgres:16-alpine').start()
  return { url: container.getConnectionUri(), stop: () => container.stop() }
}

/**
 * Finds PostgreSQL (TEST_DATABASE_URL, else a Testcontainers one when Docker answers), migrates a template
 * database once, and hands its name to the test files; each file clones its own database from it.
 */
export default async function setup(project: TestProject) {
  let baseUrl = process.env.TEST_DATABASE_URL
  let stopContainer: (() => Promise<unknown>) | undefined
  if (!baseUrl) {
    const started = await startContainer()
    if (!started) {
      console.error(
        '\nNo test database: set TEST_DATABASE_URL=postgres://user@host:5432/postgres (a user that may CREATE DATABASE), or start Docker so Testcontainers can run PostgreSQL.\n',
      )
      process.exit(2)
    }
    baseUrl = started.url
    stopContainer = started.stop
  }
  const admin = new pg.Client({ connectionString: baseUrl })
  await admin.connect()
  // Unique per run: several runs (developers, CI, helpers) can share one server.
  const template = `vp_tmpl_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  await admin.query(`create database ${template}`)
  await migrateUrl(withDatabase(baseUrl, template))
  await admin.query(`alter database ${template} with is_template true allow_connections false`)
  project.provide('databaseUrl', baseUrl)
  project.provide('templateDb', template)

  return async () => {
    await admin.query(`alter database ${template} with is_template false`)
    await admin.query(`drop database if exists ${template}`)
    // Leftovers of this run's files (a crashed worker) share the template's name as a prefix.
    const stale = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like $1`,
      [`${template.replace('vp_tmpl_', 'vp_t_')}%`],
    )
    for (const { datname } of stale.rows) await admin.query(`drop database if exists ${datname} with (force)`)
    await admin.end()
    await stopContainer?.()
  }
}
