/**
 * Module borders, checked by `npm run lint:deps` (part of `npm run lint`, so CI fails on a breach).
 *
 * - A module (src/modules/<name>/) is used by others only through its index.ts. Inside a module, files import
 *   each other freely.
 * - No import cycles anywhere in src/.
 * - shared/, db/ and plugins/ are the kernel every module builds on: they import no module.
 * - Packages only some servers use (pdfkit, qrcode, ioredis, PGlite) are imported dynamically, on first use.
 *
 * The one exception to the borders is not about imports: reports read every module's tables, read-only, in
 * their own SQL (see src/modules/reports/index.ts).
 */
module.exports = {
  forbidden: [
    {
      name: 'module-deep-import',
      severity: 'error',
      comment:
        'Import another module only through its public surface, src/modules/<name>/index.ts: add what you need to that index.ts (and keep it small).',
      from: { path: '^src/modules/([^/]+)/' },
      to: {
        path: '^src/modules/([^/]+)/.+',
        pathNot: ['^src/modules/$1/', '^src/modules/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'outside-deep-import',
      severity: 'error',
      comment:
        'Code outside the modules (app, server, demo, scripts) uses a module only through its index.ts.',
      from: { path: '^src/', pathNot: '^src/modules/' },
      to: { path: '^src/modules/[^/]+/.+', pathNot: '^src/modules/[^/]+/index\\.ts$' },
    },
    {
      name: 'kernel-imports-module',
      severity: 'error',
      comment: 'shared/, db/ and plugins/ are below the modules: move what they need out of the module.',
      from: { path: '^src/(shared|db|plugins)/' },
      to: { path: '^src/(modules|demo)/' },
    },
    {
      name: 'heavy-package-at-start',
      severity: 'error',
      comment:
        'pdfkit, qrcode, ioredis and PGlite are loaded on first use (await import(...)), not at start: a server on PostgreSQL that prints nothing and has no REDIS_URL never needs them, and loaded at start they held ~20 MB of its peak RSS (docs/performance.md, "Server memory"). Import their types only.',
      from: { path: '^src/' },
      to: {
        // A package with its own types resolves to its code, one typed by @types/<name> to those types.
        path: '(^|node_modules/)(@types/)?(pdfkit|qrcode|ioredis|@electric-sql/pglite)(/|$)',
        dynamic: false,
        dependencyTypesNot: ['type-only', 'type-import'],
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles make load order matter and hide who owns what: hand a callback in instead (see EvidenceHooks).',
      // The drizzle schema files name each other's columns in foreign keys, lazily (references(() => t.id)), as
      // the tables do in SQL (users <-> members); that cycle is the database's, not a load-order hazard.
      from: { path: '^src/', pathNot: '^src/db/schema/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^src/.*\\.d\\.ts$' },
  },
}
