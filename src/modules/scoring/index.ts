/**
 * The scoring module's public surface: claims, panel rounds, 公示 and objections, finalisation.
 * `evidenceHooks` is what scoring does when activities verify evidence (draft claims); app.ts hands it to
 * the activities routes.
 */
export { evidenceHooks } from './hooks'
export { scoringRoutes } from './routes'
