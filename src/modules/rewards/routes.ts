import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyInstance } from 'fastify'
import { sendIdempotent } from '../../plugins/idempotency'
import { IdempotencyHeaders, IdParams, Page, problems } from '../../shared/schemas'
import * as counter from './counter'
import type { RewardsContext } from './dto'
import * as redemptions from './redemptions'
import {
  CancelRedemptionBody,
  COUNTER_LOOKUP_ROWS,
  CounterMembers,
  CounterMembersQuery,
  CreateRedemptionBody,
  CreateRewardBody,
  ListRedemptionsQuery,
  ListRewardsQuery,
  ListStockQuery,
  ReceiveStockBody,
  Redemption,
  Reward,
  StockChange,
  StockMovement,
  UpdateRewardBody,
  WriteOffStockBody,
} from './schemas'
import * as rewards from './service'

const tags = ['rewards']

function context(app: FastifyInstance): RewardsContext {
  return { timezone: app.settings.timezone, holdDays: app.settings.redemptionHoldDays }
}

/**
 * The counter's lookups per caller and minute, as a multiple of the lookups' budget (LOGIN_RATE_LIMIT, 10 by
 * default: 60 a minute): a queue at the counter, typos included, not a way to walk the roster.
 */
const COUNTER_LOOKUPS_PER_LOGIN_BUDGET = 6

export const rewardsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = () => context(app)
  // Per caller (the user the token names; before authentication the address), in the shared counters as the
  // other lookups' budgets, so N processes share it.
  const counterLookups = COUNTER_LOOKUPS_PER_LOGIN_BUDGET * app.settings.loginRateLimit
  const counterLimit = app.rateLimit({
    max: counterLookups,
    timeWindow: 60_000,
    keyGenerator: (request) => `counter-lookup:${request.caller?.userId ?? `ip:${request.ip}`}`,
  })

  app.get(
    '/counter/members',
    {
      onRequest: counterLimit,
      schema: {
        tags,
        operationId: 'findMembersAtCounter',
        summary: 'Find a member at the redemption counter by name, phone or member code (clerk)',
        description:
          "Clerk over `orgUnitId` (admin: any; other roles and members: 403; a unit outside the caller's " +
          'scope: 404). Finds, among the members createRedemption lets the clerk serve at that community ' +
          '(home unit inside it, or an accepted 双报到 registration with it), those whose name contains `q`, ' +
          'whose phone is `q` or ends with it (exactly 4 digits), or whose member code (id) is `q`: exact keys ' +
          `first, then names starting with q, then by name; at most ${COUNTER_LOOKUP_ROWS} rows (\`more\`: ` +
          'others match). Each row: id, name, the phone masked, home unit name and available points; never ' +
          'the phone or the identity document. Not the roster: listMembers and getMember stay closed to ' +
          'clerks. At most 60 lookups a minute per caller (429 rate_limited with ' +
          'Retry-After). Reads are not audited.',
        querystring: CounterMembersQuery,
        response: { 200: CounterMembers, ...problems(403, 404) },
      },
    },
    async (request) => counter.findMembersAtCounter(app.db, request.caller, request.query),
  )

  app.post(
    '/rewards',
    {
      schema: {
        tags,
        operationId: 'createReward',
        summary: "Add a reward to a community office's catalogue (clerk)",
        description:
          "Clerk over `orgUnitId` (other roles: 403; outside the caller's scope: 404), which must be a " +
          'community (else 400: rewards are kept by a community office). pointsCost > 0; perMemberLimit ' +
          'caps the units one member takes per calendar year (reserved and fulfilled count); active ' +
          'defaults to true. Stock starts at 0: receiveStock adds to it.',
        body: CreateRewardBody,
        response: { 201: Reward, ...problems(403, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await rewards.createReward(app.db, request.caller, request.body, ctx())),
  )

  app.get(
    '/rewards',
    {
      schema: {
        tags,
        operationId: 'listRewards',
        summary: 'Catalogues the caller may see, with stock on hand, reserved and available',
        description:
          'Members see their own community and the communities they registered with (双报到); staff see ' +
          'communities inside or above their units. `orgUnitId` narrows to the catalogue for that unit.',
        querystring: ListRewardsQuery,
        response: { 200: Page(Reward), ...problems(404) },
      },
    },
    async (request) => rewards.listRewards(app.db, request.caller, request.query, ctx()),
  )

  app.get(
    '/rewards/:id',
    {
      schema: {
        tags,
        operationId: 'getReward',
        summary: 'One reward with its stock',
        description:
          'Anyone who may see that catalogue: a member whose home unit or 双报到 community lies in the ' +
          "reward's community, or a user with a grant inside that community or above it; anyone else: 404. " +
          'stockOnHand = received - handed out - written off; available = stockOnHand - reserved.',
        params: IdParams,
        response: { 200: Reward, ...problems(404) },
      },
    },
    async (request) => rewards.getReward(app.db, request.caller, request.params.id, ctx()),
  )

  app.patch(
    '/rewards/:id',
    {
      schema: {
        tags,
        operationId: 'updateReward',
        summary: 'Change name, description, price, yearly limit or active flag (clerk)',
        description:
          'A new price applies to new redemptions; reserved ones keep the price they were made at.',
        params: IdParams,
        body: UpdateRewardBody,
        response: { 200: Reward, ...problems(403, 404) },
      },
    },
    async (request) => rewards.updateReward(app.db, request.caller, request.params.id, request.body, ctx()),
  )

  app.post(
    '/rewards/:id/stock',
    {
      schema: {
        tags,
        operationId: 'receiveStock',
        summary: 'Record stock received at the office (clerk, Idempotency-Key)',
        description:
          "Clerk over the reward's community (other roles: 403; outside the caller's scope: 404). Adds " +
          '`quantity` (1-100,000) to stockOnHand and available and records a received stock movement with ' +
          'the note; answers the movement and the reward after it. Idempotent under Idempotency-Key: the ' +
          'same key and body replays the first answer (header Idempotent-Replayed: true); the same key ' +
          'with another body is 409 idempotency_key_reused.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: ReceiveStockBody,
        response: { 201: StockChange, ...problems(403, 404, 409) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        rewards.receiveStock(
          app.db,
          request.caller,
          request.headers['idempotency-key'],
          request.params.id,
          request.body,
          ctx(),
        ),
      ),
  )

  app.post(
    '/rewards/:id/write-offs',
    {
      schema: {
        tags,
        operationId: 'writeOffStock',
        summary: 'Write off damaged or lost units, with a reason (clerk, Idempotency-Key)',
        description:
          'Only available units can be written off (reserved ones are promised): else 422 out_of_stock.',
        params: IdParams,
        headers: IdempotencyHeaders,
        body: WriteOffStockBody,
        response: { 201: StockChange, ...problems(403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        rewards.writeOffStock(
          app.db,
          request.caller,
          request.headers['idempotency-key'],
          request.params.id,
          request.body,
          ctx(),
        ),
      ),
  )

  app.get(
    '/rewards/:id/stock',
    {
      schema: {
        tags,
        operationId: 'listStockMovements',
        summary: "The reward's stock ledger, newest first: who moved how many and why (clerk)",
        description:
          "Clerk over the reward's community (other roles: 403; outside the caller's scope: 404). Newest " +
          'first: received and written_off (with the note or reason), reserved, handed_out and released ' +
          '(with the redemptionId); actorUserId is null for releases by the expiry sweep.',
        params: IdParams,
        querystring: ListStockQuery,
        response: { 200: Page(StockMovement), ...problems(403, 404) },
      },
    },
    async (request) =>
      rewards.listStockMovements(app.readDb, request.caller, request.params.id, request.query, ctx()),
  )

  app.post(
    '/redemptions',
    {
      schema: {
        tags,
        operationId: 'createRedemption',
        summary:
          'Reserve a reward for a member: points held, stock reserved (the member, a clerk; Idempotency-Key)',
        description:
          'Checks in this order, the first failing one answers: member visible (404), reward in scope and in ' +
          "the member's catalogue (404), reward active (409 invalid_state), lifetime earned points reach the " +
          'nearest redemptionThreshold (422 below_threshold), yearly per-member limit counting reserved and ' +
          'fulfilled units (422 limit_reached), stock available (422 out_of_stock), points available ' +
          '(422 insufficient_points). A reserved redemption lapses after the hold period (REDEMPTION_HOLD_DAYS).',
        headers: IdempotencyHeaders,
        body: CreateRedemptionBody,
        response: { 201: Redemption, ...problems(403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      sendIdempotent(
        reply,
        redemptions.createRedemption(
          app.db,
          request.caller,
          request.headers['idempotency-key'],
          request.body,
          ctx(),
        ),
      ),
  )

  app.get(
    '/redemptions',
    {
      schema: {
        tags,
        operationId: 'listRedemptions',
        summary: "Redemptions, newest first: a clerk's offices, a member's own",
        description:
          'A clerk sees the redemptions of communities in their scope, and anyone linked to a member their ' +
          'own; a user with neither: 403. Filters: `orgUnitId` (a subtree; unknown: 404), `memberId`, ' +
          '`rewardId`, `status`. Newest first; a reserved one shows expiresAt, when the expiry sweep ' +
          'releases it if it has not been fulfilled or cancelled.',
        querystring: ListRedemptionsQuery,
        response: { 200: Page(Redemption), ...problems(403, 404) },
      },
    },
    async (request) => redemptions.listRedemptions(app.db, request.caller, request.query, ctx()),
  )

  app.get(
    '/redemptions/:id',
    {
      schema: {
        tags,
        operationId: 'getRedemption',
        summary: 'One redemption (clerk in scope, the member)',
        description:
          "The member it is for, or a clerk whose units cover the reward's community; anyone else: 404; a " +
          'user with neither a member record nor the clerk role: 403. `amount` = quantity x pointsCost at ' +
          'reservation; `expiresAt` (reserved only) is when the hold lapses unless it is fulfilled or ' +
          'cancelled first.',
        params: IdParams,
        response: { 200: Redemption, ...problems(403, 404) },
      },
    },
    async (request) => redemptions.getRedemption(app.db, request.caller, request.params.id, ctx()),
  )

  app.post(
    '/redemptions/:id/fulfil',
    {
      schema: {
        tags,
        operationId: 'fulfilRedemption',
        summary: 'Hand the reward over: the held points are posted, the stock handed out (clerk)',
        description:
          'Only a reserved redemption; otherwise (also when a cancel won a race) 409 invalid_state.',
        params: IdParams,
        response: { 200: Redemption, ...problems(403, 404, 409) },
      },
    },
    async (request) => redemptions.fulfilRedemption(app.db, request.caller, request.params.id, ctx()),
  )

  app.post(
    '/redemptions/:id/cancel',
    {
      schema: {
        tags,
        operationId: 'cancelRedemption',
        summary: 'Cancel a reserved redemption: hold voided, stock released (clerk, the member)',
        description: 'Only a reserved redemption; otherwise 409 invalid_state. The body is optional.',
        params: IdParams,
        body: CancelRedemptionBody,
        response: { 200: Redemption, ...problems(403, 404, 409) },
      },
    },
    async (request) =>
      redemptions.cancelRedemption(
        app.db,
        request.caller,
        request.params.id,
        request.body?.reason?.trim() || null,
        ctx(),
      ),
  )
}
