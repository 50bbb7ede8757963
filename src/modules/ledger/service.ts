import type { Db } from '../../db/client'
import { pgConstraint, pgErrorCode } from '../../db/client'
import type { LedgerKind } from '../../db/schema/ledger'
import { centsFromDb } from '../../shared/decimal'
import { DomainError, invalidState, notFound } from '../../shared/errors'
import { newId } from '../../shared/ids'
import type { Caller } from '../identity/scope'
import { assertBalanced, canonicalContent, entriesOf, type Leg, legFor } from './domain'
import * as repo from './repo'

/**
 * The internal ledger API (the contract in notes/ledger-api.md). Every function takes the caller's open
 * transaction `tx` and never opens its own, so a posting commits or rolls back with the caller's change.
 * Nothing else writes ledger tables.
 *
 * Where each invariant lives:
 * - sum to zero: domain.assertBalanced (TS) and the deferred trigger ledger_transactions_balanced (SQL);
 * - available never negative through a hold: the conditional UPDATE in repo.post (`balance - held >=`),
 *   the CHECK ledger_entries_hold_covered_chk and the trigger ledger_accounts_hold_covered (SQL);
 * - cached balance = entries: repo.post changes both in one statement; the deferred trigger
 *   ledger_accounts_cache_justified refuses any other change at commit; verifyLedger re-adds everything;
 * - exactly once per claim / hold / settlement / reversal: partial unique indexes on ledger_transactions;
 * - append-only: triggers ledger_*_append_only; tamper evidence: the per-member hash chain (repo.post).
 */

export interface BalanceCents {
  balance: number
  held: number
  available: number
  lifetimeEarned: number
}

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
 * Checks the entries, builds the chain content and runs the one-statement posting. Used by the
 * functions below and by the HTTP corrections (corrections.ts).
 */
export async function postTransaction(
  tx: Db,
  actor: Caller | null,
  p: Posting,
): Promise<PostedTransaction | undefined> {
  return postPrepared(tx, preparePost(actor, p))
}

async function postPrepared(tx: Db, input: repo.PostInput): Promise<PostedTransaction | undefined> {
  try {
    const row = await repo.post(tx, input)
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

/**
 * Posts a scoring result: amountCents > 0 is an award (branch issuance account -> member), < 0 a
 * deduction (member -> branch issuance account; may take the balance below zero). Exactly once per claim
 * (unique index ledger_transactions_claim_uq): a second call returns the first transaction, created=false.
 */
export async function postClaimResult(
  tx: Db,
  actor: Caller | null,
  p: { memberId: string; claimId: string; amountCents: number; memo: string; effectiveDate: string },
): Promise<{ transactionId: string; created: boolean }> {
  if (!Number.isSafeInteger(p.amountCents) || p.amountCents === 0) {
    throw new Error('a claim result must be a non-zero integer of hundredths')
  }
  const existing = await repo.findClaimPosting(tx, p.claimId)
  if (existing) return { transactionId: existing, created: false }
  if (!(await repo.ensureMemberAccount(tx, p.memberId))) throw notFound('member')
  const issuance = await repo.ensureOfficeAccount(tx, 'issuance', { memberId: p.memberId })
  const kind = p.amountCents > 0 ? 'award' : 'deduction'
  const posted = await postTransaction(tx, actor, {
    kind,
    memberId: p.memberId,
    leg: legFor(kind, p.amountCents, issuance),
    memo: p.memo,
    referenceType: 'claim',
    referenceId: p.claimId,
    effectiveDate: p.effectiveDate,
  })
  if (!posted) throw new Error(`member account of ${p.memberId} vanished`)
  return { transactionId: posted.transactionId, created: true }
}

export interface ClaimResult {
  memberId: string
  claimId: string
  amountCents: number
  memo: string
  effectiveDate: string
}

/**
 * postClaimResult for many claims with a constant number of statements instead of ~6 per claim (a round's
 * finalize): the claims' advisory locks and existing postings, the member and issuance accounts, then one
 * set-based posting per wave of distinct members (a member with n claims is in n waves, in the given
 * order, so each wave moves each account one chain step). Same guarantees: exactly once per claim (the
 * unique index still decides), the hash chain and cached state as repo.post writes them, the deferred
 * checks at commit. Returns claimId -> the posting, created=false when the claim was already posted.
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
    else if (!out.has(c.claimId)) todo.push(c)
  }
  if (todo.length === 0) return out
  const members = [...new Set(todo.map((c) => c.memberId.toLowerCase()))]
  await repo.ensureMemberAccounts(tx, members)
  const issuance = await repo.ensureIssuanceAccounts(tx, members)
  // Waves: the k-th claim of every member goes into wave k.
  const waves: { claim: ClaimResult; input: repo.PostInput }[][] = []
  const seen = new Map<string, number>()
  for (const c of todo) {
    const memberId = c.memberId.toLowerCase()
    const counter = issuance.get(memberId)
    if (!counter) throw notFound('member')
    const k = seen.get(memberId) ?? 0
    seen.set(memberId, k + 1)
    const kind = c.amountCents > 0 ? 'award' : 'deduction'
    const input = preparePost(actor, {
      kind,
      memberId,
      leg: legFor(kind, c.amountCents, counter),
      memo: c.memo,
      referenceType: 'claim',
      referenceId: c.claimId,
      effectiveDate: c.effectiveDate,
    })
    if (!waves[k]) waves[k] = []
    waves[k].push({ claim: c, input })
  }
  for (const wave of waves) {
    let rows: Awaited<ReturnType<typeof repo.postMany>>
    try {
      rows = await repo.postMany(
        tx,
        wave.map((w) => w.input),
      )
    } catch (err) {
      throw translateUniqueViolation(err)
    }
    const byId = new Set(rows.map((r) => r.id))
    for (const w of wave) {
      if (!byId.has(w.input.id)) throw notFound('member')
      out.set(w.claim.claimId, { transactionId: w.input.id, created: true })
    }
  }
  return out
}

/**
 * Holds points for a redemption (one hold per redemptionId). The conditional UPDATE
 * `balance - held >= amount` decides, so concurrent holds in any number of processes cannot overdraw.
 */
export async function holdPoints(
  tx: Db,
  actor: Caller | null,
  p: { memberId: string; redemptionId: string; amountCents: number; memo: string },
): Promise<{ holdId: string; transactionId: string }> {
  const posted = await postPrepared(tx, prepareHold(actor, p))
  if (!posted) throw insufficientPoints()
  // The hold is identified by its transaction: it is settled by the post or void naming the same redemption.
  return { holdId: posted.transactionId, transactionId: posted.transactionId }
}

async function settleHold(
  tx: Db,
  actor: Caller | null,
  kind: 'post' | 'void',
  redemptionId: string,
  memo: string,
  communityUnitId: string | null,
): Promise<{ transactionId: string }> {
  const hold = await repo.findHold(tx, redemptionId)
  if (!hold) throw invalidState('this redemption holds no points')
  if (hold.settledBy) throw invalidState(`the hold of this redemption is already ${hold.settledBy}ed`)
  const amount = centsFromDb(hold.amount)
  const counter = communityUnitId
    ? await repo.ensureOfficeAccount(tx, 'redemption', { unitId: communityUnitId })
    : null
  const posted = await postPrepared(
    tx,
    prepareSettlement(actor, kind, {
      memberId: hold.memberId,
      redemptionId,
      amountCents: amount,
      memo,
      counterAccountId: counter,
    }),
  )
  if (!posted) throw invalidState('the hold of this redemption is already settled')
  return { transactionId: posted.transactionId }
}

/** Posts the hold: the points leave the member for the community office's redemption account. Once. */
export async function captureHold(
  tx: Db,
  actor: Caller | null,
  p: { redemptionId: string; communityUnitId: string; memo: string },
): Promise<{ transactionId: string }> {
  return settleHold(tx, actor, 'post', p.redemptionId, p.memo, p.communityUnitId)
}

/** Voids the hold: the points are available again. Once. */
export async function releaseHold(
  tx: Db,
  actor: Caller | null,
  p: { redemptionId: string; memo: string },
): Promise<{ transactionId: string }> {
  return settleHold(tx, actor, 'void', p.redemptionId, p.memo, null)
}

export function insufficientPoints(): DomainError {
  return new DomainError('insufficient_points', 'the available points do not cover this redemption')
}

/**
 * A redemption's postings made ready, not run: for the redemption functions of migration 0026, which call
 * `ledger_post()` themselves inside their one statement. Same transaction id, entry check and chain content
 * as holdPoints / captureHold / releaseHold; the same conditions (available covers a hold; a settlement needs
 * the hold and settles it once) are in ledger_post.
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

/** Balance, held, available = balance - held, lifetimeEarned (every movement except redemptions). */
export async function getBalanceCents(db: Db, memberId: string): Promise<BalanceCents> {
  const row = await repo.readBalance(db, memberId)
  const balance = centsFromDb(row?.balance)
  const held = centsFromDb(row?.held)
  return { balance, held, available: balance - held, lifetimeEarned: centsFromDb(row?.earned) }
}
