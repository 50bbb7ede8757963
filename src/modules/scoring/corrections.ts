import { sql } from 'drizzle-orm'
import { type Db, one } from '../../db/client'
import type { ClaimStatus } from '../../db/schema/scoring'
import type { Caller } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import type { ClaimFollowing, HoursCorrected } from '../activities'
import { recordAudit } from '../audit'
import { claimCeiling, rubricWithItems } from '../rubrics'
import * as repo from './repo'

/**
 * 更正 (issue 18), scoring's half: the claim drafted from the corrected participation (source 'activity', citing
 * the activity for the member: at most one, claim_evidence_once_uq) follows the correction while nobody scored it
 * yet (submitted): an hour item asks for the corrected hours (quantity and ceiling recomputed as when it was
 * drafted), an occurrence item keeps its quantity; at 0.00 hours (the record struck), or should the item's
 * ceiling come to 0, it is withdrawn (a claim needs a quantity and a ceiling above 0, as when drafted). A claim
 * being scored, scored or posted is the panel's or the ledger's now: left alone, and the answer says so, so the
 * secretary can decide on an adjustment. The claim row is locked first, so a round taking claims in either
 * takes it before (then it is left alone) or after (with the corrected quantity).
 */
export async function onHoursCorrected(
  tx: Db,
  caller: Caller,
  c: HoursCorrected,
): Promise<ClaimFollowing | undefined> {
  const claim = await one<{
    id: string
    status: ClaimStatus
    orgUnitId: string
    rubricId: string
    itemCode: string
    quantity: string
    ceiling: string
  }>(
    tx,
    sql`select cl.id, cl.status, cl.org_unit_id as "orgUnitId", cl.rubric_id as "rubricId",
               cl.item_code as "itemCode", cl.quantity, cl.ceiling
        from claim_evidence ce join claims cl on cl.id = ce.claim_id
        where ce.member_id = ${c.memberId} and ce.ref_kind = 'activity' and ce.ref_id = ${c.activityId}
          and cl.source = 'activity'
        order by cl.created_at desc limit 1
        for update of cl`,
  )
  if (!claim) return undefined
  if (claim.status !== 'submitted') return { claimId: claim.id, claimStatus: claim.status, followed: false }
  const item = (await rubricWithItems(tx, claim.rubricId))?.items.find((i) => i.code === claim.itemCode)
  const quantity = item?.unit === 'hour' ? c.hoursCents : Number(claim.quantity)
  const ceiling = item ? claimCeiling(item, quantity) : 0
  if (c.hoursCents === 0 || quantity <= 0 || ceiling === 0) {
    if (!(await repo.withdraw(tx, claim.id)))
      return { claimId: claim.id, claimStatus: claim.status, followed: false }
    await recordAudit(tx, caller, {
      action: 'claim.withdrawn',
      targetType: 'claim',
      targetId: claim.id,
      orgUnitId: claim.orgUnitId,
      before: { status: 'submitted' },
      after: { status: 'withdrawn', reason: 'hours corrected', hours: formatCents(c.hoursCents) },
    })
    return { claimId: claim.id, claimStatus: 'withdrawn', followed: true }
  }
  if (quantity !== Number(claim.quantity) || ceiling !== Number(claim.ceiling)) {
    await tx.execute(
      sql`update claims set quantity = ${quantity}, ceiling = ${ceiling}, updated_at = now()
          where id = ${claim.id} and status = 'submitted'`,
    )
    await recordAudit(tx, caller, {
      action: 'claim.hours_corrected',
      targetType: 'claim',
      targetId: claim.id,
      orgUnitId: claim.orgUnitId,
      before: { quantity: Number(claim.quantity), ceiling: Number(claim.ceiling) },
      after: { quantity, ceiling, activityId: c.activityId },
    })
  }
  return { claimId: claim.id, claimStatus: 'submitted', followed: true }
}
