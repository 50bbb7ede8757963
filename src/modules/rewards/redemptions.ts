import { randomUUID } from 'node:crypto'
import { type Db, transaction } from '../../db/client'
import { idempotent } from '../../plugins/idempotency'
import { forbidden, notFound } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { localYear, yearRange } from '../../shared/time'
import { recordAudit } from '../audit/writer'
import {
  type Caller,
  coversPath,
  findUnit,
  hasRole,
  requireMemberVisible,
  requireRole,
} from '../identity/scope'
import { effectiveSettings } from '../org/service'
import {
  assertActive,
  assertCanEnd,
  assertThreshold,
  assertWithinLimit,
  ENDING_STATUS,
  outOfStock,
  type RedemptionEnding,
  redemptionAmount,
} from './domain'
import { type RewardsContext, redemptionDto } from './dto'
import { captureHold, getBalanceCents, holdPoints, releaseHold } from './points'
import * as dRepo from './redemption-repo'
import * as repo from './repo'
import type { CreateRedemptionBody, ListRedemptionsQuery } from './schemas'

const CLERK = ['clerk'] as const

// Lock order, the same in every path so two transactions never wait on each other in a circle:
// redemption row (fulfil, cancel, sweep) > ledger accounts (hold, capture, release) > reward row (stock
// movement). Creating locks no redemption row, so it starts at the member's account. The reward row is
// shared by every redemption of that reward, so it is taken last, just before commit: the time others
// queue on it is one UPDATE and one INSERT, not the whole transaction.

async function currentDto(tx: Db, id: string, ctx: RewardsContext) {
  return redemptionDto((await dRepo.findRedemption(tx, id))!, ctx)
}

/**
 * Reserves a reward for a member: points held in the ledger and stock reserved, in one transaction under
 * the Idempotency-Key. The checks run in the order documented in domain.ts (REDEMPTION_CHECK_ORDER).
 */
export async function createRedemption(
  db: Db,
  caller: Caller,
  key: string,
  body: CreateRedemptionBody,
  ctx: RewardsContext,
) {
  const cmd = { memberId: body.memberId, rewardId: body.rewardId, quantity: body.quantity ?? 1 }
  return idempotent(db, caller, key, 'createRedemption', cmd, async (tx) => {
    const member = await requireMemberVisible(tx, caller, cmd.memberId, CLERK, { allowSelf: true })
    // Read without a lock: stock and points are guarded by conditional UPDATEs below; a price or state
    // changed meanwhile orders this redemption just before that change.
    const reward = await repo.findReward(tx, cmd.rewardId)
    const callerMayOffer =
      reward && (coversPath(caller, reward.path, CLERK) || caller.memberId === cmd.memberId)
    if (!reward || !callerMayOffer || !(await repo.memberEligible(tx, cmd.memberId, reward.path))) {
      throw notFound('reward')
    }
    assertActive(reward)
    // The member's branch sets the bar (nearest unit up from their home unit that sets one).
    const { redemptionThresholdCents } = await effectiveSettings(tx, member.orgUnitId)
    const balance = await getBalanceCents(tx, cmd.memberId)
    assertThreshold(balance.lifetimeEarned, redemptionThresholdCents)
    if (reward.perMemberLimit !== null) {
      // One member's redemptions of one reward are serialised (a transaction-scoped advisory lock on the
      // pair), so the yearly count below cannot be raced past the limit, without making other members wait.
      await repo.lockMemberReward(tx, cmd.memberId, reward.id)
      const year = yearRange(localYear(new Date(), ctx.timezone), ctx.timezone)
      const taken = await repo.unitsTaken(tx, cmd.memberId, reward.id, year)
      assertWithinLimit(reward.perMemberLimit, taken, cmd.quantity)
    }
    // Checked here so the answer keeps the documented order (out_of_stock before insufficient_points);
    // the conditional UPDATE at the end is what guarantees it.
    if (reward.available < cmd.quantity) throw outOfStock(reward.available, cmd.quantity)
    const id = randomUUID()
    const amount = redemptionAmount(reward.pointsCost, cmd.quantity)
    await dRepo.insertRedemption(tx, {
      id,
      memberId: cmd.memberId,
      rewardId: reward.id,
      orgUnitId: reward.orgUnitId,
      quantity: cmd.quantity,
      pointsCost: reward.pointsCost,
      amount,
      createdBy: caller.userId,
    })
    const hold = await holdPoints(tx, caller, {
      memberId: cmd.memberId,
      redemptionId: id,
      amountCents: amount,
      memo: `redemption of ${cmd.quantity} x ${reward.name}`,
    })
    await dRepo.setLedgerReference(tx, id, 'hold', hold.holdId)
    // Last lock of the transaction (see the lock order above).
    const moved = await repo.moveStock(tx, {
      rewardId: reward.id,
      kind: 'reserved',
      quantity: cmd.quantity,
      redemptionId: id,
      actorUserId: caller.userId,
    })
    if (!moved) throw outOfStock((await repo.findReward(tx, reward.id))?.available ?? 0, cmd.quantity)
    const after = await currentDto(tx, id, ctx)
    await recordAudit(tx, caller, {
      action: 'redemption.create',
      targetType: 'redemption',
      targetId: id,
      orgUnitId: reward.orgUnitId,
      after,
    })
    return { status: 201, body: after }
  })
}

/**
 * Ends a reserved redemption inside `tx`: the conditional status update decides who wins a race; the
 * loser gets 409 invalid_state. Then stock and points follow: handed out and captured on fulfil,
 * released on cancel and expiry. `actor` is null for the sweep.
 */
export async function endReserved(
  tx: Db,
  actor: Caller | null,
  d: { id: string; orgUnitId: string; status: string },
  ending: RedemptionEnding,
  ctx: RewardsContext,
  reason: string | null = null,
) {
  const ended = await dRepo.endRedemption(tx, d.id, ending, { userId: actor?.userId ?? null, reason })
  if (!ended) {
    const now = await dRepo.findRedemption(tx, d.id)
    assertCanEnd(now?.status ?? 'cancelled', ending)
    throw new Error(`redemption ${d.id} did not end although it is reserved`)
  }
  const fulfil = ending === 'fulfil'
  const memo = `redemption ${ENDING_STATUS[ending]}`
  if (fulfil) {
    const t = await captureHold(tx, actor, { redemptionId: d.id, communityUnitId: ended.orgUnitId, memo })
    await dRepo.setLedgerReference(tx, d.id, 'capture', t.transactionId)
  } else {
    const t = await releaseHold(tx, actor, { redemptionId: d.id, memo })
    await dRepo.setLedgerReference(tx, d.id, 'release', t.transactionId)
  }
  // The reward row last (see the lock order above).
  const moved = await repo.moveStock(tx, {
    rewardId: ended.rewardId,
    kind: fulfil ? 'handed_out' : 'released',
    quantity: ended.quantity,
    redemptionId: d.id,
    note: fulfil ? null : ending === 'expire' ? 'hold period over' : reason,
    actorUserId: actor?.userId ?? null,
  })
  if (!moved) throw new Error(`stock of reward ${ended.rewardId} does not cover redemption ${d.id}`)
  const after = await currentDto(tx, d.id, ctx)
  await recordAudit(tx, actor, {
    action: `redemption.${ending}`,
    targetType: 'redemption',
    targetId: d.id,
    orgUnitId: ended.orgUnitId,
    before: { status: 'reserved' },
    after,
  })
  return after
}

export async function fulfilRedemption(db: Db, caller: Caller, id: string, ctx: RewardsContext) {
  requireRole(caller, CLERK)
  return transaction(db, async (tx) => {
    const d = await dRepo.findRedemption(tx, id)
    if (!d || !coversPath(caller, d.path, CLERK)) throw notFound('redemption')
    assertCanEnd(d.status, 'fulfil')
    return endReserved(tx, caller, d, 'fulfil', ctx)
  })
}

/** A clerk over the office cancels any reserved redemption; a member only their own. */
export async function cancelRedemption(
  db: Db,
  caller: Caller,
  id: string,
  reason: string | null,
  ctx: RewardsContext,
) {
  return transaction(db, async (tx) => {
    const d = await dRepo.findRedemption(tx, id)
    const own = d !== undefined && caller.memberId === d.memberId
    if (!own) {
      if (!hasRole(caller, CLERK)) {
        if (caller.memberId) throw notFound('redemption')
        throw forbidden()
      }
      if (!d || !coversPath(caller, d.path, CLERK)) throw notFound('redemption')
    }
    assertCanEnd(d!.status, 'cancel')
    return endReserved(tx, caller, d!, 'cancel', ctx, reason)
  })
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
  const after = decodeCursor(q.cursor, 2) as [string, string] | undefined
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
