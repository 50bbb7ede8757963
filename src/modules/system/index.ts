/** Health, readiness and version endpoints. */
export { systemRoutes } from './routes'
