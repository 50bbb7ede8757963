import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { problem } from '../shared/errors'

/**
 * The web console (工作台, console/): a single-page app built by Vite into console/dist and served here at
 * /console/, by the same process and so from the same origin as the API (no CORS, no second server).
 *
 * - Files under /console/assets/ carry a content hash in their names: cached for a year, immutable. Everything
 *   else (index.html) is revalidated on every load, so a new build is picked up at once.
 * - Any other /console/... path is a screen of the app (client-side routing): it answers index.html. A missing
 *   asset answers 404, never the page.
 * - Security headers: the API's set (app.ts) with a content security policy that lets the page load its own
 *   scripts, styles, fonts and images only and call only this origin. antd writes its styles at run time into
 *   <style> elements (CSS-in-JS), hence style-src 'unsafe-inline'; scripts stay 'self' only, so an injected
 *   inline script does not run (the refresh token in sessionStorage is what such a script would be after; see
 *   console/README.md).
 *
 * The app registers this plugin in server.ts with the folder found by consoleFolder(); tests register it with a
 * folder of their own. Without a build (a production install that skipped it) /console/ says how to build.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')

/** Where the built console is: the nearest console/dist above this module (tsx: src/plugins/, bundle: dist/). */
export function consoleFolder(from = dirname(fileURLToPath(import.meta.url))): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'console', 'dist')
    if (existsSync(join(candidate, 'index.html'))) return candidate
    if (dirname(dir) === dir) return null
  }
}

const NOT_BUILT = `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>工作台未构建</title>
<p>工作台尚未构建：在仓库根目录运行 <code>npm run build:console</code> 后重新启动。</p>
<p lang="en">The console is not built: run <code>npm run build:console</code> in the repository and restart.</p></html>`

export async function consolePlugin(app: FastifyInstance, opts: { root: string | null }) {
  // Runs after the app's own onSend hook (a child context's hooks follow the parent's): the page's policy
  // replaces the API's default-src 'none'.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('content-security-policy', CONSOLE_CSP)
    done(null, payload)
  })

  const root = opts.root
  const page = root ? readFileSync(join(root, 'index.html'), 'utf8') : NOT_BUILT
  if (root) {
    await app.register(fastifyStatic, {
      root,
      prefix: '/console/',
      // One route per file of the build, found once at start: no file-system walk per request.
      wildcard: false,
      index: false,
      decorateReply: false,
      // Not the build's bookkeeping (.vite/manifest.json, .build-hash).
      allowedPath: (path) => !path.includes('/.'),
      // @fastify/static 10 hands the reply (not the raw response) to setHeaders.
      setHeaders(reply: { header(name: string, value: string): unknown }, path: string) {
        const hashed = /(^|[\\/])assets[\\/]/.test(path)
        reply.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
      },
    })
  }
  const sendPage = (reply: import('fastify').FastifyReply) =>
    reply
      .code(root ? 200 : 503)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(page)

  app.get('/console', { schema: { hide: true } }, (_request, reply) => sendPage(reply))
  app.get('/console/*', { schema: { hide: true } }, (request, reply) => {
    const path = request.url.split('?')[0]!
    if (path.startsWith('/console/assets/') || /\.[a-z0-9]+$/i.test(path)) {
      return reply
        .code(404)
        .type('application/problem+json')
        .send(problem('not_found', `no file ${path}`))
    }
    return sendPage(reply)
  })
}
