import Type, { type Static } from 'typebox'
import { LEDGER_KINDS } from '../../db/schema/ledger'
import {
  Body,
  Count,
  DateString,
  DateTime,
  Decimal,
  DecimalInput,
  Id,
  PageQuery,
  Text,
} from '../../shared/schemas'

const Kind = Type.Enum(LEDGER_KINDS, {
  description:
    'award / deduction (scoring results), adjustment, reversal, hold (points reserved for a redemption), ' +
    'post (the held points paid out at hand-over), void (the hold released)',
})

/** Memos are written by the service: a reason (500) or an item code and name with a claim id fit easily. */
const Memo = Text(1000)
const Reason = Text(500)
/** Problems verifyLedger lists (problemCount counts them all). */
export const MAX_VERIFY_PROBLEMS = 1000

export const Balance = Type.Object({
  memberId: Id,
  balance: Decimal,
  held: Decimal,
  available: Decimal,
  lifetimeEarned: Decimal,
  volunteerStar: Type.Union([Text(20), Type.Null()], {
    description:
      "志愿者星级 the member's cumulative verified hours reach (stars their home unit inherits; default 一星 100 h, " +
      '二星 300 h, 三星 600 h, 四星 1,000 h, 五星 1,500 h); null below the first',
  }),
})
export type Balance = Static<typeof Balance>

export const LedgerQuery = Type.Object({
  from: Type.Optional(DateString),
  to: Type.Optional(DateString),
  ...PageQuery,
})
export type LedgerQuery = Static<typeof LedgerQuery>

/** What a transaction is about, for programs (the memo is for people): the claim, the redemption or the reversed transaction. */
const ReferenceType = Type.Union(
  [Type.Literal('claim'), Type.Literal('redemption'), Type.Literal('transaction'), Type.Null()],
  {
    description:
      'claim (award, deduction), redemption (hold, post, void), transaction (reversal: the one reversed); null: adjustment',
  },
)

export const LedgerRow = Type.Object({
  transactionId: Id,
  kind: Kind,
  referenceType: ReferenceType,
  referenceId: Type.Union([Id, Type.Null()]),
  amount: Decimal,
  balanceAfter: Decimal,
  heldChange: { ...Decimal, description: 'Change of held points (holds +, posts and voids -)' },
  heldAfter: Decimal,
  memo: Memo,
  effectiveDate: DateString,
  createdAt: DateTime,
})
export type LedgerRow = Static<typeof LedgerRow>

export const LedgerEntry = Type.Object({
  accountId: Id,
  accountKind: Type.Union([Type.Literal('member'), Type.Literal('issuance'), Type.Literal('redemption')]),
  orgUnitId: Id,
  memberId: Type.Union([Id, Type.Null()]),
  amount: Decimal,
  heldChange: Decimal,
  balanceAfter: Type.Union([Decimal, Type.Null()], { description: 'Member accounts only' }),
})

export const LedgerTransaction = Type.Object({
  id: Id,
  kind: Kind,
  memberId: Id,
  memo: Memo,
  reason: Type.Union([Reason, Type.Null()]),
  referenceType: ReferenceType,
  referenceId: Type.Union([Id, Type.Null()]),
  reversedBy: Type.Union([Id, Type.Null()], { description: 'The reversal of this transaction, if any' }),
  effectiveDate: DateString,
  actorUserId: Type.Union([Id, Type.Null()]),
  createdAt: DateTime,
  entries: Type.Array(LedgerEntry, {
    maxItems: 10,
    description: 'Double entry: the member account and, when points move, the office account against it',
  }),
})
export type LedgerTransaction = Static<typeof LedgerTransaction>

export const CreateAdjustmentBody = Body({
  memberId: Id,
  amount: DecimalInput,
  reason: Text(500, { minLength: 1 }),
})
export type CreateAdjustmentBody = Static<typeof CreateAdjustmentBody>

export const ReverseBody = Body({ reason: Text(500, { minLength: 1 }) })
export type ReverseBody = Static<typeof ReverseBody>

export const VerifyQuery = Type.Object({
  orgUnitId: Type.Optional(Id),
})

export const VerifyProblem = Type.Object({
  type: Type.String({
    enum: [
      'unbalanced',
      'balance_mismatch',
      'held_mismatch',
      'earned_mismatch',
      'running_balance_mismatch',
      'chain_broken',
      'chain_head_mismatch',
    ],
  }),
  detail: Text(1000),
  transactionId: Type.Optional(Id),
  accountId: Type.Optional(Id),
  memberId: Type.Optional(Id),
})

export const VerifyResult = Type.Object({
  ok: Type.Boolean(),
  checkedTransactions: Count(),
  checkedAccounts: Count(),
  problemCount: Count('Every problem found; `problems` lists the first 1,000'),
  problems: Type.Array(VerifyProblem, { maxItems: MAX_VERIFY_PROBLEMS }),
})
export type VerifyResult = Static<typeof VerifyResult>
