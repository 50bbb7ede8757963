import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { describe, expect, it } from 'vitest'

/**
 * The top-level docs name only what the project contains: every relative link (and its #anchor) and every
 * backticked path in README.md, BENCHMARKS.md and docs/*.md must exist inside the repository. A backticked span
 * counts as a path when it starts with ./ or ../, when its first segment is a top-level entry of the repository
 * (`src/...`, `test/...`), or when it ends in a file extension (`CONTRACT.md`); a bare file name (`schemas.ts`, as in
 * a table row about a folder) must be the name of some file of the repository. `<name>` and `*` in a path match any
 * name, and at least one file must match. Paths the build or the embedded database create are allowed.
 */
const ROOT = resolve(__dirname, '../..')
const DOCS = [
  'README.md',
  'BENCHMARKS.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
]
/** Made by `npm run build`, `npm ci` or the first `npm start` (all in .gitignore), so absent from a checkout. */
const GENERATED = ['dist', 'data', 'node_modules']
const EXTENSION = /\.(md|ts|mjs|js|json|sql|ya?ml|sh|csv|txt)$/
const TOP_LEVEL = new Set(readdirSync(ROOT))

interface Reference {
  kind: 'link' | 'path'
  text: string
  problem: string
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-')
}

function anchors(markdown: string): Set<string> {
  const out = new Set<string>()
  for (const m of withoutCodeBlocks(markdown).matchAll(/^#{1,6} +(.+)$/gm)) out.add(slug(m[1]!))
  return out
}

function withoutCodeBlocks(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '')
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/** Does any file or folder match `pattern` (relative to root; `<x>` and `*` match within one segment)? */
function matches(root: string, pattern: string): boolean {
  const segments = pattern.replace(/\/$/, '').split('/')
  const walk = (dir: string, i: number): boolean => {
    if (i === segments.length) return true
    const seg = segments[i]!
    if (seg === '.' || seg === '') return walk(dir, i + 1)
    if (seg === '..') return walk(dirname(dir), i + 1)
    if (!/[<*]/.test(seg)) {
      const next = join(dir, seg)
      return (
        existsSync(next) && (i === segments.length - 1 || statSync(next).isDirectory()) && walk(next, i + 1)
      )
    }
    const re = new RegExp(
      `^${seg
        .split(/(<[^>]*>|\*)/)
        .map((p) => (p.startsWith('<') || p === '*' ? '[^/]+' : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
        .join('')}$`,
    )
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return false
    return readdirSync(dir).some((name) => re.test(name) && walk(join(dir, name), i + 1))
  }
  return walk(root, 0)
}

let names: Set<string> | undefined
/** Every file name in the repository but the generated folders: a bare `schemas.ts` must be one of them. */
function fileNames(root: string): Set<string> {
  if (names) return names
  names = new Set()
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.name === '.git' || GENERATED.includes(entry.name)) continue
      if (entry.isDirectory()) walk(join(dir, entry.name))
      else names!.add(entry.name)
    }
  }
  walk(root)
  return names
}

function looksLikePath(span: string): boolean {
  if (/\s|:\/\/|^\/|^-|=|^@/.test(span)) return false
  if (span.startsWith('./') || span.startsWith('../')) return true
  const first = span.split('/')[0]!
  return (span.includes('/') && TOP_LEVEL.has(first)) || EXTENSION.test(span)
}

/** Every reference in one markdown file (`file` relative to `root`) that does not resolve. */
function brokenReferences(root: string, file: string, markdown: string): Reference[] {
  const broken: Reference[] = []
  const here = dirname(join(root, file))
  const prose = withoutCodeBlocks(markdown)
  if (markdown.includes('../elsewhere'))
    broken.push({ kind: 'path', text: '../elsewhere', problem: 'names a folder outside the repository' })

  for (const m of prose.matchAll(/\[[^\]]*\]\(([^)\s]+)\)/g)) {
    const target = m[1]!
    if (/^[a-z]+:/i.test(target)) continue
    const [path, anchor] = target.split('#') as [string, string | undefined]
    const full = path === '' ? join(root, file) : resolve(here, path)
    if (!inside(root, full))
      broken.push({ kind: 'link', text: target, problem: 'points outside the repository' })
    else if (!existsSync(full)) broken.push({ kind: 'link', text: target, problem: 'no such file' })
    else if (anchor && full.endsWith('.md') && !anchors(readFileSync(full, 'utf8')).has(anchor))
      broken.push({ kind: 'link', text: target, problem: `no heading #${anchor}` })
  }

  for (const m of prose.matchAll(/`([^`\n]+)`/g)) {
    const span = m[1]!.replace(/[.,;:]$/, '')
    if (!looksLikePath(span)) continue
    const normal = span.replace(/^\.\//, '')
    if (GENERATED.some((g) => normal === g || normal.startsWith(`${g}/`))) continue
    // Backticked paths are written from the repository root, as commands would be run.
    if (!inside(root, resolve(root, normal)))
      broken.push({ kind: 'path', text: span, problem: 'points outside the repository' })
    else if (normal.includes('/') ? !matches(root, normal) : !fileNames(root).has(normal))
      broken.push({ kind: 'path', text: span, problem: 'no such file' })
  }
  // A document named in plain prose ("see CONTRACT.md") must exist too: written from the root or beside this file.
  const plain = prose.replace(/`[^`\n]*`/g, '').replace(/\]\([^)]*\)|<[a-z]+:[^>]*>|[a-z]+:\/\/\S+/gi, '')
  for (const m of plain.matchAll(/(?<![\w./-])((?:\.{1,2}\/)?[\w-][\w./-]*\.md)\b/g)) {
    const doc = m[1]!
    const full = [resolve(root, doc), resolve(here, doc)].find((f) => inside(root, f) && existsSync(f))
    if (!full) broken.push({ kind: 'path', text: doc, problem: 'no such document' })
  }
  return broken
}

describe('top-level docs name only what the project contains', () => {
  it.each(DOCS)('%s: every relative link, anchor and backticked path exists', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8')
    expect(brokenReferences(ROOT, file, text)).toEqual([])
  })

  it('the check itself catches a missing file, a path outside the repository and a missing anchor', () => {
    const sample = [
      'See `CONTRACT.md`, `src/nowhere.ts`, `../elsewhere/errors.ts`, `test/<module>/nope.test.ts` and [ops](docs/x.md).',
      'Fine: `src/config.ts`, `test/<module>/authz.test.ts`, `dist/server.mjs`, `text/csv`, `/openapi.json`.',
      'Anchors: [good](docs/operations.md#security-headers), [bad](docs/operations.md#no-such-heading).',
      "Plain prose: RELIABILITY.md and BENCHMARKS.md exist, CONTRACT.md's codes do not.",
    ].join('\n')
    expect(brokenReferences(ROOT, 'README.md', sample).map((r) => r.text)).toEqual([
      '../elsewhere',
      'docs/x.md',
      'docs/operations.md#no-such-heading',
      'CONTRACT.md',
      'src/nowhere.ts',
      '../elsewhere/errors.ts',
      'test/<module>/nope.test.ts',
      'CONTRACT.md',
    ])
  })

  it('the README keeps a Configuration section naming variables of src/config.ts only', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const config = readFileSync(join(ROOT, 'src/config.ts'), 'utf8')
    const section = readme.split(/^## Configuration$/m)[1]?.split(/^## /m)[0]
    expect(section, 'README.md has a "## Configuration" section').toBeDefined()
    const named = [...section!.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((m) => m[1]!)
    expect(named.length).toBeGreaterThan(0)
    expect(named.filter((v) => !new RegExp(`\\b${v}:`).test(config))).toEqual([])
  })
})
