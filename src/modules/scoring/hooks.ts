import type { Db } from '../../db/client'
import type { Caller } from '../identity/scope'

/**
 * Called by the activities module inside its own transaction. The scoring module turns verified work into
 * claims here: one claim per participant when the activity has a rubricItemCode and the unit has an active
 * rubric (once), and an ORDER claim for a confirmed service request when the active rubric has that item.
 */
export async function onActivityVerified(_tx: Db, _caller: Caller, _activityId: string): Promise<void> {
  // implemented with the scoring capability (issue 6)
}

export async function onServiceRequestConfirmed(_tx: Db, _caller: Caller, _requestId: string): Promise<void> {
  // implemented with the scoring capability (issue 6)
}
