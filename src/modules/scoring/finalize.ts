import type { Db } from '../../db/client'
import { idempotent } from '../../plugins/idempotency'
import { type Caller, requireUnitInScope } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { DomainError, invalidState } from '../../shared/errors'
import { formatInstant } from '../../shared/time'
import { recordAudit, recordAuditMany } from '../audit'
import { pointsPosted, recordEvents } from '../events'
import { ledgerMemo, postClaimResults } from '../ledger'
import { rubricWithItems } from '../rubrics'
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
      throw invalidState(`publicity runs until ${formatInstant(round.publicityEndsAt)}`)
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
    // A constant number of statements per round (not per claim): the yearly sums of every (member, item)
    // of the round are read once under the cap locks above, and each claim's cap is applied in claim
    // order on top of the sum and of the earlier claims of this round (as reading after each markPosted
    // did); then one batched posting, one update of the claims and one insert of their audit events.
    const already = await repo.postedThisYearMany(
      tx,
      claims.map((c) => ({ memberId: c.memberId, itemCode: c.itemCode })),
      rubric.year,
    )
    const outcomes = claims.map((claim) => {
      const item = rubric.items.find((i) => i.code === claim.itemCode)!
      const key = `${claim.memberId} ${claim.itemCode}`
      const cap = applyCap(claim.result!, already.get(key) ?? 0, item.capPerYear, {
        itemCode: item.code,
        year: rubric.year,
      })
      already.set(key, (already.get(key) ?? 0) + cap.awarded)
      return { claim, item, cap }
    })
    const entries = await postClaimResults(
      tx,
      caller,
      outcomes
        .filter((o) => o.cap.awarded !== 0)
        .map(({ claim, item, cap }) => ({
          memberId: claim.memberId,
          claimId: claim.id,
          amountCents: cap.awarded,
          memo: ledgerMemo.scoringResult(item),
          effectiveDate: claim.occurredOn,
        })),
    )
    let posted = 0
    let total = 0
    const marks = outcomes.map(({ claim, cap }) => {
      const entry = cap.awarded !== 0 ? entries.get(claim.id) : undefined
      if (entry?.created) {
        posted++
        total += cap.awarded
      }
      return {
        claimId: claim.id,
        awarded: cap.awarded,
        cappedAmount: cap.cappedAmount,
        capReason: cap.reason,
        ledgerTransactionId: entry?.transactionId ?? null,
      }
    })
    await repo.markPostedMany(tx, marks)
    const roundEvent = {
      type: 'round.finalized' as const,
      orgUnitId: round.orgUnitId,
      subject: { type: 'scoring_round', id: round.id },
      data: { roundId: round.id, orgUnitId: round.orgUnitId, posted, totalPoints: formatCents(total) },
    }
    // Every posting of the round and the round's own event: one insert (issue 20), however many claims.
    await recordEvents(tx, [
      ...outcomes.flatMap(({ claim, item, cap }) => {
        const entry = cap.awarded !== 0 ? entries.get(claim.id) : undefined
        if (!entry?.created) return []
        return [
          pointsPosted({
            orgUnitId: claim.orgUnitId,
            memberId: claim.memberId,
            transactionId: entry.transactionId,
            kind: cap.awarded > 0 ? 'award' : 'deduction',
            amountCents: cap.awarded,
            memo: ledgerMemo.scoringResult(item),
            reference: { type: 'claim', id: claim.id },
            roundId: round.id,
            effectiveDate: claim.occurredOn,
          }),
        ]
      }),
      roundEvent,
    ])
    await recordAuditMany(
      tx,
      caller,
      outcomes.map(({ claim, cap }, i) => ({
        action: 'claim.posted',
        targetType: 'claim' as const,
        targetId: claim.id,
        orgUnitId: claim.orgUnitId,
        before: { status: 'scored', result: formatCents(claim.result!) },
        after: {
          status: 'posted',
          awarded: formatCents(cap.awarded),
          cappedAmount: formatCents(cap.cappedAmount),
          capReason: cap.reason,
          ledgerTransactionId: marks[i]!.ledgerTransactionId,
        },
      })),
    )
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
