import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from './helpers/app'

/**
 * Every operation the app serves has a row in one of the authorisation matrices (test/<module>/authz.test.ts,
 * run by test/helpers/authz.ts), or is listed here as public with the reason. A new route without a
 * matrix row fails this test, so nobody adds an endpoint whose permissions nobody checked.
 */
const PUBLIC: Record<string, string> = {
  getHealth: 'process liveness for load balancers and orchestrators; answers {status} and nothing else',
  getReadiness: 'database reachability for load balancers; answers {status} and nothing else',
}

let t: TestApp
let served: Map<string, string>

beforeAll(async () => {
  t = await buildTestApp()
  served = new Map()
  const doc = t.app.swagger() as { paths: Record<string, Record<string, { operationId?: string }>> }
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (op?.operationId) served.set(op.operationId, `${method.toUpperCase()} ${path}`)
    }
  }
})

afterAll(async () => {
  await t.app.close()
})

/** The operationIds named by matrix rows (`operation: '...'`) in every authz.test.ts, by file. */
function matrixOperations(): Map<string, string[]> {
  const root = join(__dirname)
  const found = new Map<string, string[]>()
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('authz.test.ts'),
  )
  for (const file of files) {
    for (const m of readFileSync(join(root, file), 'utf8').matchAll(/\boperation: '(\w+)'/g)) {
      found.set(m[1]!, [...(found.get(m[1]!) ?? []), file])
    }
  }
  return found
}

describe('authorisation coverage', () => {
  it('finds the matrices (a parsing slip would make every check below vacuous)', () => {
    const ops = matrixOperations()
    expect(ops.size).toBeGreaterThan(60)
    expect([...ops.values()].flat()).toEqual(expect.arrayContaining(['identity/authz.test.ts']))
  })

  it('every served operation has an authorisation matrix row or is public with a reason', () => {
    const ops = matrixOperations()
    const missing = [...served]
      .filter(([id]) => !ops.has(id) && !PUBLIC[id])
      .map(([id, at]) => `${id} (${at})`)
    expect(missing, 'operations without a row in any test/**/authz.test.ts').toEqual([])
  })

  it('names no operation twice and none that the app does not serve', () => {
    const ops = matrixOperations()
    const twice = [...ops].filter(([, files]) => files.length > 1).map(([id, files]) => `${id}: ${files}`)
    expect(twice, 'one row per operation').toEqual([])
    expect(
      [...ops.keys()].filter((id) => !served.has(id)),
      'rows for operations nobody serves',
    ).toEqual([])
    expect(
      Object.keys(PUBLIC).filter((id) => !served.has(id) || ops.has(id)),
      'public list entries',
    ).toEqual([])
  })

  it('public operations answer without a token', async () => {
    for (const id of Object.keys(PUBLIC)) {
      const [method, path] = served.get(id)!.split(' ')
      const res = await t.app.inject({ method: method as 'GET', url: path! })
      expect(res.statusCode, `${id}: ${res.body}`).toBe(200)
    }
  })
})
