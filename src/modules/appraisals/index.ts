/**
 * The appraisals module's public surface: 评优, each member's year-end outcome kept with the year's points and
 * grade, published per unit and year, changed after publication only with a reason (append-only in the database,
 * src/db/sql/appraisals.sql).
 */
export { appraisalsExamples } from './examples'
export { appraisalsRoutes } from './routes'
