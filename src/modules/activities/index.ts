/**
 * The activities module's public surface: activities, participation, service requests and certificates — the
 * evidence that scoring turns into claims. Verifying evidence calls the `EvidenceHooks` given to
 * `activitiesRoutes` (app.ts wires scoring's), so this module does not depend on scoring. The commands
 * (createActivity ... issueServiceCertificate) are the ones the routes call, for the embedded demo (src/demo),
 * which builds its year of history with them.
 */
export { certificatePageRoutes } from './certificate-page'
export {
  declineServiceCertificateRequest,
  listServiceCertificateRequests,
  requestServiceCertificate,
} from './certificate-requests'
export { issueServiceCertificate, revokeServiceCertificate } from './certificates'
export { type EvidenceSummary, evidenceSummaries } from './claims'
export { correctServiceHours } from './corrections'
export { activitiesExamples } from './examples'
export type { ClaimFollowing, EvidenceHooks, HoursCorrected } from './hooks'
export { hoursByMember, hoursFromRollupsGrouped, hoursSummary } from './reporting'
export {
  acceptServiceRequest,
  cancelServiceRequest,
  completeServiceRequest,
  confirmServiceRequest,
  createServiceRequest,
  declineServiceRequest,
  dispatchServiceRequest,
} from './requests'
export { activitiesRoutes } from './routes'
export {
  activityForClaims,
  createActivity,
  foreignEvidence,
  recordParticipation,
  serviceRequestForClaim,
  verifyActivity,
} from './service'
export { type VolunteerStanding, volunteerStandingOf } from './volunteer-star'
