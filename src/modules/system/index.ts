/** Health, readiness and version endpoints. */
export { systemExamples } from './examples'
export { systemRoutes } from './routes'
