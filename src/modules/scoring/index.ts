/**
 * The scoring module's public surface: claims, panel rounds, 公示 and objections, finalisation.
 * `evidenceHooks` is what scoring does when activities verify evidence (draft claims); app.ts hands it to
 * the activities routes. The commands (createScoringRound ... finalizeRound) are the ones the routes call, for the
 * embedded demo (src/demo), which builds its year of history with them.
 */
export { scoringExamples } from './examples'
export { finalizeRound } from './finalize'
export { evidenceHooks } from './hooks'
export { fileObjection } from './objections'
export { closeScoring, createScoringRound, submitScore } from './rounds'
export { scoringRoutes } from './routes'
