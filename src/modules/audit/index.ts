/**
 * The audit module's public surface. Every module records its changes through `recordAudit` in the same
 * transaction as the change; the trail is read through the routes. Other modules import only from here
 * (enforced by `npm run lint:deps`, see .dependency-cruiser.cjs).
 */
export { auditExamples } from './examples'
export { auditRoutes } from './routes'
export { type AuditEvent, type AuditTargetType, auditCall, recordAudit, recordAuditMany } from './writer'
