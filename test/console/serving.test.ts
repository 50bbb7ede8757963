import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_CSP, consoleFolder, consolePlugin } from '../../src/plugins/console'
import { buildTestApp, type TestApp } from '../helpers/app'

// A console build of two files, as Vite lays it out: index.html and a hashed asset.
const dist = mkdtempSync(join(tmpdir(), 'vp-console-'))
mkdirSync(join(dist, 'assets'))
mkdirSync(join(dist, '.vite'))
writeFileSync(join(dist, 'index.html'), '<!doctype html><div id="root"></div>')
writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)')
writeFileSync(join(dist, '.vite', 'manifest.json'), '{}')

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp({ beforeReady: (app) => void app.register(consolePlugin, { root: dist }) })
})
afterAll(async () => {
  await t?.app.close()
  rmSync(dist, { recursive: true, force: true })
})

describe('the console at /console/ (same process, same origin)', () => {
  it('answers the page at /console/ and at any screen path, revalidated each load, with the console CSP', async () => {
    for (const url of ['/console', '/console/', '/console/member/ledger', '/console/clerk?x=1']) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      expect(res.body).toContain('<div id="root">')
      expect(res.headers['cache-control']).toBe('no-cache')
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP)
      expect(res.headers['x-frame-options']).toBe('DENY')
      expect(res.headers['x-content-type-options']).toBe('nosniff')
    }
  })

  it('serves hashed assets for a year, and a missing asset or the build bookkeeping is 404, never the page', async () => {
    const asset = await t.app.inject({ url: '/console/assets/index-abc123.js' })
    expect(asset.statusCode).toBe(200)
    expect(asset.headers['content-type']).toMatch(/javascript/)
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(asset.headers['content-security-policy']).toBe(CONSOLE_CSP)
    for (const url of [
      '/console/assets/missing.js',
      '/console/.vite/manifest.json',
      '/console/favicon.ico',
    ]) {
      const res = await t.app.inject({ url })
      expect(res.statusCode, url).toBe(404)
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/)
    }
  })

  it("lets the page load only its own scripts and call only its own origin; the API's policy is unchanged", async () => {
    expect(CONSOLE_CSP).toContain("script-src 'self'")
    expect(CONSOLE_CSP).toContain("connect-src 'self'")
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'")
    expect(CONSOLE_CSP).not.toMatch(/script-src[^;]*unsafe/)
    const api = await t.app.inject({ url: '/api/v1/me' })
    expect(api.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'")
    const docs = await t.app.inject({ url: '/docs' })
    expect(docs.headers['content-security-policy']).toBe("frame-ancestors 'none'")
  })

  it('is not part of the API document', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/console'))).toEqual([])
  })

  it('finds the build above the module, and none where there is none', () => {
    expect(consoleFolder(join(dist, 'assets'))).toBeNull()
    const repo = mkdtempSync(join(tmpdir(), 'vp-repo-'))
    mkdirSync(join(repo, 'console', 'dist'), { recursive: true })
    writeFileSync(join(repo, 'console', 'dist', 'index.html'), '')
    mkdirSync(join(repo, 'dist'))
    expect(consoleFolder(join(repo, 'dist'))).toBe(join(repo, 'console', 'dist'))
    rmSync(repo, { recursive: true, force: true })
  })
})

describe('without a build', () => {
  it('answers 503 with a page saying how to build it', async () => {
    const bare = await buildTestApp({
      beforeReady: (app) => void app.register(consolePlugin, { root: null }),
    })
    try {
      const res = await bare.app.inject({ url: '/console/' })
      expect(res.statusCode).toBe(503)
      expect(res.body).toContain('npm run build:console')
    } finally {
      await bare.app.close()
    }
  })
})
