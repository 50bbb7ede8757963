/**
 * `npm run build`: src/server.ts as one ESM bundle, dist/server.mjs (+ .map), run by plain node in production
 * (`npm run start:prod`, the Dockerfile). Running through tsx costs ~80 MB of RSS (its loader and the
 * TypeScript transform stay resident), which the 300 MB server budget of the benchmark cannot afford.
 *
 * Packages stay external: they load from node_modules as usual (native argon2, pglite's wasm, pdfkit's data
 * files and the font all resolve there), so the image ships `npm ci --omit=dev` + dist/ + migrations/ + src/db/sql/.
 * migrations/ and src/db/sql/ (the repeatable functions, triggers and views) are found by walking up from the
 * bundle (src/db/migrate.ts, src/db/repeatable.ts), the font by createRequire.
 *
 * The source map carries no sources (only positions): `node --enable-source-maps` prints src/… file:line
 * in stack traces without shipping or holding the source text.
 */
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = `${root}dist`

rmSync(outdir, { recursive: true, force: true })
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/server.ts'],
  outfile: 'dist/server.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  metafile: true,
})
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0)
console.log(`built ${outdir}/server.mjs (${Math.round(bytes / 1024)} KB with its source map)`)
