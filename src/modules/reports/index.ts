/**
 * The reports module's public surface.
 *
 * The one allowed exception to the module borders: reports read every module's tables (ledger entries,
 * redemptions, activities, members, the report_* rollups), read-only, in their own SQL, because a report is a
 * join across modules that no module's surface could answer in one statement. They never write another
 * module's tables (the rollups are kept by triggers in src/db/sql/reports.sql) and import other modules only
 * through their index.ts like everyone else.
 */

export { reportsExamples } from './examples'
export { foldPoints, startPointsFold } from './fold'
export { alignRollupZone } from './repo'
export { reportsRoutes } from './routes'
export { memberYearGrade } from './standings'
