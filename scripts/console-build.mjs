/**
 * Builds the web console (console/ -> console/dist) with Vite, when its build is missing or stale.
 *
 *   node scripts/console-build.mjs           # build if console/dist is missing or older than its sources
 *   node scripts/console-build.mjs --force   # always build (npm run build, the Dockerfile)
 *
 * Run by `prepare` (so `npm ci` leaves a built console and `npm ci && npm start` serves it), by `npm start`
 * (a checkout whose sources changed since is rebuilt first; a fresh build takes a few seconds) and by
 * `npm run build`. Stale means: the hash of the console's sources (console/ but dist and e2e, the typed client
 * it imports, package-lock.json) differs from the one written beside the last build. Where Vite is not
 * installed (a production install, `npm ci --omit=dev`) nothing is built and the server serves whatever
 * console/dist holds, or a page saying how to build it.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const consoleDir = join(root, 'console')
const dist = join(consoleDir, 'dist')
const stamp = join(dist, '.build-hash')
const force = process.argv.includes('--force')

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (['dist', 'e2e', 'node_modules'].includes(entry.name)) continue
      yield* walk(path)
    } else if (entry.isFile()) yield path
  }
}

function sourceHash() {
  const hash = createHash('sha256')
  const files = [...walk(consoleDir), ...walk(join(root, 'client', 'src')), join(root, 'package-lock.json')]
  for (const file of files) {
    if (!existsSync(file) || !statSync(file).isFile()) continue
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0')
  }
  return hash.digest('hex')
}

const wanted = sourceHash()
const built =
  existsSync(join(dist, 'index.html')) && existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : null
if (!force && built === wanted) {
  console.log('console: console/dist is up to date')
  process.exit(0)
}

// A production build whatever the caller runs under (vitest sets NODE_ENV=test, which Vite would honour and
// antd would answer with its development class names).
process.env.NODE_ENV = 'production'
let vite
try {
  vite = await import('vite')
} catch {
  console.log(
    built
      ? 'console: Vite is not installed (production install): serving the console/dist that is there'
      : 'console: Vite is not installed (production install): the console is not built; /console/ says so',
  )
  process.exit(0)
}

const started = Date.now()
console.log(built ? 'console: sources changed, building console/dist' : 'console: building console/dist')
// Only --force empties console/dist first. A rebuild because sources changed keeps the previous build's hashed
// assets beside the new ones: a server already running (another checkout's e2e run, npm start) keeps the
// index.html it read at start and must still find the files it names.
await vite.build({
  configFile: join(consoleDir, 'vite.config.ts'),
  mode: 'production',
  logLevel: 'warn',
  build: { emptyOutDir: force },
})
writeFileSync(stamp, `${wanted}\n`)
console.log(`console: built console/dist in ${((Date.now() - started) / 1000).toFixed(1)} s`)
