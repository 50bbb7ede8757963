import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import { afterAll, describe, expect, it } from 'vitest'

// The rules `npm run lint:deps` (and so CI) applies: a module is used only through its index.ts, no cycles,
// the kernel (shared, db, plugins) imports no module.
const require = createRequire(import.meta.url)
const config = require('../../.dependency-cruiser.cjs') as {
  forbidden: unknown[]
  options: { exclude: unknown }
}

async function violations(baseDir: string, files: Record<string, string>): Promise<string[]> {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(baseDir, dirname(path)), { recursive: true })
    writeFileSync(join(baseDir, path), text)
  }
  const cwd = process.cwd()
  process.chdir(baseDir)
  try {
    const result = await cruise(['src'], {
      ruleSet: { forbidden: config.forbidden } as never,
      tsPreCompilationDeps: true,
      validate: true,
      doNotFollow: { path: 'node_modules' },
      exclude: config.options.exclude as never,
    })
    return (result.output as ICruiseResult).summary.violations.map(
      (v) => `${v.rule.name}: ${v.from} -> ${v.to}`,
    )
  } finally {
    process.chdir(cwd)
  }
}

const dirs: string[] = []
function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'borders-'))
  dirs.push(dir)
  // Packages resolve as they do in the project (the rules on packages match their node_modules paths).
  symlinkSync(join(process.cwd(), 'node_modules'), join(dir, 'node_modules'))
  return dir
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const twoModules = {
  'src/modules/rubrics/service.ts': 'export function rubricWithItems() { return 1 }\n',
  'src/modules/rubrics/index.ts': "export { rubricWithItems } from './service'\n",
  'src/shared/errors.ts': 'export const oops = 1\n',
}

describe('module borders (dependency-cruiser rules of npm run lint)', () => {
  it('the code as it is breaks none of them', async () => {
    const result = await cruise(['src'], {
      ruleSet: { forbidden: config.forbidden } as never,
      tsPreCompilationDeps: true,
      validate: true,
    })
    const out = result.output as ICruiseResult
    expect(out.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([])
    // The rules did look at the modules (a wrong path would pass vacuously).
    expect(out.modules.filter((m) => m.source.startsWith('src/modules/')).length).toBeGreaterThan(50)
  })

  it('a deep import into another module fails; the same import through its index.ts passes', async () => {
    const deep = await violations(sandbox(), {
      ...twoModules,
      'src/modules/scoring/claims.ts':
        "import { rubricWithItems } from '../rubrics/service'\nexport const x = rubricWithItems()\n",
    })
    expect(deep).toEqual([
      'module-deep-import: src/modules/scoring/claims.ts -> src/modules/rubrics/service.ts',
    ])

    const viaIndex = await violations(sandbox(), {
      ...twoModules,
      'src/modules/scoring/claims.ts':
        "import { rubricWithItems } from '../rubrics'\nimport { oops } from '../../shared/errors'\nexport const x = rubricWithItems() + oops\n",
    })
    expect(viaIndex).toEqual([])
  })

  it('a cycle between modules fails, as does the kernel importing a module', async () => {
    const found = await violations(sandbox(), {
      'src/modules/a/index.ts': "import { b } from '../b'\nexport const a = () => b\n",
      'src/modules/b/index.ts': "import { a } from '../a'\nexport const b = () => a\n",
      'src/shared/authz.ts': "import { a } from '../modules/a'\nexport const z = a\n",
    })
    expect(found.some((v) => v.startsWith('no-circular: src/modules/a/index.ts'))).toBe(true)
    expect(found).toContain('kernel-imports-module: src/shared/authz.ts -> src/modules/a/index.ts')
  })

  it('pdfkit, qrcode, ioredis and PGlite are imported on first use, never at start', async () => {
    const found = await violations(sandbox(), {
      'src/shared/pdf.ts': "import PDFDocument from 'pdfkit'\nexport const doc = () => new PDFDocument()\n",
      'src/shared/counters.ts': "import { Redis } from 'ioredis'\nexport const r = () => new Redis()\n",
      'src/db/client.ts':
        "import type { PGlite } from '@electric-sql/pglite'\nexport const open = async (): Promise<PGlite> => {\n  const { PGlite } = await import('@electric-sql/pglite')\n  return PGlite.create()\n}\n",
      'src/modules/activities/pdf.ts':
        "export const qr = async (draw: (q: typeof import('qrcode')) => void) => draw(await import('qrcode'))\n",
    })
    // The static imports only (ioredis has its own types, pdfkit's come from @types/pdfkit); type imports and
    // import() on first use pass.
    expect(found.map((v) => v.replace(/ -> .*node_modules\//, ' -> ')).sort()).toEqual([
      'heavy-package-at-start: src/shared/counters.ts -> ioredis/built/index.js',
      'heavy-package-at-start: src/shared/pdf.ts -> @types/pdfkit/index.d.ts',
    ])
  })

  it('code outside the modules (app, demo) also goes through index.ts', async () => {
    const found = await violations(sandbox(), {
      ...twoModules,
      'src/demo/content.ts':
        "import { rubricWithItems } from '../modules/rubrics/service'\nexport const d = rubricWithItems\n",
    })
    expect(found).toEqual(['outside-deep-import: src/demo/content.ts -> src/modules/rubrics/service.ts'])
  })
})
