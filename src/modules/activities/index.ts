/**
 * The activities module's public surface: activities, participation, service requests and certificates — the
 * evidence that scoring turns into claims. Verifying evidence calls the `EvidenceHooks` given to
 * `activitiesRoutes` (app.ts wires scoring's), so this module does not depend on scoring.
 */
export type { EvidenceHooks } from './hooks'
export { hoursByMember, hoursFromRollupsGrouped, hoursSummary } from './reporting'
export { activitiesRoutes } from './routes'
export { activityForClaims, foreignEvidence, serviceRequestForClaim } from './service'
