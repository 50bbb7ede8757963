import { formatCents } from '../../shared/decimal'
import type { NewEvent } from './types'

/**
 * points.posted, built the same way by every module that posts points (scoring's finalize, the ledger's
 * adjustments and reversals), so a client reads one shape: the posting's id, kind and signed amount (a decimal
 * string, like the API), what it refers to and the memo the member's statement shows.
 */
export function pointsPosted(p: {
  orgUnitId: string
  memberId: string
  transactionId: string
  kind: 'award' | 'deduction' | 'adjustment' | 'reversal'
  amountCents: number
  memo: string
  reason?: string | null
  reference?: { type: string; id: string } | null
  roundId?: string | null
  effectiveDate?: string | null
}): NewEvent {
  return {
    type: 'points.posted',
    orgUnitId: p.orgUnitId,
    subject: { type: 'member', id: p.memberId },
    memberId: p.memberId,
    data: {
      transactionId: p.transactionId,
      memberId: p.memberId,
      kind: p.kind,
      amount: formatCents(p.amountCents),
      memo: p.memo,
      reason: p.reason ?? null,
      reference: p.reference ?? null,
      roundId: p.roundId ?? null,
      effectiveDate: p.effectiveDate ?? null,
    },
  }
}
