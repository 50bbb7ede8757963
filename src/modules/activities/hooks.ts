import type { Db } from '../../db/client'
import type { Caller } from '../../shared/authz'

/** A participation's verified hours corrected (更正): the figure before and after, in hundredths. */
export interface HoursCorrected {
  activityId: string
  memberId: string
  previousHoursCents: number
  hoursCents: number
}

/** What became of the claim the participation backs, if any (see EvidenceHooks.hoursCorrected). */
export interface ClaimFollowing {
  claimId: string
  claimStatus: 'submitted' | 'scoring' | 'scored' | 'posted' | 'withdrawn'
  /** true: the claim was unscored and now follows the correction; false: it is scored or later, left alone. */
  followed: boolean
}

/**
 * What other modules do, inside the same transaction, when this module verifies evidence: scoring drafts the
 * claims (scoring's `evidenceHooks`, wired in app.ts). Given to `activitiesRoutes` as an option rather than
 * imported, so activities does not depend on scoring (scoring reads activities, never the other way round).
 */
export interface EvidenceHooks {
  activityVerified(tx: Db, caller: Caller, activityId: string): Promise<void>
  serviceRequestConfirmed(tx: Db, caller: Caller, requestId: string): Promise<void>
  /**
   * Verified hours were corrected: the claim drafted from the participation (if any) follows while unscored; the
   * answer says which claim and what became of it (undefined: the participation backs no claim).
   */
  hoursCorrected(tx: Db, caller: Caller, correction: HoursCorrected): Promise<ClaimFollowing | undefined>
}

/** No other module listens (tests of the activities module alone, tools). */
export const NO_EVIDENCE_HOOKS: EvidenceHooks = {
  activityVerified: async () => {},
  serviceRequestConfirmed: async () => {},
  hoursCorrected: async () => undefined,
}
