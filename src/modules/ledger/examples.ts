import { EX, type OperationExamples } from '../../plugins/openapi'

// Examples of the ledger operations for /docs (see src/plugins/openapi-examples.ts). 张建国's account: 3.33
// points from the December round, 2.00 added by hand, 12.50 held for a redemption.

const ACCOUNT = {
  zhang: '5141455a-471e-4226-8422-82fb4f202252',
  /** The branch's issuance account: awards and adjustments are booked against it. */
  issuance: '6e34bfe1-10e0-4dd4-a40f-da94846ec9c8',
}
const REASON = '补记 11 月 28 日楼道消毒 2 小时（签到表遗漏）'

const entries = (amount: string, negated: string, balanceAfter: string) => [
  {
    accountId: ACCOUNT.zhang,
    accountKind: 'member',
    orgUnitId: EX.unit.branch,
    memberId: EX.member.zhang,
    amount,
    heldChange: '0.00',
    balanceAfter,
  },
  {
    accountId: ACCOUNT.issuance,
    accountKind: 'issuance',
    orgUnitId: EX.unit.branch,
    memberId: null,
    amount: negated,
    heldChange: '0.00',
    balanceAfter: null,
  },
]
const adjustment = {
  id: EX.tx.adjustment,
  kind: 'adjustment',
  memberId: EX.member.zhang,
  memo: `调整：${REASON}`,
  reason: REASON,
  referenceType: null,
  referenceId: null,
  reversedBy: null,
  effectiveDate: '2026-12-11',
  actorUserId: EX.user.secretary,
  createdAt: '2026-12-11T10:12:31.408+08:00',
  entries: entries('2.00', '-2.00', '36.50'),
}
const reversal = {
  ...adjustment,
  id: EX.tx.reversal,
  kind: 'reversal',
  memo: `冲正：调整：${REASON}`,
  reason: '与 12 月 10 日的评议结果重复计分',
  referenceType: 'transaction',
  referenceId: EX.tx.adjustment,
  createdAt: '2026-12-11T10:20:05.771+08:00',
  entries: entries('-2.00', '2.00', '34.50'),
}

const keyReused = {
  code: 'idempotency_key_reused' as const,
  detail: 'this Idempotency-Key was already used with a different request; use a new key for a new request',
}
const recused = {
  code: 'recused' as const,
  detail: 'these are your own points: another secretary must correct them',
}

export const ledgerExamples: OperationExamples = {
  getBalance: {
    description: "The member's points: balance, held for redemptions, available and lifetime earned",
    response: {
      memberId: EX.member.zhang,
      balance: '36.50',
      held: '12.50',
      available: '24.00',
      lifetimeEarned: '48.50',
      volunteerStar: '一星',
    },
  },
  listMemberLedger: {
    description: 'A page of ledger rows, newest first, each with the balance after it',
    response: {
      items: [
        {
          transactionId: '01a267e9-3738-7255-b320-2195bfbaaaf4',
          kind: 'hold',
          referenceType: 'redemption',
          referenceId: '01a267e9-3701-7c4e-9d2a-5b8f0c3e71a2',
          amount: '0.00',
          balanceAfter: '36.50',
          heldChange: '12.50',
          heldAfter: '12.50',
          memo: '兑换预留：洗衣液 2kg × 1',
          effectiveDate: '2026-12-12',
          createdAt: '2026-12-12T09:41:07.316+08:00',
        },
        {
          transactionId: EX.tx.adjustment,
          kind: 'adjustment',
          referenceType: null,
          referenceId: null,
          amount: '2.00',
          balanceAfter: '36.50',
          heldChange: '0.00',
          heldAfter: '0.00',
          memo: `调整：${REASON}`,
          effectiveDate: '2026-12-11',
          createdAt: '2026-12-11T10:12:31.408+08:00',
        },
        {
          transactionId: EX.tx.award,
          kind: 'award',
          referenceType: 'claim',
          referenceId: EX.claim,
          amount: '3.33',
          balanceAfter: '34.50',
          heldChange: '0.00',
          heldAfter: '0.00',
          memo: '评分结果：人居环境整治（ENVIRON）',
          effectiveDate: '2026-12-05',
          createdAt: '2026-12-10T09:00:00.000+08:00',
        },
      ],
      nextCursor:
        'WyIyMDI2LTEyLTEwVDA5OjAwOjAwLjAwMCswODowMCIsIjAxYTI1ZDc2LWRhODAtN2NkZi1iNDM5LThiODQ1NTI5ODI1OCJd',
    },
  },
  getLedgerTransaction: {
    description: 'The transaction with every entry (the member account and the account against it)',
    response: { ...adjustment, reversedBy: EX.tx.reversal },
  },
  createAdjustment: {
    description: 'The adjustment, posted (the same key and body answer it again)',
    request: { memberId: EX.member.zhang, amount: '2.00', reason: REASON },
    response: adjustment,
    invalid: { memberId: EX.member.zhang, amount: '2.005', reason: REASON },
    errors: {
      403: [{ code: 'forbidden', detail: 'your roles do not allow this action' }, recused],
      404: { code: 'not_found', detail: 'member not found' },
      409: keyReused,
    },
  },
  reverseTransaction: {
    description: 'The reversal, posted: the original amount booked back once',
    request: { reason: '与 12 月 10 日的评议结果重复计分' },
    response: reversal,
    errors: {
      403: recused,
      404: { code: 'not_found', detail: 'ledger transaction not found' },
      409: [
        { code: 'invalid_state', detail: 'this transaction is already reversed' },
        {
          code: 'invalid_state',
          detail:
            'a hold cannot be reversed: only awards, deductions and adjustments can (holds are settled through their redemption)',
        },
        keyReused,
      ],
    },
  },
  verifyLedger: {
    description: 'What the re-check found: ok, or every problem (sums, cached balances, hash chains)',
    response: { ok: true, checkedTransactions: 1284, checkedAccounts: 97, problemCount: 0, problems: [] },
  },
}
