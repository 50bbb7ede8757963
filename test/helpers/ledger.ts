import { sql } from 'drizzle-orm'
import { type Db, one, rows, transaction } from '../../src/db/client'
import { type ClaimResult, postClaimResults } from '../../src/modules/ledger/service'
import type { Caller } from '../../src/shared/authz'

/** The system actor (null) or a minimal caller for internal ledger calls in tests. */
export function systemCaller(userId: string): Caller {
  return { userId, username: 'test', memberId: null, residentId: null, grants: [] }
}

/**
 * Posts claim results in one transaction through the path a round's finalize runs (postClaimResults: one
 * ledger_post_many statement). Answers claimId -> the posting, created=false when the claim was already posted.
 */
export function postClaims(db: Db, claims: ClaimResult[]) {
  return transaction(db, (tx) => postClaimResults(tx, null, claims))
}

/** Awards (or deducts, when negative) points as scoring's finalize does: the result of a fresh claim id. */
export async function award(db: Db, memberId: string, cents: number, memo = 'test award'): Promise<string> {
  const claimId = crypto.randomUUID()
  const posted = await postClaims(db, [
    { memberId, claimId, amountCents: cents, memo, effectiveDate: '2026-05-01' },
  ])
  return posted.get(claimId)!.transactionId
}

/** The member account as stored, plus what its entries add up to (the cache must equal the sums). */
export async function accountState(db: Db, memberId: string) {
  const row = await one<Record<string, string>>(
    db,
    sql`select a.balance, a.held, a.lifetime_earned as earned,
          (select coalesce(sum(e.amount), 0) from ledger_entries e where e.account_id = a.id) as "sumAmount",
          (select coalesce(sum(e.held_change), 0) from ledger_entries e where e.account_id = a.id) as "sumHeld"
        from ledger_accounts a where a.member_id = ${memberId}`,
  )
  return {
    balance: Number(row?.balance ?? 0),
    held: Number(row?.held ?? 0),
    earned: Number(row?.earned ?? 0),
    sumAmount: Number(row?.sumAmount ?? 0),
    sumHeld: Number(row?.sumHeld ?? 0),
  }
}

/** Transactions of a member whose entries do not sum to zero (must always be empty). */
export async function unbalancedTransactions(db: Db, memberId: string): Promise<string[]> {
  const found = await rows<{ id: string }>(
    db,
    sql`select t.id from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
        where t.member_id = ${memberId} group by t.id having sum(e.amount) <> 0`,
  )
  return found.map((r) => r.id)
}

export async function countTransactions(db: Db, memberId: string, kind?: string): Promise<number> {
  const row = await one<{ n: string }>(
    db,
    sql`select count(*) as n from ledger_transactions
        where member_id = ${memberId} ${kind ? sql`and kind = ${kind}` : sql``}`,
  )
  return Number(row?.n ?? 0)
}
