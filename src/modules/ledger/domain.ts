import type { LedgerKind } from '../../db/schema/ledger'

/**
 * Pure ledger rules. Amounts are integer hundredths. Every posting moves exactly one member's account
 * (the "member leg") and, for balance movements, one office account in the opposite direction.
 */

/** Kinds that count towards lifetimeEarned (docs/api.md, "Points ledger": every movement except redemptions). */
export const EARNING_KINDS: readonly LedgerKind[] = ['award', 'deduction', 'adjustment', 'reversal']
/** Kinds a secretary may reverse. Holds, posts and voids are settled through their redemption instead. */
export const REVERSIBLE_KINDS: readonly LedgerKind[] = ['award', 'deduction', 'adjustment']

export interface Leg {
  /** The member account's balance change. */
  amount: number
  /** The member account's held change (holds +, posts and voids -). */
  heldChange: number
  /** The member account's lifetimeEarned change. */
  earnedChange: number
  /** The other account and its amount (-amount), when the balance moves. */
  counterAccountId: string | null
}

export interface Entry {
  accountId: string
  amount: number
  heldChange: number
}

/** The entries a leg stands for: the member entry first, then the counter entry. */
export function entriesOf(memberAccountId: string, leg: Leg): Entry[] {
  const out: Entry[] = [{ accountId: memberAccountId, amount: leg.amount, heldChange: leg.heldChange }]
  if (leg.counterAccountId && leg.amount !== 0) {
    out.push({ accountId: leg.counterAccountId, amount: -leg.amount, heldChange: 0 })
  }
  return out
}

/** Double entry: the same rule the deferred trigger ledger_transactions_balanced checks at commit. */
export function assertBalanced(entries: readonly Entry[]): void {
  if (entries.length === 0) throw new Error('a ledger transaction needs entries')
  let total = 0
  for (const e of entries) {
    if (!Number.isSafeInteger(e.amount) || !Number.isSafeInteger(e.heldChange)) {
      throw new Error('ledger amounts are integer hundredths')
    }
    if (e.amount === 0 && e.heldChange === 0) throw new Error('a ledger entry must move something')
    total += e.amount
  }
  if (total !== 0) throw new Error(`ledger transaction does not balance (sum ${total})`)
}

/** The member leg of each kind, from a positive or signed amount. */
export function legFor(kind: LedgerKind, amount: number, counterAccountId: string | null): Leg {
  switch (kind) {
    case 'award':
    case 'deduction':
    case 'adjustment':
    case 'reversal':
      return { amount, heldChange: 0, earnedChange: amount, counterAccountId }
    case 'hold':
      return { amount: 0, heldChange: amount, earnedChange: 0, counterAccountId: null }
    case 'post':
      return { amount: -amount, heldChange: -amount, earnedChange: 0, counterAccountId }
    case 'void':
      return { amount: 0, heldChange: -amount, earnedChange: 0, counterAccountId: null }
  }
}

/**
 * The memo of every posting: the line a member or a clerk reads in the ledger, in the service's language. What a
 * program needs is in the transaction's own fields: `kind`, and `referenceType`/`referenceId` (the claim, the
 * redemption, the reversed transaction), never parsed out of the memo. A memo is part of the hashed content of
 * its transaction, so rows written before a wording changed keep theirs.
 */
export const ledgerMemo = {
  /** award / deduction: the rubric item scored, e.g. 评分结果：疫情防控（EPIDEMIC） */
  scoringResult: (item: { code: string; name: string }) => `评分结果：${item.name}（${item.code}）`,
  /** adjustment: the secretary's reason */
  adjustment: (reason: string) => `调整：${reason}`,
  /** reversal: what is taken back (the reason stays in `reason`) */
  reversal: (originalMemo: string) => `冲正：${originalMemo}`,
  /** hold / post / void of a redemption, e.g. 兑换领取：大米 5kg × 1 */
  redemption: (
    step: 'reserved' | 'fulfilled' | 'cancelled' | 'expired',
    rewardName: string,
    quantity: number,
  ) => `${REDEMPTION_STEP[step]}：${rewardName} × ${quantity}`,
}
const REDEMPTION_STEP = {
  reserved: '兑换预留',
  fulfilled: '兑换领取',
  cancelled: '兑换取消',
  expired: '兑换过期',
}

/** What a transaction says, as hashed into its member's chain (everything but the timestamps). */
export interface ChainContent {
  id: string
  kind: LedgerKind
  memberId: string
  memo: string
  reason: string | null
  referenceType: string | null
  referenceId: string | null
  actorUserId: string | null
  amount: number
  heldChange: number
  counterAccountId: string | null
  counterAmount: number
}

/**
 * Canonical text of a transaction: what its link of the member's hash chain covers, with the previous link
 * and the effective date, in ledger_chain_link() (src/db/sql/ledger.sql). The date is added in SQL because
 * the database decides "today" in the service time zone; verifyLedger recomputes each link with the stored date.
 */
export function canonicalContent(c: ChainContent): string {
  const lower = (s: string | null) => (s === null ? null : s.toLowerCase())
  return JSON.stringify([
    lower(c.id),
    c.kind,
    lower(c.memberId),
    c.memo,
    c.reason,
    c.referenceType,
    lower(c.referenceId),
    lower(c.actorUserId),
    c.amount,
    c.heldChange,
    lower(c.counterAccountId),
    c.counterAmount,
  ])
}

/** One finding of verifyLedger. */
export interface Problem {
  type:
    | 'unbalanced'
    | 'balance_mismatch'
    | 'held_mismatch'
    | 'earned_mismatch'
    | 'running_balance_mismatch'
    | 'chain_broken'
    | 'chain_head_mismatch'
  detail: string
  transactionId?: string
  accountId?: string
  memberId?: string
}
