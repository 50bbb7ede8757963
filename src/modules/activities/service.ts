export {
  type ActivityForClaims,
  activityForClaims,
  foreignEvidence,
  type ServiceRequestForClaim,
  serviceRequestForClaim,
} from './claims'
