import { sql } from 'drizzle-orm'
import { type Db, one, rows, transaction } from '../../src/db/client'
import type { Caller } from '../../src/modules/identity/scope'
import { postClaimResult } from '../../src/modules/ledger/service'

/** The system actor (null) or a minimal caller for internal ledger calls in tests. */
export function systemCaller(userId: string): Caller {
  return { userId, username: 'test', memberId: null, grants: [] }
}

/** Awards (or deducts, when negative) points through the internal API, as scoring does at finalize. */
export async function award(db: Db, memberId: string, cents: number, memo = 'test award'): Promise<string> {
  return transaction(db, async (tx) => {
    const r = await postClaimResult(tx, null, {
      memberId,
      claimId: crypto.randomUUID(),
      amountCents: cents,
      memo,
      effectiveDate: '2026-05-01',
    })
    return r.transactionId
  })
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
