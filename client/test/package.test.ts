import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { IDEMPOTENT_OPERATIONS } from '../src/index'

const root = fileURLToPath(new URL('../..', import.meta.url))
const readJson = (path: string) => JSON.parse(readFileSync(join(root, path), 'utf8'))

interface Operation {
  operationId?: string
  parameters?: { in: string; name: string }[]
}

describe('the operations the client gives an Idempotency-Key', () => {
  it('are exactly those of openapi/openapi.json that declare the header, with their method and path', () => {
    const document = readJson('openapi/openapi.json') as { paths: Record<string, Record<string, Operation>> }
    const declared: Record<string, string> = {}
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const takesKey = operation.parameters?.some(
          (p) => p.in === 'header' && p.name.toLowerCase() === 'idempotency-key',
        )
        if (takesKey && operation.operationId) {
          declared[operation.operationId] = `${method.toUpperCase()} ${path}`
        }
      }
    }
    expect(Object.keys(declared).length).toBeGreaterThan(0)
    expect({ ...IDEMPOTENT_OPERATIONS }).toEqual(declared)
  })
})

describe('the package', () => {
  const pkg = readJson('client/package.json')
  const rootPkg = readJson('package.json')

  it('is ESM with openapi-fetch (the version the repository uses) as its only dependency', () => {
    expect(pkg.type).toBe('module')
    expect(pkg.dependencies).toEqual({ 'openapi-fetch': rootPkg.devDependencies['openapi-fetch'] })
    expect(pkg.peerDependencies).toBeUndefined()
    expect(pkg.engines).toEqual(rootPkg.engines)
    expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', import: './dist/index.js' })
  })

  let out: string | undefined
  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true })
  })

  it('builds with tsc (NodeNext) to ESM that plain Node imports, with its types beside it', () => {
    out = mkdtempSync(join(tmpdir(), 'vp-client-'))
    const dist = join(out, 'dist')
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(root, 'client/tsconfig.json'),
        '--outDir',
        dist,
      ],
      { stdio: 'pipe' },
    )
    copyFileSync(join(root, 'client/src/schema.d.ts'), join(dist, 'schema.d.ts'))
    // openapi-fetch resolves from the build's folder as it would from an installed package.
    symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'), 'dir')
    const script = `
      const m = await import(${JSON.stringify(join(dist, 'index.js'))})
      const api = m.createVolunteerPointsClient({ baseUrl: 'http://127.0.0.1:1' })
      console.log(JSON.stringify({
        exports: Object.keys(m).sort(),
        methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'login', 'logout', 'loadMe'].filter((k) => typeof api[k] === 'function'),
      }))`
    const printed = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: out,
      encoding: 'utf8',
    })
    expect(JSON.parse(printed)).toEqual({
      exports: [
        'IDEMPOTENT_OPERATIONS',
        'ProblemError',
        'ResponseError',
        'createVolunteerPointsClient',
        'isProblem',
        'memoryTokenStore',
      ],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'login', 'logout', 'loadMe'],
    })
    const types = readFileSync(join(dist, 'index.d.ts'), 'utf8')
    expect(types).toMatch(/export declare function createVolunteerPointsClient/)
    expect(types).toMatch(/from '\.\/schema\.js'/)
  }, 120_000)
})
