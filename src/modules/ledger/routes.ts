import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { sendIdempotent } from '../../plugins/idempotency'
import type { Caller } from '../../shared/authz'
import {
  acceptNote,
  alsoAnswers,
  csvFileResponse,
  sendCsv,
  toCsv,
  wantsCsv,
  withoutPaging,
} from '../../shared/csv'
import { IdempotencyHeaders, IdParams, Page, problems } from '../../shared/schemas'
import { createAdjustment, reverseTransaction } from './corrections'
import { exportMemberLedger, getBalance, getLedgerTransaction, listMemberLedger } from './queries'
import {
  Balance,
  CreateAdjustmentBody,
  LedgerQuery,
  LedgerRow,
  LedgerTransaction,
  ReverseBody,
  VerifyQuery,
  VerifyResult,
} from './schemas'
import { verifyLedger } from './verify'

const tags = ['ledger']

const ledgerCsvText = (rows: LedgerRow[]) =>
  toCsv(
    [
      { header: 'createdAt', value: (r) => r.createdAt },
      { header: 'effectiveDate', value: (r) => r.effectiveDate },
      { header: 'kind', value: (r) => r.kind },
      { header: 'amount', value: (r) => r.amount },
      { header: 'balanceAfter', value: (r) => r.balanceAfter },
      { header: 'heldChange', value: (r) => r.heldChange },
      { header: 'heldAfter', value: (r) => r.heldAfter },
      { header: 'memo', value: (r) => r.memo },
      { header: 'transactionId', value: (r) => r.transactionId },
    ],
    rows,
  )

export const ledgerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/members/:id/balance',
    {
      schema: {
        tags,
        operationId: 'getBalance',
        summary: "A member's points: balance, held, available and lifetime earned",
        description:
          'available = balance - held. lifetimeEarned counts every movement except redemptions (scoring ' +
          'results, deductions, adjustments and their reversals). volunteerStar: the 志愿者星级 their cumulative ' +
          'verified hours reach (see the unit setting volunteerStars). The member, or staff whose units cover them.',
        params: IdParams,
        response: { 200: Balance, ...problems(403, 404) },
      },
    },
    async (request) => getBalance(app.db, request.caller, request.params.id),
  )

  /** The member's ledger over the period as CSV: the same access and rows as listMemberLedger, every row. */
  const ledgerCsv = async (caller: Caller, memberId: string, query: LedgerQuery, reply: FastifyReply) => {
    const all = await exportMemberLedger(app.db, caller, memberId, query, app.settings.timezone)
    return sendCsv(reply, `ledger-${memberId}.csv`, ledgerCsvText(all))
  }

  app.get(
    '/members/:id/ledger',
    {
      schema: {
        tags,
        operationId: 'listMemberLedger',
        summary: "A member's ledger, newest first",
        description:
          'Each row is one transaction as it touched the member: the amount, the balance after it, and the ' +
          'held points it reserved or released. `from`/`to` are dates of `createdAt` in the service time ' +
          'zone, both included.' +
          acceptNote('text/csv', '/api/v1/members/{id}/ledger.csv'),
        ...alsoAnswers('text/csv', 'exportMemberLedgerCsv'),
        params: IdParams,
        querystring: LedgerQuery,
        response: { 200: Page(LedgerRow), ...problems(403, 404) },
      },
    },
    async (request, reply) => {
      const { caller, params, query } = request
      if (wantsCsv(request)) return ledgerCsv(caller, params.id, query, reply)
      return listMemberLedger(app.db, caller, params.id, query, app.settings.timezone)
    },
  )

  app.get(
    '/members/:id/ledger.csv',
    {
      schema: {
        tags,
        operationId: 'exportMemberLedgerCsv',
        summary: "A member's ledger over a period as CSV, every row",
        description:
          'The rows of listMemberLedger (the same access and `from`/`to`), newest first, all of them: ' +
          'createdAt, effectiveDate, kind, amount, balanceAfter, heldChange, heldAfter, memo, transactionId.',
        params: IdParams,
        querystring: withoutPaging(LedgerQuery),
        response: { 200: csvFileResponse("The member's ledger rows"), ...problems(403, 404) },
      },
    },
    async (request, reply) => ledgerCsv(request.caller, request.params.id, request.query, reply),
  )

  app.get(
    '/ledger/transactions/:id',
    {
      schema: {
        tags,
        operationId: 'getLedgerTransaction',
        summary: 'One ledger transaction with all its entries',
        description:
          'The member it belongs to, or a secretary, grid worker or clerk whose units cover that member ' +
          '(home unit or 双报到 community); anyone else: 404; a user with none of these roles and no member ' +
          'record: 403. Shows every entry (they sum to zero), what it references (claim, redemption or ' +
          'reversed transaction) and `reversedBy` once it has been reversed.',
        params: IdParams,
        response: { 200: LedgerTransaction, ...problems(403, 404) },
      },
    },
    async (request) => getLedgerTransaction(app.db, request.caller, request.params.id),
  )

  app.post(
    '/ledger/adjustments',
    {
      schema: {
        tags,
        operationId: 'createAdjustment',
        summary: "Adjust a member's points by hand (secretary, Idempotency-Key)",
        description:
          'A signed amount against the branch issuance account; `reason` is required and kept on the ' +
          'transaction. A negative adjustment may leave a debt (negative balance).',
        headers: IdempotencyHeaders,
        body: CreateAdjustmentBody,
        response: { 201: LedgerTransaction, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        createAdjustment(app.db, request.caller, request.headers['idempotency-key'], request.body),
      ),
  )

  app.post(
    '/ledger/transactions/:id/reverse',
    {
      schema: {
        tags,
        operationId: 'reverseTransaction',
        summary: 'Reverse an award, deduction or adjustment, once (secretary, Idempotency-Key)',
        description:
          'Posts the mirror image of the original, naming it. A transaction is reversed at most once ' +
          '(409 invalid_state after that); holds, posts and voids are settled through their redemption.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ReverseBody,
        response: { 201: LedgerTransaction, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        reverseTransaction(
          app.db,
          request.caller,
          request.headers['idempotency-key'],
          request.params.id,
          request.body,
        ),
      ),
  )

  app.get(
    '/ledger/verify',
    {
      schema: {
        tags,
        operationId: 'verifyLedger',
        summary: 'Re-check the ledger of a unit: sums, cached balances and the tamper-evident hash chains',
        description:
          'Secretary over the unit (default: every unit the caller is secretary of). Lists the first 1,000 ' +
          'problems found and counts them all (`problemCount`); `ok` is true when there is none.',
        querystring: VerifyQuery,
        response: { 200: VerifyResult, ...problems(403, 404) },
      },
    },
    async (request) => verifyLedger(app.db, request.caller, request.query),
  )
}
