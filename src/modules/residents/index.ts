/**
 * The residents module's public surface (issue 18): residents (群众) of a community, who place and follow their
 * own service requests, and the invitation codes they register with. A resident's login carries
 * Caller.residentId and role resident on their community; residents hold no points and appear in no report.
 */
export { residentsExamples } from './examples'
export { residentsRoutes } from './routes'
