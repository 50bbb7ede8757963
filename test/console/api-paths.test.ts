import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The console calls only operations the OpenAPI document has. The compiler already holds this (every call goes
 * through the client typed from openapi/openapi.json, and CI checks the types are generated from it); this test
 * says it at run time too, by reading every `api.METHOD('/api/v1/...'` the console's sources make.
 */
const root = join(import.meta.dirname, '..', '..')
const doc = JSON.parse(readFileSync(join(root, 'openapi', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, unknown>>
}

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) yield* sources(path)
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.test.ts')) yield path
  }
}

describe('the console calls only documented operations', () => {
  const calls: { file: string; method: string; path: string }[] = []
  for (const file of sources(join(root, 'console', 'src'))) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/\bapi\.(GET|POST|PUT|PATCH|DELETE)\(\s*'([^']+)'/g))
      calls.push({ file: file.slice(root.length + 1), method: m[1]!.toLowerCase(), path: m[2]! })
  }

  it('finds the calls', () => {
    expect(calls.length).toBeGreaterThan(20)
  })

  it('each is a method and path of openapi/openapi.json', () => {
    const missing = calls.filter((c) => !doc.paths[c.path]?.[c.method])
    expect(missing).toEqual([])
  })
})
