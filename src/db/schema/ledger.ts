import { sql } from 'drizzle-orm'
import { bigint, check, date, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import * as col from './columns'
import { members } from './members'

export const LEDGER_ACCOUNT_KINDS = ['member', 'issuance', 'redemption'] as const
export type LedgerAccountKind = (typeof LEDGER_ACCOUNT_KINDS)[number]

export const LEDGER_KINDS = ['award', 'deduction', 'adjustment', 'reversal', 'hold', 'post', 'void'] as const
export type LedgerKind = (typeof LEDGER_KINDS)[number]

/**
 * Accounts. A member account keeps cached `balance`, `held` and `lifetimeEarned`, changed only by the
 * statement that inserts the entry justifying them (`version` counts those entries; a deferred trigger
 * checks the newest entry agrees). It is also the head of that member's hash chain (`headHash`).
 *
 * Issuance (per branch) and redemption (per community office) accounts keep NO cached balance: every
 * posting in a branch would otherwise update one row and queue behind every other member's posting.
 * Their balance is the sum of their entries (reports and verifyLedger read it that way).
 *
 * More rules in SQL (migration ledger_guards): append-only triggers, the hold guard on `held`, the
 * deferred sum-to-zero and cache-justification triggers.
 */
export const ledgerAccounts = pgTable(
  'ledger_accounts',
  {
    id: col.id(),
    kind: text().$type<LedgerAccountKind>().notNull(),
    memberId: uuid().references(() => members.id),
    orgUnitId: col.orgUnitId(),
    balance: bigint({ mode: 'number' }).notNull().default(0),
    held: bigint({ mode: 'number' }).notNull().default(0),
    lifetimeEarned: bigint({ mode: 'number' }).notNull().default(0),
    version: bigint({ mode: 'number' }).notNull().default(0),
    headHash: text().notNull().default(''),
    createdAt: col.createdAt(),
  },
  (t) => [
    uniqueIndex('ledger_accounts_member_uq').on(t.memberId),
    uniqueIndex('ledger_accounts_office_uq').on(t.kind, t.orgUnitId).where(sql`${t.kind} <> 'member'`),
    check('ledger_accounts_kind_chk', col.oneOf(t.kind, LEDGER_ACCOUNT_KINDS)),
    check('ledger_accounts_member_chk', sql`(${t.kind} = 'member') = (${t.memberId} is not null)`),
    check('ledger_accounts_held_chk', sql`${t.held} >= 0`),
    check(
      'ledger_accounts_uncached_chk',
      sql`${t.kind} = 'member' or (${t.balance} = 0 and ${t.held} = 0 and ${t.lifetimeEarned} = 0 and ${t.version} = 0)`,
    ),
  ],
)

/**
 * One posting. Every transaction names exactly one member (each kind moves one member's points), and
 * is a link in that member's hash chain: `hash` = sha256(previous hash || canonical content || date),
 * `chainSeq` its place; the head lives on the member's account row.
 *
 * Why one chain per member account: extending a chain means reading and replacing its head, i.e. a row
 * lock. The member's account row is locked by the posting anyway (its balance changes), so a per-member
 * chain costs no extra lock and no extra round trip, and postings for two members never wait for each
 * other. A chain per branch (or one global chain) would make every award, hold and hand-over in the
 * branch queue on one head row — the contention the conditional balance updates exist to avoid.
 * verifyLedger walks each member's chain; an altered, inserted or deleted transaction breaks it.
 */
export const ledgerTransactions = pgTable(
  'ledger_transactions',
  {
    id: uuid().primaryKey(),
    kind: text().$type<LedgerKind>().notNull(),
    memberId: col.memberId(),
    accountId: col.required(() => ledgerAccounts.id),
    chainSeq: bigint({ mode: 'number' }).notNull(),
    hash: text().notNull(),
    memo: text().notNull(),
    reason: text(),
    referenceType: text().$type<'claim' | 'redemption' | 'transaction'>(),
    referenceId: uuid(),
    effectiveDate: date().notNull(),
    actorUserId: col.optionalUserId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    uniqueIndex('ledger_transactions_chain_uq').on(t.accountId, t.chainSeq),
    // A claim's result is posted once.
    uniqueIndex('ledger_transactions_claim_uq').on(t.referenceId).where(sql`${t.referenceType} = 'claim'`),
    // One hold per redemption, and it is settled (post or void) once.
    uniqueIndex('ledger_transactions_hold_uq').on(t.referenceId).where(sql`${t.kind} = 'hold'`),
    uniqueIndex('ledger_transactions_settle_uq').on(t.referenceId).where(sql`${t.kind} in ('post','void')`),
    // A transaction is reversed at most once.
    uniqueIndex('ledger_transactions_reversal_uq').on(t.referenceId).where(sql`${t.kind} = 'reversal'`),
    index('ledger_transactions_created_idx').on(t.createdAt),
    // Reports (migration 0013): a subtree's members' earning postings in a year, without the redemption kinds.
    index('ledger_transactions_member_earned_idx')
      .on(t.memberId, t.createdAt)
      .where(sql`${t.kind} in ('award','deduction','adjustment','reversal')`),
    check('ledger_transactions_kind_chk', col.oneOf(t.kind, LEDGER_KINDS)),
    check(
      'ledger_transactions_reference_chk',
      sql`case ${t.kind}
            when 'reversal' then ${t.referenceType} = 'transaction' and ${t.referenceId} is not null
            when 'hold' then ${t.referenceType} = 'redemption' and ${t.referenceId} is not null
            when 'post' then ${t.referenceType} = 'redemption' and ${t.referenceId} is not null
            when 'void' then ${t.referenceType} = 'redemption' and ${t.referenceId} is not null
            else ${t.referenceType} is null or ${t.referenceType} = 'claim' end`,
    ),
    check(
      'ledger_transactions_reason_chk',
      sql`${t.kind} not in ('adjustment','reversal') or length(btrim(coalesce(${t.reason}, ''))) > 0`,
    ),
  ],
)

/**
 * Entries: signed amounts in hundredths. `amount` moves the balance (a transaction's amounts sum to
 * zero); `heldChange` moves the member's held points (hold +x, post and void -x). Member entries carry
 * the account's state after them (`accountVersion`, `balanceAfter`, `heldAfter`), which is both the
 * member ledger's running balance and what the hold CHECK reads.
 */
export const ledgerEntries = pgTable(
  'ledger_entries',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    transactionId: col.required(() => ledgerTransactions.id),
    accountId: col.required(() => ledgerAccounts.id),
    amount: bigint({ mode: 'number' }).notNull(),
    heldChange: bigint({ mode: 'number' }).notNull().default(0),
    accountVersion: bigint({ mode: 'number' }),
    balanceAfter: bigint({ mode: 'number' }),
    heldAfter: bigint({ mode: 'number' }),
  },
  (t) => [
    // Also every lookup by account alone (its leading column; the office accounts' counter entries, whose
    // version is null, are in it too): a separate (account_id) index was one more random leaf page per entry
    // written, dropped in issue 22 (a redemption cycle writes 3-4 entries).
    uniqueIndex('ledger_entries_account_version_uq').on(t.accountId, t.accountVersion),
    index('ledger_entries_transaction_idx').on(t.transactionId),
    check('ledger_entries_nonzero_chk', sql`${t.amount} <> 0 or ${t.heldChange} <> 0`),
    check(
      'ledger_entries_state_chk',
      sql`(${t.accountVersion} is null) = (${t.balanceAfter} is null) and (${t.accountVersion} is null) = (${t.heldAfter} is null)
          and (${t.heldChange} = 0 or ${t.accountVersion} is not null)`,
    ),
    // A hold may never leave available (balance - held) below zero. Deductions (heldChange = 0) may
    // take the balance below zero: a debt, which then blocks holds until paid back.
    check(
      'ledger_entries_hold_covered_chk',
      sql`${t.heldChange} <= 0 or ${t.balanceAfter} - ${t.heldAfter} >= 0`,
    ),
  ],
)
