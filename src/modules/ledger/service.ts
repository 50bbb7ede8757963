import type { Db } from '../../db/client'
import { pgConstraint, pgErrorCode } from '../../db/client'
import type { LedgerKind } from '../../db/schema/ledger'
import type { Caller } from '../../shared/authz'
import { centsFromDb } from '../../shared/decimal'
import { DomainError, invalidState, notFound } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { assertBalanced, canonicalContent, entriesOf, type Leg, legFor } from './domain'
import * as repo from './repo'

/**
 * The internal ledger API. Every function takes the caller's open transaction `tx` and never opens its own,
 * so a posting commits or rolls back with the caller's change. Nothing else writes ledger tables.
 *
 * Where each invariant lives:
 * - sum to zero: domain.assertBalanced (TS) and the deferred trigger ledger_transactions_balanced (SQL);
 * - available never negative through a hold: the conditional UPDATE in ledger_post (`balance - held >=`),
 *   the CHECK ledger_entries_hold_covered_chk and the trigger ledger_accounts_hold_covered (SQL);
 * - cached balance = entries: ledger_post changes both in one statement; the deferred trigger
 *   ledger_accounts_cache_justified refuses any other change at commit; verifyLedger re-adds everything;
 * - exactly once per claim / hold / settlement / reversal: partial unique indexes on ledger_transactions;
 * - append-only: triggers ledger_*_append_only; tamper evidence: the per-member hash chain, each link
 *   ledger_chain_link() (src/db/sql/ledger.sql), written by ledger_post.
 *
 * Who posts (all through ledger_post_many, src/db/sql/ledger.sql): scoring's finalize (postClaimResults), the
 * HTTP corrections (postTransaction, ledger_post), and the redemption functions of rewards.sql, which call
 * ledger_post with a posting prepared here (prepareHold / prepareSettlement).
 */

export interface PostedTransaction {
  transactionId: string
  createdAt: string
  balance: number
  held: number
}

interface Posting {
  kind: LedgerKind
  memberId: string
  leg: Leg
  memo: string
  reason?: string | null
  referenceType?: 'claim' | 'redemption' | 'transaction' | null
  referenceId?: string | null
  effectiveDate?: string | null
  needAvailable?: number | null
  needHeld?: number | null
  settles?: string | null
}

/**
 * Checks the entries, builds the chain content and runs the one-statement posting (ledger_post). Used by the
 * HTTP corrections (corrections.ts). No row back means the posting's condition failed: nothing was written.
 */
export async function postTransaction(
  tx: Db,
  actor: Caller | null,
  p: Posting,
): Promise<PostedTransaction | undefined> {
  try {
    const row = await repo.post(tx, preparePost(actor, p))
    if (!row) return undefined
    return {
      transactionId: row.id,
      createdAt: row.createdAt,
      balance: centsFromDb(row.balance),
      held: centsFromDb(row.held),
    }
  } catch (err) {
    throw translateUniqueViolation(err)
  }
}

/** A new transaction id, the balance check of its entries and the chain content it hashes. */
function preparePost(actor: Caller | null, p: Posting): repo.PostInput {
  const id = newId()
  assertBalanced(entriesOf('member', p.leg))
  const reason = p.reason ?? null
  const referenceType = p.referenceType ?? null
  const referenceId = p.referenceId?.toLowerCase() ?? null
  const memberId = p.memberId.toLowerCase()
  const actorUserId = actor?.userId ?? null
  const content = canonicalContent({
    id,
    kind: p.kind,
    memberId,
    memo: p.memo,
    reason,
    referenceType,
    referenceId,
    actorUserId,
    amount: p.leg.amount,
    heldChange: p.leg.heldChange,
    counterAccountId: p.leg.amount !== 0 ? p.leg.counterAccountId : null,
    counterAmount: p.leg.amount !== 0 && p.leg.counterAccountId ? -p.leg.amount : 0,
  })
  return {
    id,
    kind: p.kind,
    memberId,
    leg: p.leg,
    memo: p.memo,
    reason,
    referenceType,
    referenceId,
    effectiveDate: p.effectiveDate ?? null,
    actorUserId,
    content,
    needAvailable: p.needAvailable ?? null,
    needHeld: p.needHeld ?? null,
    settles: p.settles?.toLowerCase() ?? null,
  }
}

/** A lost race on a once-only posting means "already done": say so as the domain error it stands for. */
function translateUniqueViolation(err: unknown): unknown {
  if (pgErrorCode(err) !== '23505') return err
  switch (pgConstraint(err)) {
    case 'ledger_transactions_hold_uq':
      return invalidState('this redemption already holds points')
    case 'ledger_transactions_settle_uq':
      return invalidState('the hold of this redemption is already settled')
    case 'ledger_transactions_reversal_uq':
      return invalidState('this transaction is already reversed')
    case 'ledger_transactions_claim_uq':
      return invalidState('this claim is already posted')
    default:
      return err
  }
}

function assertPositiveCents(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`${what} must be a positive integer of hundredths`)
}

export interface ClaimResult {
  memberId: string
  claimId: string
  amountCents: number
  memo: string
  effectiveDate: string
}

/**
 * Posts scoring results (a round's finalize): amountCents > 0 is an award (the member's branch issuance
 * account -> member), < 0 a deduction (member -> issuance account; may take the balance below zero). A constant
 * number of statements however many claims: the claims' advisory locks and existing postings, the member and
 * issuance accounts, then ONE ledger_post_many call for all of them (one statement while each member has one
 * claim), sorted by member (a stable sort: a member's claims keep the given order in their chain), so the
 * member accounts are locked in ascending order.
 * Exactly once per claim (the unique index ledger_transactions_claim_uq decides; a concurrent second posting
 * waits on the claim's advisory lock and then finds the first). Returns claimId -> the posting,
 * created=false when the claim was already posted.
 */
export async function postClaimResults(
  tx: Db,
  actor: Caller | null,
  claims: ClaimResult[],
): Promise<Map<string, { transactionId: string; created: boolean }>> {
  const out = new Map<string, { transactionId: string; created: boolean }>()
  for (const c of claims) {
    if (!Number.isSafeInteger(c.amountCents) || c.amountCents === 0) {
      throw new Error('a claim result must be a non-zero integer of hundredths')
    }
  }
  const existing = await repo.findClaimPostings(
    tx,
    claims.map((c) => c.claimId.toLowerCase()),
  )
  const todo: ClaimResult[] = []
  for (const c of claims) {
    const found = existing.get(c.claimId.toLowerCase())
    if (found) out.set(c.claimId, { transactionId: found, created: false })
    else todo.push(c)
  }
  if (todo.length === 0) return out
  const members = [...new Set(todo.map((c) => c.memberId.toLowerCase()))]
  await repo.ensureMemberAccounts(tx, members)
  const issuance = await repo.ensureIssuanceAccounts(tx, members)
  const postings = todo
    .map((claim) => {
      const memberId = claim.memberId.toLowerCase()
      const counter = issuance.get(memberId)
      if (!counter) throw notFound('member')
      const kind = claim.amountCents > 0 ? 'award' : 'deduction'
      const input = preparePost(actor, {
        kind,
        memberId,
        leg: legFor(kind, claim.amountCents, counter),
        memo: claim.memo,
        referenceType: 'claim',
        referenceId: claim.claimId,
        effectiveDate: claim.effectiveDate,
      })
      return { claim, input }
    })
    .sort((a, b) => (a.input.memberId < b.input.memberId ? -1 : a.input.memberId > b.input.memberId ? 1 : 0))
  let written: Set<string>
  try {
    const rows = await repo.postMany(
      tx,
      postings.map((p) => p.input),
    )
    written = new Set(rows.map((r) => r.id))
  } catch (err) {
    throw translateUniqueViolation(err)
  }
  for (const { claim, input } of postings) {
    if (!written.has(input.id)) throw notFound('member')
    out.set(claim.claimId, { transactionId: input.id, created: true })
  }
  return out
}

export function insufficientPoints(): DomainError {
  return new DomainError('insufficient_points', 'the available points do not cover this redemption')
}

/**
 * A redemption's postings made ready, not run: for the redemption functions of rewards.sql, which call
 * `ledger_post()` themselves inside their one statement (the transaction id, entry check and chain content
 * made here). ledger_post holds the conditions: available covers a hold (`needAvailable`); a settlement
 * needs the held points and settles the hold once (`needHeld`, `settles`).
 */
export function prepareHold(
  actor: Caller | null,
  p: { memberId: string; redemptionId: string; amountCents: number; memo: string },
): repo.PostInput {
  assertPositiveCents(p.amountCents, 'a hold')
  return preparePost(actor, {
    kind: 'hold',
    memberId: p.memberId,
    leg: legFor('hold', p.amountCents, null),
    memo: p.memo,
    referenceType: 'redemption',
    referenceId: p.redemptionId,
    needAvailable: p.amountCents,
  })
}

/** See prepareHold: 'post' moves the held points to `counterAccountId`, 'void' makes them available again. */
export function prepareSettlement(
  actor: Caller | null,
  kind: 'post' | 'void',
  p: {
    memberId: string
    redemptionId: string
    amountCents: number
    memo: string
    counterAccountId: string | null
  },
): repo.PostInput {
  return preparePost(actor, {
    kind,
    memberId: p.memberId,
    leg: legFor(kind, p.amountCents, p.counterAccountId),
    memo: p.memo,
    referenceType: 'redemption',
    referenceId: p.redemptionId,
    needHeld: p.amountCents,
    settles: p.redemptionId,
  })
}

/** The redemption account of a community office (created on first need): where captured points go. */
export async function redemptionAccountOf(tx: Db, communityUnitId: string): Promise<string> {
  return repo.ensureOfficeAccount(tx, 'redemption', { unitId: communityUnitId })
}
