import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { sendIdempotent } from '../../plugins/idempotency'
import type { Caller } from '../../shared/authz'
import { acceptNote, csvFileResponse, sendCsv, toCsv, wantsCsv } from '../../shared/csv'
import { pdfFileResponse, sendPdf, wantsPdf } from '../../shared/pdf'
import { IdempotencyHeaders, IdParams, Page, problems } from '../../shared/schemas'
import { createClaim, getClaim, listClaims, withdrawClaim } from './claims'
import { createClaimsBatch } from './claims-batch'
import { finalizeRound } from './finalize'
import { fileObjection, listObjections, resolveObjection } from './objections'
import { getRoundResults } from './results'
import { getRoundResultsPdf } from './results-pdf'
import { closeScoring, createScoringRound, getScoringRound, listScoringRounds, submitScore } from './rounds'
import {
  Claim,
  ClaimsBatch,
  CreateClaimBody,
  CreateClaimsBatchBody,
  CreateRoundBody,
  FinalizeResult,
  ListClaimsQuery,
  ListObjectionsQuery,
  ListRoundsQuery,
  Objection,
  ObjectionBody,
  ResolveBody,
  ResultItem,
  ResultsQuery,
  Round,
  RoundClaimParams,
  RoundSummary,
  Score,
  ScoreBody,
} from './schemas'

type ResultRow = Awaited<ReturnType<typeof getRoundResults>>['items'][number]

const RESULT_COLUMNS = [
  { header: 'claimId', value: (r: ResultRow) => r.claimId },
  { header: 'memberId', value: (r: ResultRow) => r.memberId },
  { header: 'memberName', value: (r: ResultRow) => r.memberName },
  { header: 'itemCode', value: (r: ResultRow) => r.itemCode },
  { header: 'status', value: (r: ResultRow) => r.status },
  { header: 'ceiling', value: (r: ResultRow) => r.ceiling },
  { header: 'result', value: (r: ResultRow) => r.result },
  { header: 'spread', value: (r: ResultRow) => r.spread },
  { header: 'divergent', value: (r: ResultRow) => r.divergent },
  { header: 'awarded', value: (r: ResultRow) => r.awarded },
  { header: 'cappedAmount', value: (r: ResultRow) => r.cappedAmount },
  { header: 'panelPoints', value: (r: ResultRow) => r.scores.map((s) => s.points).join(' ') },
  { header: 'objections', value: (r: ResultRow) => r.objections.length },
]

export const scoringRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const tz = () => app.settings.timezone

  app.post(
    '/claims',
    {
      schema: {
        tags: ['claims'],
        operationId: 'createClaim',
        summary: 'Claim points under a rubric item (the member for self, or a secretary)',
        description:
          'The ceiling is min(pointsPerUnit * quantity, maxPerClaim), negative for deductions (which only a ' +
          'secretary records). Evidence must be the member’s own verified activities and confirmed requests; ' +
          'the same one backs at most one claim per item (409 conflict).',
        body: CreateClaimBody,
        response: { 201: Claim, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createClaim(app.db, request.caller, request.body, tz())),
  )

  app.post(
    '/claims/batch',
    {
      schema: {
        tags: ['claims'],
        operationId: 'createClaimsBatch',
        summary: '批量申报: the same claim for many members at once (secretary, Idempotency-Key)',
        description:
          'One submitted claim per member under one rubric item (a branch meeting, a month of dues), all or ' +
          'nothing: a member who is not at home in a unit where you are secretary is named in the 400 ' +
          '(`errors[].field` memberIds[i]) and nothing is filed. The claims share `batchId` and are scored by the ' +
          'panel like any other. The same Idempotency-Key and body answer the same batch again.',
        headers: IdempotencyHeaders,
        body: CreateClaimsBatchBody,
        response: { 201: ClaimsBatch, ...problems(403, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        createClaimsBatch(app.db, request.caller, request.headers['idempotency-key'], request.body, tz()),
      ),
  )

  app.get(
    '/claims',
    {
      schema: {
        tags: ['claims'],
        operationId: 'listClaims',
        summary: 'Claims you may see (your own; a secretary’s or panelist’s units), newest first',
        description:
          'Members see their own claims; secretaries and panelists the claims of members in their units. Filters: orgUnitId (subtree), memberId, status, roundId. Keyset pages, newest first.',
        querystring: ListClaimsQuery,
        response: { 200: Page(Claim), ...problems(403) },
      },
    },
    async (request) => listClaims(app.db, request.caller, request.query, tz()),
  )

  app.get(
    '/claims/:id',
    {
      schema: {
        tags: ['claims'],
        operationId: 'getClaim',
        summary: 'One claim',
        description:
          "The claimant, and secretaries and panelists over the member's unit; anyone else gets 404. `result` appears once the round closes; `awarded`, `cappedAmount`, `capReason` and `ledgerTransactionId` once it is finalized.",
        params: IdParams,
        response: { 200: Claim, ...problems(403, 404) },
      },
    },
    async (request) => getClaim(app.db, request.caller, request.params.id, tz()),
  )

  app.post(
    '/claims/:id/withdraw',
    {
      schema: {
        tags: ['claims'],
        operationId: 'withdrawClaim',
        summary: 'Withdraw a claim while it is submitted (claimant or secretary)',
        description:
          'Only while `submitted` (not yet taken into a round), else 409 invalid_state. Frees its evidence for a new claim under the same item.',
        params: IdParams,
        response: { 200: Claim, ...problems(403, 404, 409) },
      },
    },
    async (request) => withdrawClaim(app.db, request.caller, request.params.id, tz()),
  )

  app.post(
    '/scoring-rounds',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'createScoringRound',
        summary:
          'Open a round: takes in the unit’s submitted claims of the period that are in no other round',
        description:
          "The panel is users holding panelist or secretary over the unit (400 naming the others). Quorum defaults to a majority of the panel; aggregation to `mean`; publicityDays to the unit's inherited setting (5); divergenceThreshold to a third of each claim's ceiling. Takes in the unit's submitted claims under this rubric with occurredOn in the period that are in no other round (each claim lands in exactly one round, even when rounds are opened at once), except a claim whose member is the only panelist (nobody could score it); none: 409 invalid_state.",
        body: CreateRoundBody,
        response: { 201: Round, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createScoringRound(app.db, request.caller, request.body, tz())),
  )

  app.get(
    '/scoring-rounds',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'listScoringRounds',
        summary: 'Rounds you may see, newest first (filters: orgUnitId subtree, rubricId, status)',
        description:
          'Secretaries and panelists over the unit, the panel and the branch’s members see a round. Items are ' +
          'rounds without their claims; getScoringRound gives those.',
        querystring: ListRoundsQuery,
        response: { 200: Page(RoundSummary), ...problems(403) },
      },
    },
    async (request) => listScoringRounds(app.db, request.caller, request.query, tz()),
  )

  app.get(
    '/scoring-rounds/:id',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'getScoringRound',
        summary: 'A round with its claims and how many scores each has (values hidden until close)',
        description:
          "Secretaries and panelists over the unit, the round's panel and the branch's members. Per claim: how many scores it has and your own score; other panelists' values stay hidden until close. " +
          "For the panel and the secretaries and panelists over the unit, each claim's `detail` is what they score from, read in one go (a panelist who may not list members or read activities needs nothing else): the member's name (no phone, no identity document), the claim's date, quantity and description, each evidence activity's title, date and the member's verified hours, each service request's title, completion date, hours and rating, and the links. The branch's members get `detail: null`.",
        params: IdParams,
        response: { 200: Round, ...problems(403, 404) },
      },
    },
    async (request) => getScoringRound(app.db, request.caller, request.params.id, tz()),
  )

  app.put(
    '/scoring-rounds/:id/claims/:claimId/score',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'submitScore',
        summary: 'Give or change your score of a claim until close (own claim: 403 recused)',
        description:
          "Panelists of this round only (others 403). time, content and quality are integers 0-5; points lie between 0 and the claim's ceiling (between the ceiling and 0 for deductions), else 422 out_of_range. Your own claim: 403 recused. Replaces your earlier score until the claim's scoring closes (then 409 invalid_state).",
        params: RoundClaimParams,
        body: ScoreBody,
        response: { 200: Score, ...problems(403, 404, 409, 422) },
      },
    },
    async (request) =>
      submitScore(app.db, request.caller, request.params.id, request.params.claimId, request.body, tz()),
  )

  app.post(
    '/scoring-rounds/:id/close',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'closeScoring',
        summary:
          'Close scoring: results, spread, divergence; publicity starts (409 quorum_not_met names claims)',
        description:
          'Every claim being scored needs the quorum of panelists who may score it (the claimant is recused; never more than those left), else 409 quorum_not_met with `claimIds` and nothing changes. Computes each result (mean, median or trimmed mean, half-up to 0.01), `spread` and `divergent`, and opens publicity until the end of the day publicityDays later in the service time zone, never fewer than the 公示 floor (minPublicityDays) in force at close. After a rescore, closes only the reopened claims and publicity starts again.',
        params: IdParams,
        response: { 200: Round, ...problems(403, 404, 409) },
      },
    },
    async (request) => closeScoring(app.db, request.caller, request.params.id, tz()),
  )

  /** The whole round's results as CSV: getRoundResults (same access, same 409 before close), every row. */
  const resultsCsv = async (caller: Caller, roundId: string, reply: FastifyReply) => {
    const all = await getRoundResults(app.db, caller, roundId, { all: true }, tz())
    return sendCsv(reply, `round-${roundId}-results.csv`, toCsv(RESULT_COLUMNS, all.items))
  }

  app.get(
    '/scoring-rounds/:id/results',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'getRoundResults',
        summary: 'Results with every panel score and objection, after close',
        description:
          "After the first close (before: 409 invalid_state), to the branch's members, the panel and secretaries. A claim sent back for rescoring shows no result or scores until the round closes again." +
          acceptNote('text/csv', '/api/v1/scoring-rounds/{id}/results.csv') +
          acceptNote('application/pdf', '/api/v1/scoring-rounds/{id}/results.pdf'),
        'x-also-answers': { 'text/csv': 'exportRoundResultsCsv', 'application/pdf': 'getRoundResultsPdf' },
        params: IdParams,
        querystring: ResultsQuery,
        response: { 200: Page(ResultItem), ...problems(403, 404, 409) },
      },
    },
    async (request, reply) => {
      if (wantsCsv(request)) return resultsCsv(request.caller, request.params.id, reply)
      if (wantsPdf(request)) return resultsPdf(request.caller, request.params.id, reply)
      return getRoundResults(app.db, request.caller, request.params.id, request.query, tz())
    },
  )

  app.get(
    '/scoring-rounds/:id/results.csv',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'exportRoundResultsCsv',
        summary: "The whole round's results as CSV, for a spreadsheet",
        description:
          'Every result of getRoundResults (the same access; before the first close 409 invalid_state), one ' +
          'row per claim.',
        params: IdParams,
        response: { 200: csvFileResponse("The round's results"), ...problems(403, 404, 409) },
      },
    },
    async (request, reply) => resultsCsv(request.caller, request.params.id, reply),
  )

  /** 公示栏: the results as the A4 notice-board sheet (results-pdf.ts), the same access as getRoundResults. */
  const resultsPdf = async (caller: Caller, roundId: string, reply: FastifyReply) =>
    sendPdf(reply, `round-${roundId}-results.pdf`, await getRoundResultsPdf(app.db, caller, roundId, tz()))

  app.get(
    '/scoring-rounds/:id/results.pdf',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'getRoundResultsPdf',
        summary: 'The round’s results as the A4 notice-board sheet (公示栏)',
        description:
          'The results of getRoundResults (the same access; before the first close 409 invalid_state) as a ' +
          'printable A4 sheet in Chinese for the notice board: the unit, the rubric and period, each member’s ' +
          'items and points with a subtotal, the publicity window in the service time zone, and how and until ' +
          'when to object (the unit setting objectionNotice, inherited, else a standard sentence). Chinese is ' +
          'embedded as a Noto Sans SC subset.',
        params: IdParams,
        response: {
          200: pdfFileResponse('The notice-board sheet as a PDF'),
          ...problems(403, 404, 409),
        },
      },
    },
    async (request, reply) => resultsPdf(request.caller, request.params.id, reply),
  )

  app.post(
    '/claims/:id/objections',
    {
      schema: {
        tags: ['claims'],
        operationId: 'fileObjection',
        summary: 'Object to a result during publicity (members of the branch)',
        description:
          "Any member of the round's branch, while the result is on public notice (else 409 invalid_state); one open objection per member and claim (409 conflict). Users without a member record: 403.",
        params: IdParams,
        body: ObjectionBody,
        response: { 201: Objection, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(await fileObjection(app.db, request.caller, request.params.id, request.body.reason, tz())),
  )

  app.get(
    '/objections',
    {
      schema: {
        tags: ['claims'],
        operationId: 'listObjections',
        summary: 'A round’s objections, oldest first (filter: status, e.g. open ones to answer)',
        description:
          'For whoever may see the round. The whole round’s list in one page (a round has few objections).',
        querystring: ListObjectionsQuery,
        response: { 200: Page(Objection), ...problems(403, 404) },
      },
    },
    async (request) => listObjections(app.db, request.caller, request.query, tz()),
  )

  app.post(
    '/objections/:id/resolve',
    {
      schema: {
        tags: ['claims'],
        operationId: 'resolveObjection',
        summary: 'Answer an objection: upheld (with a reply) or rescore (back to the panel)',
        description:
          "A secretary over the round's unit answers an open objection (else 409 invalid_state). `upheld` keeps the result with the written reply; `rescore` sends the claim back to the panel for a fresh scoring (earlier scores no longer count) and the round back to scoring; publicity starts again when it closes.",
        params: IdParams,
        body: ResolveBody,
        response: { 200: Objection, ...problems(403, 404, 409) },
      },
    },
    async (request) => resolveObjection(app.db, request.caller, request.params.id, request.body, tz()),
  )

  app.post(
    '/scoring-rounds/:id/finalize',
    {
      schema: {
        tags: ['scoring'],
        operationId: 'finalizeRound',
        summary:
          'After publicity, with no open objection: post every result to the ledger once, capped per year',
        description:
          "Only after publicity ended and with no open objection (else 409 invalid_state). Posts each result as one ledger transaction referencing the claim (award or deduction), dated the claim's occurredOn, exactly once even when finalizes race. Applies the item's capPerYear per member and year (in magnitude, deductions too): awards what is left and records `cappedAmount` and `capReason` on the claim. `posted` counts the ledger transactions made, `totalPoints` their net sum.",
        params: IdParams,
        headers: IdempotencyHeaders,
        response: { 200: FinalizeResult, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        finalizeRound(app.db, request.caller, request.params.id, request.headers['idempotency-key']),
      ),
  )
}
