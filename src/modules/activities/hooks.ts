import type { Db } from '../../db/client'
import type { Caller } from '../../shared/authz'

/**
 * What other modules do, inside the same transaction, when this module verifies evidence: scoring drafts the
 * claims (scoring's `evidenceHooks`, wired in app.ts). Given to `activitiesRoutes` as an option rather than
 * imported, so activities does not depend on scoring (scoring reads activities, never the other way round).
 */
export interface EvidenceHooks {
  activityVerified(tx: Db, caller: Caller, activityId: string): Promise<void>
  serviceRequestConfirmed(tx: Db, caller: Caller, requestId: string): Promise<void>
}

/** No other module listens (tests of the activities module alone, tools). */
export const NO_EVIDENCE_HOOKS: EvidenceHooks = {
  activityVerified: async () => {},
  serviceRequestConfirmed: async () => {},
}
