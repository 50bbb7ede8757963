import { writeFileSync } from 'node:fs'
import { buildApp } from '../src/app'
import type { Database } from '../src/db/client'

/** The OpenAPI document as the app serves it. Building routes touches no database, so none is opened. */
export async function generateOpenApi(): Promise<string> {
  const offline = {
    driver: 'pg',
    db: undefined as unknown as Database['db'],
    ping: async () => {},
    close: async () => {},
  } satisfies Database
  const app = await buildApp({ database: offline, jwtSecret: 'x'.repeat(32) })
  await app.ready()
  const doc = `${JSON.stringify(app.swagger(), null, 2)}\n`
  await app.close()
  return doc
}

// `--out <file>` writes elsewhere (npm run lint:openapi lints a fresh copy without touching the committed one).
if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf('--out')
  const out = at >= 0 ? process.argv[at + 1] : undefined
  if (at >= 0 && !out) throw new Error('--out needs a file name')
  const doc = await generateOpenApi()
  writeFileSync(out ?? new URL('../openapi/openapi.json', import.meta.url), doc)
  console.log(`wrote ${out ?? 'openapi/openapi.json'}`)
}
