import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

/** npm's own range rules (semver, in the tree through many packages; no types shipped, hence this view of it). */
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean
  intersects(a: string, b: string): boolean
  validRange(range: string): string | null
  minVersion(range: string): { version: string } | null
}

/**
 * Issue 17: `npm ci` warned EBADENGINE (content-disposition and cookie declared Node 22 while `engines` said
 * >=20.11). The declared engines, the Dockerfile's Node and the locked tree must agree: every package in
 * package-lock.json accepts the lowest Node of each supported line, the Dockerfile's Node major is one of them,
 * and the README states the same range.
 */

const ROOT = join(import.meta.dirname, '..', '..')
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8')
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } }
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>
}
const engines = pkg.engines.node
/** The first release of each supported line, and the newest line (what `engines` promises). */
const FLOORS = semver
  .validRange(engines)!
  .split('||')
  .map((part: string) => semver.minVersion(part.trim())!.version)

describe('supported Node versions (issue 17)', () => {
  it('engines names whole supported lines from a known floor', () => {
    expect(FLOORS).toEqual(['20.19.0', '22.13.0'])
    expect(semver.satisfies('24.0.0', engines)).toBe(true)
    expect(semver.satisfies('20.11.0', engines)).toBe(false)
  })

  it('every package of the locked tree runs on the lowest supported Node of each line (no EBADENGINE)', () => {
    const refused: string[] = []
    for (const [path, info] of Object.entries(lock.packages)) {
      const node = !Array.isArray(info.engines) ? info.engines?.node : undefined
      if (!path || !node) continue
      for (const v of [...FLOORS, '24.0.0']) {
        if (!semver.satisfies(v, node)) refused.push(`${path}@${info.version} wants node ${node}, not ${v}`)
      }
    }
    expect(refused).toEqual([])
  })

  it('the Dockerfile runs a supported Node line and installs with --engine-strict', () => {
    const dockerfile = read('Dockerfile')
    const majors = [...dockerfile.matchAll(/^FROM node:(\d+)[-\w.]*/gm)].map((m) => m[1]!)
    expect(majors.length).toBeGreaterThan(0)
    for (const major of majors) expect(semver.intersects(`^${major}`, engines), `node:${major}`).toBe(true)
    const installs = dockerfile.match(/^RUN npm ci[^\n]*/gm) ?? []
    expect(installs.length).toBeGreaterThan(0)
    for (const line of installs) expect(line).toContain('--engine-strict')
  })

  it('the README states the same range, and this Node is in it', () => {
    expect(read('README.md')).toContain(`\`${engines}\``)
    expect(semver.satisfies(process.versions.node, engines)).toBe(true)
  })
})
