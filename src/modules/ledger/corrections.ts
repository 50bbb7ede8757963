import { sql } from 'drizzle-orm'
import { type Db, one } from '../../db/client'
import type { LedgerKind } from '../../db/schema/ledger'
import { idempotent } from '../../plugins/idempotency'
import { type Caller, memberVisibleWhere, requireMemberAtHome, requireRole } from '../../shared/authz'
import { centsFromDb, formatCents, parseCents } from '../../shared/decimal'
import { DomainError, invalidState, notFound, validation } from '../../shared/errors'
import { recordAudit } from '../audit'
import { pointsPosted, recordEvent } from '../events'
import { ledgerMemo, legFor, REVERSIBLE_KINDS } from './domain'
import { transactionView } from './queries'
import * as repo from './repo'
import type { CreateAdjustmentBody, LedgerTransaction, ReverseBody } from './schemas'
import { postTransaction } from './service'

/**
 * Corrections a secretary makes by hand. Neither edits anything: an adjustment is a new posting against
 * the member's branch issuance account, a reversal a new posting that mirrors the original and names it.
 * Both need a reason (Body schema, the trim check here, and the CHECK ledger_transactions_reason_chk).
 */

/**
 * A correction draws on the member's home branch issuance account, so only a secretary over the
 * member's home unit may make it; a secretary of a community the member merely registered with (双报到)
 * sees the member but cannot move their points (404, as for anyone outside). Nobody corrects the points
 * of their own member record (403 recused), as nobody verifies their own hours or scores their own claim.
 */
async function requireSecretaryOverHome(tx: Db, caller: Caller, memberId: string, what = 'member') {
  const member = await requireMemberAtHome(tx, caller, memberId, ['secretary'], { allowSelf: false }).catch(
    () => {
      throw notFound(what)
    },
  )
  if (caller.memberId === member.id)
    throw new DomainError('recused', 'these are your own points: another secretary must correct them')
  return member
}

function requireReason(reason: string): string {
  const trimmed = reason.trim()
  if (!trimmed) throw validation('reason', 'is required')
  return trimmed
}

type Answer = { status: number; body: LedgerTransaction; replayed: boolean }

async function answer(tx: Db, id: string): Promise<{ status: number; body: LedgerTransaction }> {
  const view = await transactionView(tx, id)
  if (!view) throw new Error(`ledger transaction ${id} vanished`)
  return { status: 201, body: view }
}

export async function createAdjustment(
  db: Db,
  caller: Caller,
  key: string,
  body: CreateAdjustmentBody,
): Promise<Answer> {
  requireRole(caller, ['secretary']) // members (and other staff) can never adjust: 403
  const amount = parseCents(body.amount, 'amount')
  if (amount === 0) throw validation('amount', 'must not be zero')
  const reason = requireReason(body.reason)
  const request = { memberId: body.memberId.toLowerCase(), amount, reason }
  return idempotent(db, caller, key, 'createAdjustment', request, async (tx) => {
    const member = await requireSecretaryOverHome(tx, caller, request.memberId)
    await repo.ensureMemberAccount(tx, member.id)
    const issuance = await repo.ensureOfficeAccount(tx, 'issuance', { memberId: member.id })
    const posted = await postTransaction(tx, caller, {
      kind: 'adjustment',
      memberId: member.id,
      leg: legFor('adjustment', amount, issuance),
      memo: ledgerMemo.adjustment(reason),
      reason,
    })
    if (!posted) throw new Error('member account vanished')
    await recordAudit(tx, caller, {
      action: 'ledger.adjust',
      targetType: 'ledger_transaction',
      targetId: posted.transactionId,
      orgUnitId: member.orgUnitId,
      after: {
        memberId: member.id,
        amount: formatCents(amount),
        reason,
        balanceAfter: formatCents(posted.balance),
      },
    })
    await recordEvent(
      tx,
      pointsPosted({
        orgUnitId: member.orgUnitId,
        memberId: member.id,
        transactionId: posted.transactionId,
        kind: 'adjustment',
        amountCents: amount,
        memo: ledgerMemo.adjustment(reason),
        reason,
      }),
    )
    return answer(tx, posted.transactionId)
  })
}

interface OriginalRow {
  id: string
  kind: LedgerKind
  memberId: string
  memo: string
  amount: string
  counterAccountId: string | null
  reversedBy: string | null
}

export async function reverseTransaction(
  db: Db,
  caller: Caller,
  key: string,
  transactionId: string,
  body: ReverseBody,
): Promise<Answer> {
  requireRole(caller, ['secretary'])
  const reason = requireReason(body.reason)
  const request = { transactionId: transactionId.toLowerCase(), reason }
  return idempotent(db, caller, key, 'reverseTransaction', request, async (tx) => {
    const original = await one<OriginalRow>(
      tx,
      sql`select t.id, t.kind, t.member_id as "memberId", t.memo,
                 (select e.amount from ledger_entries e where e.transaction_id = t.id and e.account_id = t.account_id) as amount,
                 (select e.account_id from ledger_entries e where e.transaction_id = t.id and e.account_id <> t.account_id) as "counterAccountId",
                 (select r.id from ledger_transactions r where r.kind = 'reversal' and r.reference_id = t.id) as "reversedBy"
          from ledger_transactions t
         where t.id = ${request.transactionId}
           and ${memberVisibleWhere(sql`t.member_id`, caller, ['secretary'], { allowSelf: false, homeOnly: true })}`,
    )
    if (!original) throw notFound('ledger transaction')
    const member = await requireSecretaryOverHome(tx, caller, original.memberId, 'ledger transaction')
    if (!REVERSIBLE_KINDS.includes(original.kind)) {
      throw invalidState(
        `a ${original.kind} cannot be reversed: only awards, deductions and adjustments can (holds are settled through their redemption)`,
      )
    }
    if (original.reversedBy) throw invalidState('this transaction is already reversed')
    const amount = -centsFromDb(original.amount)
    // Reversal of a posting made before the counter account existed is impossible: every balance
    // movement has its counter entry (sum to zero), so counterAccountId is always there for these kinds.
    const posted = await postTransaction(tx, caller, {
      kind: 'reversal',
      memberId: original.memberId,
      leg: legFor('reversal', amount, original.counterAccountId),
      memo: ledgerMemo.reversal(original.memo),
      reason,
      referenceType: 'transaction',
      referenceId: original.id,
    })
    if (!posted) throw new Error('member account vanished')
    await recordAudit(tx, caller, {
      action: 'ledger.reverse',
      targetType: 'ledger_transaction',
      targetId: posted.transactionId,
      orgUnitId: member.orgUnitId,
      before: { transactionId: original.id, kind: original.kind, amount: formatCents(-amount) },
      after: { amount: formatCents(amount), reason, balanceAfter: formatCents(posted.balance) },
    })
    await recordEvent(
      tx,
      pointsPosted({
        orgUnitId: member.orgUnitId,
        memberId: member.id,
        transactionId: posted.transactionId,
        kind: 'reversal',
        amountCents: amount,
        memo: ledgerMemo.reversal(original.memo),
        reason,
        reference: { type: 'transaction', id: original.id },
      }),
    )
    return answer(tx, posted.transactionId)
  })
}
