import type { Db } from '../../db/client'
import { type IdempotentResult, replayStored, requestHash, storeRefusal } from '../../plugins/idempotency'
import {
  assertMayAskForMember,
  type Caller,
  checkMemberVisible,
  coversPath,
  findUnit,
  hasRole,
  requireRole,
} from '../../shared/authz'
import { centsFromDb } from '../../shared/decimal'
import { DomainError, forbidden, notFound } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { localYear, yearRange } from '../../shared/time'
import { type EventType, preparedEvent } from '../events'
import {
  insufficientPoints,
  ledgerMemo,
  prepareHold,
  prepareSettlement,
  redemptionAccountOf,
} from '../ledger'
import { DEFAULT_REDEMPTION_THRESHOLD_CENTS } from '../org'
import {
  assertActive,
  assertThreshold,
  cannotEnd,
  ENDING_STATUS,
  limitReached,
  outOfStock,
  type RedemptionEnding,
  redemptionAmount,
} from './domain'
import { type RewardsContext, redemptionDto } from './dto'
import * as dRepo from './redemption-repo'
import { toReward } from './repo'
import type { CreateRedemptionBody, ListRedemptionsQuery } from './schemas'

const CLERK = ['clerk'] as const

// One read, one write, one owner for each rule. A command reads in one statement what it decides itself
// (what cannot race: who may see the member and the reward, the reward being active, the threshold), then
// makes one call of a database function (src/db/sql/rewards.sql) that locks what can race (the member's
// account, the reward's stock, the redemption's status), decides it once (stock, available points, the
// yearly limit, "still reserved") and writes, or refuses having written nothing. The function answers one
// typed row; this file maps a refusal to the API's problem body (the same codes and members as ever). So a
// command is two round trips instead of 11-18, and no lock is held across a round trip. The check order,
// and which side owns which check, are in redemption_reserve's comment.

/** redemption_reserve's refusal as the API's problem (the member's points: the ledger's wording). */
function reserveRefusal(
  decided: Extract<dRepo.ReserveDecision, { outcome: 'refused' }>,
  quantity: number,
): DomainError {
  switch (decided.code) {
    case 'limit_reached':
      return limitReached(decided.detail.limit, decided.detail.taken)
    case 'out_of_stock':
      return outOfStock(decided.detail.available, quantity)
    case 'insufficient_points':
      return insufficientPoints()
  }
}

const ENDING_EVENT: Record<RedemptionEnding, EventType> = {
  fulfil: 'redemption.fulfilled',
  cancel: 'redemption.cancelled',
  expire: 'redemption.expired',
}

/** A redemption's event (issue 20): its answer as the data, for the member and the office's subtree. */
function redemptionEvent(type: EventType, r: ReturnType<typeof redemptionDto>) {
  return preparedEvent({
    type,
    orgUnitId: r.orgUnitId,
    subject: { type: 'redemption', id: r.id },
    memberId: r.memberId,
    data: r,
  })
}

/**
 * Reserves a reward for a member: points held in the ledger and stock reserved, in one statement under the
 * Idempotency-Key. The checks run in the order written in redemption_reserve's comment (rewards.sql); a
 * refusal is stored under the key, so a retry with the key gets the same answer.
 */
export async function createRedemption(
  db: Db,
  caller: Caller,
  key: string,
  body: CreateRedemptionBody,
  ctx: RewardsContext,
): Promise<IdempotentResult<ReturnType<typeof redemptionDto>>> {
  const operation = 'createRedemption'
  const cmd = { memberId: body.memberId, rewardId: body.rewardId, quantity: body.quantity ?? 1 }
  const hash = requestHash(operation, cmd)
  const plan = await dRepo.readReservePlan(db, {
    userId: caller.userId,
    key,
    memberId: cmd.memberId,
    rewardId: cmd.rewardId,
  })
  if (plan.stored) return replayStored(plan.stored, hash)
  let answer: ReturnType<typeof redemptionDto>
  let decided: dRepo.ReserveDecision
  try {
    // The reward the caller may hand out, before the member: a clerk who sees a member through 双报到 learns
    // nothing more about another community's reward than about one that does not exist (same 404, same order).
    assertMayAskForMember(caller, cmd.memberId, CLERK)
    // Read without a lock: a price or state changed meanwhile orders this redemption just before that change.
    const reward = plan.reward && toReward(plan.reward)
    const callerMayOffer =
      reward && (coversPath(caller, reward.path, CLERK) || caller.memberId === cmd.memberId)
    if (!reward || !callerMayOffer) throw notFound('reward')
    const member = checkMemberVisible(caller, cmd.memberId, plan.member, CLERK, { allowSelf: true })
    if (!plan.eligible) throw notFound('reward')
    assertActive(reward)
    // The member's branch sets the bar (nearest unit up from their home unit that sets one).
    const threshold =
      plan.threshold === null ? DEFAULT_REDEMPTION_THRESHOLD_CENTS : centsFromDb(plan.threshold)
    assertThreshold(centsFromDb(plan.earned), threshold)
    // The limit, the stock and the points: redemption_reserve decides them, under its locks.
    const id = newId()
    const amount = redemptionAmount(reward.pointsCost, cmd.quantity)
    answer = redemptionDto(
      {
        id,
        memberId: member.id,
        rewardId: reward.id,
        rewardName: reward.name,
        orgUnitId: reward.orgUnitId,
        path: reward.path,
        quantity: cmd.quantity,
        pointsCost: reward.pointsCost,
        amount,
        status: 'reserved',
        createdAt: plan.now,
        fulfilledAt: null,
        cancelledAt: null,
        cancelReason: null,
        expiredAt: null,
        cursorAt: '',
      },
      ctx,
    )
    decided = await dRepo.reserve(db, {
      userId: caller.userId,
      key,
      operation,
      requestHash: hash,
      answer,
      id,
      memberId: member.id,
      rewardId: reward.id,
      orgUnitId: reward.orgUnitId,
      quantity: cmd.quantity,
      pointsCost: reward.pointsCost,
      amount,
      at: plan.now,
      year: yearRange(localYear(plan.now, ctx.timezone), ctx.timezone),
      hold: prepareHold(caller, {
        memberId: member.id,
        redemptionId: id,
        amountCents: amount,
        memo: ledgerMemo.redemption('reserved', reward.name, cmd.quantity),
      }),
      event: redemptionEvent('redemption.reserved', answer),
    })
  } catch (err) {
    if (!(err instanceof DomainError)) throw err
    return storeRefusal(db, caller, key, operation, hash, err)
  }
  switch (decided.outcome) {
    case 'ok':
      return { status: 201, body: answer, replayed: false }
    case 'stored':
      return replayStored(decided.stored, hash)
    case 'refused':
      return storeRefusal(db, caller, key, operation, hash, reserveRefusal(decided, cmd.quantity))
  }
}

/**
 * Ends a reserved redemption `d` (read with the database's clock, findRedemptionToEnd) in one statement:
 * fulfil posts the held points to the community's redemption account and hands the stock out; cancel and
 * expiry void the hold and release the stock. redemption_end decides whether it is still reserved: if not
 * (ended meanwhile, or already when read), 409 invalid_state and nothing written. `actor` is null for the
 * sweep; `db` may be a transaction (the sweep's).
 */
export async function endReserved(
  db: Db,
  actor: Caller | null,
  d: dRepo.RedemptionRow & { now: Date },
  ending: RedemptionEnding,
  ctx: RewardsContext,
  reason: string | null = null,
) {
  const status = ENDING_STATUS[ending]
  const fulfil = ending === 'fulfil'
  // The office's redemption account (read, or made on its first fulfilment): the posting is prepared before
  // redemption_end decides, so a fulfil it refuses may still have made an office its (empty) account.
  const counter = fulfil ? await redemptionAccountOf(db, d.orgUnitId) : null
  const after = redemptionDto(
    {
      ...d,
      status,
      fulfilledAt: fulfil ? d.now : null,
      cancelledAt: ending === 'cancel' ? d.now : null,
      cancelReason: ending === 'cancel' ? reason : null,
      expiredAt: ending === 'expire' ? d.now : null,
    },
    ctx,
  )
  const decided = await dRepo.end(db, {
    id: d.id,
    ending,
    status,
    actorUserId: actor?.userId ?? null,
    reason,
    note: fulfil ? null : ending === 'expire' ? 'hold period over' : reason,
    at: d.now,
    posting: prepareSettlement(actor, fulfil ? 'post' : 'void', {
      memberId: d.memberId,
      redemptionId: d.id,
      amountCents: d.amount,
      memo: ledgerMemo.redemption(status, d.rewardName, d.quantity),
      counterAccountId: counter,
    }),
    answer: after,
    event: redemptionEvent(ENDING_EVENT[ending], after),
  })
  if (decided.outcome === 'refused') throw cannotEnd(decided.detail.status, ending)
  return after
}

export async function fulfilRedemption(db: Db, caller: Caller, id: string, ctx: RewardsContext) {
  requireRole(caller, CLERK)
  const d = await dRepo.findRedemptionToEnd(db, id)
  if (!d || !coversPath(caller, d.path, CLERK)) throw notFound('redemption')
  return endReserved(db, caller, d, 'fulfil', ctx)
}

/** A clerk over the office cancels any reserved redemption; a member only their own. */
export async function cancelRedemption(
  db: Db,
  caller: Caller,
  id: string,
  reason: string | null,
  ctx: RewardsContext,
) {
  const d = await dRepo.findRedemptionToEnd(db, id)
  const own = d !== undefined && caller.memberId === d.memberId
  if (!own) {
    if (!hasRole(caller, CLERK)) {
      if (caller.memberId) throw notFound('redemption')
      throw forbidden()
    }
    if (!d || !coversPath(caller, d.path, CLERK)) throw notFound('redemption')
  }
  return endReserved(db, caller, d!, 'cancel', ctx, reason)
}

export async function getRedemption(db: Db, caller: Caller, id: string, ctx: RewardsContext) {
  const d = await dRepo.findRedemption(db, id)
  if (!d || !(caller.memberId === d.memberId || coversPath(caller, d.path, CLERK))) {
    if (!caller.memberId && !hasRole(caller, CLERK)) throw forbidden()
    throw notFound('redemption')
  }
  return redemptionDto(d, ctx)
}

export async function listRedemptions(db: Db, caller: Caller, q: ListRedemptionsQuery, ctx: RewardsContext) {
  if (!caller.memberId && !hasRole(caller, CLERK)) throw forbidden()
  const limit = pageLimit(q.limit)
  let unitPath: string | undefined
  if (q.orgUnitId) {
    const unit = await findUnit(db, q.orgUnitId)
    if (!unit) throw notFound('org unit')
    unitPath = unit.path
  }
  const after = decodeCursor(q.cursor, ['timestamp', 'uuid'])
  const found = await dRepo.listRedemptions(db, caller, {
    unitPath,
    memberId: q.memberId,
    rewardId: q.rewardId,
    status: q.status as ListRedemptionsQuery['status'] & dRepo.RedemptionRow['status'],
    after,
    limit,
  })
  return toPage(
    found,
    limit,
    (d) => [d.cursorAt, d.id],
    (d) => redemptionDto(d, ctx),
  )
}
