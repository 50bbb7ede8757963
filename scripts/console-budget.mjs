/**
 * The console's weight budget (issue 21): the JavaScript a member downloads to see their first screen (the
 * entry chunk, the member home screen's lazy chunk and every chunk they import statically), gzipped, must stay
 * under BUDGET_KB. Read from the build's own record of chunks and imports, console/dist/.vite/manifest.json
 * (Vite's `build.manifest`); each file gzipped at level 9 as a server would send it. Staff screens are lazy
 * chunks the member never loads. Exit 1 over budget; CI runs it after `npm run build`.
 *
 *   node scripts/console-budget.mjs            # after npm run build:console
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const BUDGET_KB = 300
/** The member's first screen: the app's entry and the lazy chunk of their home (screens/registry.tsx). */
const FIRST_SCREEN = ['index.html', 'src/screens/member/Home.tsx']

const dist = fileURLToPath(new URL('../console/dist/', import.meta.url))
const manifestPath = join(dist, '.vite', 'manifest.json')
if (!existsSync(manifestPath)) {
  console.error(`console budget: ${manifestPath} is missing; run npm run build:console first`)
  process.exit(1)
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'))

const files = new Set()
const visit = (key) => {
  const chunk = manifest[key]
  if (!chunk) throw new Error(`console budget: no chunk ${key} in the manifest`)
  if (files.has(chunk.file)) return
  files.add(chunk.file)
  for (const imported of chunk.imports ?? []) visit(imported)
}
for (const key of FIRST_SCREEN) visit(key)

let total = 0
const rows = []
for (const file of [...files].filter((f) => f.endsWith('.js'))) {
  const bytes = readFileSync(join(dist, file))
  const gz = gzipSync(bytes, { level: 9 }).length
  total += gz
  rows.push([file, bytes.length, gz])
}
rows.sort((a, b) => b[2] - a[2])
for (const [file, raw, gz] of rows)
  console.log(
    `  ${file.padEnd(44)} ${(raw / 1024).toFixed(1).padStart(7)} KB  ${(gz / 1024).toFixed(1).padStart(6)} KB gz`,
  )
const kb = total / 1024
const verdict = kb <= BUDGET_KB ? 'within' : 'OVER'
console.log(
  `console budget: the member's first screen loads ${kb.toFixed(1)} KB of gzipped JavaScript (${verdict} ${BUDGET_KB} KB)`,
)
if (kb > BUDGET_KB) process.exit(1)
