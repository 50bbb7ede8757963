import { sql } from 'drizzle-orm'
import { type Db, one } from '../../db/client'
import type { Caller } from '../../shared/authz'
import { activityForClaims, type EvidenceHooks, serviceRequestForClaim } from '../activities'
import { recordAudit } from '../audit'
import { applicableRubricId, claimCeiling, rubricWithItems } from '../rubrics'
import { onHoursCorrected } from './corrections'
import * as repo from './repo'

/**
 * Called by the activities module inside its own transaction. The scoring module turns verified work into
 * claims here: one claim per participant when the activity has a rubricItemCode and the member's unit has an
 * active rubric with that item (once), and an ORDER claim for a confirmed service request when the active
 * rubric has that item.
 *
 * The rubric is the one that applies to the participant's home unit (their own branch's, or the nearest
 * ancestor's): a member's points are scored by their own branch's panel, also for 双报到 service done in
 * another community. Nothing happens when no such rubric or item exists; verification never fails for it.
 */
async function onActivityVerified(tx: Db, caller: Caller, activityId: string): Promise<void> {
  const activity = await activityForClaims(tx, activityId)
  if (!activity?.rubricItemCode) return
  for (const p of activity.participants) {
    await createWorkClaim(tx, caller, {
      memberId: p.memberId,
      itemCode: activity.rubricItemCode,
      occurredOn: activity.occurredOn,
      hoursCents: p.hoursCents,
      description: activity.title,
      ref: { kind: 'activity', id: activity.id },
    })
  }
}

async function onServiceRequestConfirmed(tx: Db, caller: Caller, requestId: string): Promise<void> {
  const request = await serviceRequestForClaim(tx, requestId)
  if (!request) return
  await createWorkClaim(tx, caller, {
    memberId: request.memberId,
    itemCode: 'ORDER',
    occurredOn: request.completedOn,
    hoursCents: request.hoursCents,
    description: request.title,
    ref: { kind: 'service_request', id: request.id },
  })
}

async function createWorkClaim(
  tx: Db,
  caller: Caller,
  w: {
    memberId: string
    itemCode: string
    occurredOn: string
    hoursCents: number
    description: string
    ref: { kind: 'activity' | 'service_request'; id: string }
  },
): Promise<void> {
  const member = await one<{ orgUnitId: string; path: string }>(
    tx,
    sql`select m.org_unit_id as "orgUnitId", u.path from members m join org_units u on u.id = m.org_unit_id
        where m.id = ${w.memberId}`,
  )
  if (!member) return
  const rubricId = await applicableRubricId(tx, member.path, Number(w.occurredOn.slice(0, 4)))
  const rubric = rubricId ? await rubricWithItems(tx, rubricId) : undefined
  const item = rubric?.items.find((i) => i.code === w.itemCode)
  // Taking part in work never costs points: an activity tagged with a deduction item makes no claim.
  if (!rubric || !item || item.kind !== 'award') return
  // Hours count for hour items; an occurrence item counts the work once, a fixed item always 1.
  const quantity = item.unit === 'hour' ? w.hoursCents : 100
  const ceiling = claimCeiling(item, quantity)
  if (quantity <= 0 || ceiling === 0) return
  const evidence = {
    activityIds: w.ref.kind === 'activity' ? [w.ref.id] : [],
    serviceRequestIds: w.ref.kind === 'service_request' ? [w.ref.id] : [],
    links: [],
  }
  const id = await repo.insertClaim(tx, {
    memberId: w.memberId,
    orgUnitId: member.orgUnitId,
    rubricId: rubric.id,
    itemCode: item.code,
    kind: item.kind,
    occurredOn: w.occurredOn,
    quantity,
    ceiling,
    description: w.description,
    evidence,
    source: w.ref.kind,
    createdBy: caller.userId,
  })
  // Once: if this work already backs a claim of the member under the item, drop the new one.
  const taken = await repo.linkEvidence(tx, id, w.memberId, item.code, [w.ref])
  if (taken.length > 0) {
    await repo.deleteClaim(tx, id)
    return
  }
  await recordAudit(tx, caller, {
    action: 'claim.created',
    targetType: 'claim',
    targetId: id,
    orgUnitId: member.orgUnitId,
    after: {
      source: w.ref.kind,
      sourceId: w.ref.id,
      itemCode: item.code,
      quantity,
      ceiling,
      rubricId: rubric.id,
    },
  })
}

/** Given to the activities routes in app.ts: scoring's answer to verified evidence. */
export const evidenceHooks: EvidenceHooks = {
  activityVerified: onActivityVerified,
  serviceRequestConfirmed: onServiceRequestConfirmed,
  hoursCorrected: onHoursCorrected,
}
