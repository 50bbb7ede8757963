import { type Db, pgErrorCode, pgErrorText } from '../../db/client'
import { type IdempotentResult, replayStored, requestHash, storeRefusal } from '../../plugins/idempotency'
import { centsFromDb } from '../../shared/decimal'
import { DomainError, forbidden, notFound } from '../../shared/errors'
import { newId } from '../../shared/ids'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { localYear, yearRange } from '../../shared/time'
import {
  assertMayAskForMember,
  type Caller,
  checkMemberVisible,
  coversPath,
  findUnit,
  hasRole,
  requireRole,
} from '../identity/scope'
import { DEFAULT_REDEMPTION_THRESHOLD_CENTS } from '../org/domain'
import {
  assertActive,
  assertCanEnd,
  assertThreshold,
  assertWithinLimit,
  ENDING_STATUS,
  limitReached,
  outOfStock,
  type RedemptionEnding,
  redemptionAmount,
  stockEffect,
} from './domain'
import { type RewardsContext, redemptionDto } from './dto'
import { insufficientPoints, prepareHold, prepareSettlement, redemptionAccountOf } from './points'
import * as dRepo from './redemption-repo'
import { toReward } from './repo'
import type { CreateRedemptionBody, ListRedemptionsQuery } from './schemas'

const CLERK = ['clerk'] as const

// One read, one write. Each command reads everything it decides on in one statement, decides here (the
// check order of domain.ts), and writes in one statement: a database function (migration 0026) that
// re-checks under its locks what a concurrent request could have changed (stock, available points, the
// yearly limit, the redemption's status) and raises SQLSTATE VP422 to refuse, rolling back all of it. So a
// command is two round trips instead of 11-18, and no lock is held across a round trip.
//
// Lock order inside the functions, the same everywhere so two never wait on each other in a circle:
// redemption row (fulfil, cancel, sweep) > ledger accounts (hold, capture, release) > reward row (stock
// movement). The reward row is shared by every redemption of that reward, so it is taken last.

/** A refusal the database function raised (VP422), as the DomainError the service would have thrown. */
function refusalOf(
  err: unknown,
  on: { quantity: number; ending?: RedemptionEnding },
): DomainError | undefined {
  if (pgErrorCode(err) !== 'VP422') return undefined
  const { message, detail } = pgErrorText(err)!
  const extra = JSON.parse(detail || '{}') as Record<string, unknown>
  switch (message) {
    case 'limit_reached':
      return limitReached(Number(extra.limit), Number(extra.taken))
    case 'out_of_stock':
      return outOfStock(Number(extra.available), on.quantity)
    case 'insufficient_points':
      return insufficientPoints()
    case 'invalid_state':
      try {
        assertCanEnd(extra.status as dRepo.RedemptionRow['status'], on.ending ?? 'cancel')
      } catch (refusal) {
        if (refusal instanceof DomainError) return refusal
      }
  }
  return undefined
}

/**
 * Reserves a reward for a member: points held in the ledger and stock reserved, in one statement under
 * the Idempotency-Key. The checks run in the order documented in domain.ts (REDEMPTION_CHECK_ORDER); a
 * refusal is stored under the key too, so a retry gets the same answer.
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
  const year = yearRange(localYear(new Date(), ctx.timezone), ctx.timezone)
  const plan = await dRepo.readReservePlan(db, {
    userId: caller.userId,
    key,
    memberId: cmd.memberId,
    rewardId: cmd.rewardId,
    year,
  })
  if (plan.stored) return replayStored(plan.stored, hash)
  try {
    // The reward the caller may hand out, before the member: a clerk who sees a member through 双报到 learns
    // nothing more about another community's reward than about one that does not exist (same 404, same order).
    assertMayAskForMember(caller, cmd.memberId, CLERK)
    // Read without a lock: stock, points and the limit are re-checked under locks by redemption_reserve;
    // a price or state changed meanwhile orders this redemption just before that change.
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
    assertWithinLimit(reward.perMemberLimit, plan.taken, cmd.quantity)
    if (reward.available < cmd.quantity) throw outOfStock(reward.available, cmd.quantity)
    const id = newId()
    const amount = redemptionAmount(reward.pointsCost, cmd.quantity)
    const hold = prepareHold(caller, {
      memberId: member.id,
      redemptionId: id,
      amountCents: amount,
      memo: `redemption of ${cmd.quantity} x ${reward.name}`,
    })
    const answer = redemptionDto(
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
    const written = await dRepo.reserve(db, {
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
      perMemberLimit: reward.perMemberLimit,
      year,
      hold: { id: hold.id, memo: hold.memo, content: hold.content },
    })
    if (!written) throw new Error('redemption_reserve returned no row')
    if (written.outcome === 'stored') return replayStored(written, hash)
    return { status: 201, body: answer, replayed: false }
  } catch (err) {
    const refusal = err instanceof DomainError ? err : refusalOf(err, cmd)
    if (!refusal) throw err
    return storeRefusal(db, caller, key, operation, hash, refusal)
  }
}

/**
 * Ends a reserved redemption `d` (read with the database's clock, findRedemptionToEnd) in one statement:
 * fulfil posts the held points to the community's redemption account and hands the stock out; cancel and
 * expiry void the hold and release the stock. The loser of a race gets 409 invalid_state. `actor` is null
 * for the sweep; `db` may be a transaction (the sweep's).
 */
export async function endReserved(
  db: Db,
  actor: Caller | null,
  d: dRepo.RedemptionRow & { now: Date },
  ending: RedemptionEnding,
  ctx: RewardsContext,
  reason: string | null = null,
) {
  assertCanEnd(d.status, ending)
  const fulfil = ending === 'fulfil'
  const counter = fulfil ? await redemptionAccountOf(db, d.orgUnitId) : null
  const posting = prepareSettlement(actor, fulfil ? 'post' : 'void', {
    memberId: d.memberId,
    redemptionId: d.id,
    amountCents: d.amount,
    memo: `redemption ${ENDING_STATUS[ending]}`,
    counterAccountId: counter,
  })
  const stock = stockEffect(fulfil ? 'handed_out' : 'released', d.quantity)
  const after = redemptionDto(
    {
      ...d,
      status: ENDING_STATUS[ending],
      fulfilledAt: fulfil ? d.now : null,
      cancelledAt: ending === 'cancel' ? d.now : null,
      cancelReason: ending === 'cancel' ? reason : null,
      expiredAt: ending === 'expire' ? d.now : null,
    },
    ctx,
  )
  try {
    await dRepo.end(db, {
      id: d.id,
      ending,
      actorUserId: actor?.userId ?? null,
      reason,
      note: fulfil ? null : ending === 'expire' ? 'hold period over' : reason,
      at: d.now,
      posting: {
        id: posting.id,
        kind: posting.kind,
        amount: posting.leg.amount,
        heldChange: posting.leg.heldChange,
        counterAccountId: posting.leg.counterAccountId,
        memo: posting.memo,
        content: posting.content,
        needHeld: d.amount,
      },
      quantity: d.quantity,
      stock: { handedOut: stock.handedOut, reserved: stock.reserved },
      answer: after,
    })
  } catch (err) {
    throw refusalOf(err, { quantity: d.quantity, ending }) ?? err
  }
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
