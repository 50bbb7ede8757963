/**
 * Module borders, checked by `npm run lint:deps` (part of `npm run lint`, so CI fails on a breach).
 *
 * - A module (src/modules/<name>/) is used by others only through its index.ts. Inside a module, files import
 *   each other freely.
 * - No import cycles anywhere in src/.
 * - shared/, db/ and plugins/ are the kernel every module builds on: they import no module.
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
    exclude: { path: '\\.d\\.ts$' },
  },
}
