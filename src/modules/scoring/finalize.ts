import type { Db } from '../../db/client'
import { idempotent } from '../../plugins/idempotency'
import { formatCents } from '../../shared/decimal'
import { DomainError, invalidState } from '../../shared/errors'
import { recordAudit } from '../audit/writer'
import { type Caller, requireUnitInScope } from '../identity/scope'
import { postClaimResult } from '../ledger/service'
import { rubricWithItems } from '../rubrics/service'
import { applyCap, canMoveRound } from './domain'
import * as repo from './repo'
import { requireRoundVisible } from './rounds'

/**
 * Posts every result of the round to the ledger, once. Exactly-once rests on three things: the round row is
 * locked and moves publicity -> finalized in this transaction (a second finalize waits, then finds it
 * finalized); each claim moves scored -> posted conditionally; and the ledger's unique reference per claim.
 */
export async function finalizeRound(db: Db, caller: Caller, roundId: string, key: string) {
  return idempotent(db, caller, key, 'finalizeRound', { roundId }, async (tx) => {
    const round = await requireRoundVisible(tx, caller, roundId, 'update')
    await requireUnitInScope(tx, caller, round.orgUnitId, ['secretary'])
    if (round.status === 'finalized') throw invalidState('the round is already finalized')
    if (!canMoveRound(round.status, 'finalized') || !round.publicityEndsAt) {
      throw invalidState('the round is still being scored')
    }
    if (new Date() < round.publicityEndsAt) {
      throw invalidState(`publicity runs until ${round.publicityEndsAt.toISOString()}`)
    }
    const open = await repo.openObjectionIds(tx, round.id)
    if (open.length > 0) {
      throw new DomainError('invalid_state', `${open.length} objection(s) are still open`, {
        objectionIds: open,
      })
    }

    const rubric = (await rubricWithItems(tx, round.rubricId))!
    const claims = (await repo.roundClaims(tx, round.id, true)).filter((c) => c.status === 'scored')
    await repo.lockMembersForCaps(
      tx,
      claims.map((c) => c.memberId),
    )
    let posted = 0
    let total = 0
    for (const claim of claims) {
      const item = rubric.items.find((i) => i.code === claim.itemCode)!
      const already = await repo.postedThisYear(tx, claim.memberId, claim.itemCode, rubric.year)
      const cap = applyCap(claim.result!, already, item.capPerYear, {
        itemCode: item.code,
        year: rubric.year,
      })
      let transactionId: string | null = null
      if (cap.awarded !== 0) {
        const entry = await postClaimResult(tx, caller, {
          memberId: claim.memberId,
          claimId: claim.id,
          amountCents: cap.awarded,
          memo: `${item.code} ${item.name}: scoring result of claim ${claim.id}`,
          effectiveDate: claim.occurredOn,
        })
        transactionId = entry.transactionId
        if (entry.created) {
          posted++
          total += cap.awarded
        }
      }
      await repo.markPosted(tx, claim.id, {
        awarded: cap.awarded,
        cappedAmount: cap.cappedAmount,
        capReason: cap.reason,
        ledgerTransactionId: transactionId,
      })
      await recordAudit(tx, caller, {
        action: 'claim.posted',
        targetType: 'claim',
        targetId: claim.id,
        orgUnitId: claim.orgUnitId,
        before: { status: 'scored', result: formatCents(claim.result!) },
        after: {
          status: 'posted',
          awarded: formatCents(cap.awarded),
          cappedAmount: formatCents(cap.cappedAmount),
          capReason: cap.reason,
          ledgerTransactionId: transactionId,
        },
      })
    }
    if (!(await repo.markFinalized(tx, round.id))) throw invalidState('the round is already finalized')
    const body = { posted, totalPoints: formatCents(total) }
    await recordAudit(tx, caller, {
      action: 'scoring_round.finalized',
      targetType: 'scoring_round',
      targetId: round.id,
      orgUnitId: round.orgUnitId,
      before: { status: 'publicity' },
      after: { status: 'finalized', ...body },
    })
    return { status: 200, body }
  })
}
