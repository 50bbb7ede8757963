import type { RedemptionStatus, StockMovementKind } from '../../db/schema/rewards'
import { type Cents, formatCents } from '../../shared/decimal'
import { DomainError, invalidState } from '../../shared/errors'

/**
 * Pure rules of the counter: what createRedemption decides itself (visibility aside), because it cannot race,
 * and the wording of the refusals the database functions decide. The check order of createRedemption, and
 * which of these rules TypeScript or the database owns, are written once: redemption_reserve's comment in
 * src/db/sql/rewards.sql.
 */

export function assertActive(reward: { active: boolean }): void {
  if (!reward.active) throw invalidState('this reward is not active; it cannot be redeemed')
}

export function assertThreshold(lifetimeEarned: Cents, threshold: Cents): void {
  if (lifetimeEarned < threshold) {
    throw new DomainError(
      'below_threshold',
      `lifetime earned points ${formatCents(lifetimeEarned)} are below the redemption threshold ${formatCents(threshold)}`,
      { lifetimeEarned: formatCents(lifetimeEarned), threshold: formatCents(threshold) },
    )
  }
}

/** 422 limit_reached, as redemption_reserve decides it (it counts what the member took this year). */
export function limitReached(limit: number, takenThisYear: number): DomainError {
  return new DomainError(
    'limit_reached',
    `this member may take ${limit} of this reward per calendar year and already has ${takenThisYear}`,
    { limit, taken: takenThisYear },
  )
}

/** 422 out_of_stock, as redemption_reserve and the write-offs decide it. */
export function outOfStock(available: number, quantity: number): DomainError {
  return new DomainError('out_of_stock', `only ${available} available, ${quantity} asked for`, {
    available,
  })
}

export function redemptionAmount(pointsCost: Cents, quantity: number): Cents {
  const amount = pointsCost * quantity
  if (!Number.isSafeInteger(amount)) throw new RangeError('redemption amount out of range')
  return amount
}

/** How a redemption ends. Every ending starts from `reserved` (redemption_end decides that); the rest are final. */
export type RedemptionEnding = 'fulfil' | 'cancel' | 'expire'

/** The status each ending gives: the one mapping (redemption_end writes the status it is given). */
export const ENDING_STATUS: Record<RedemptionEnding, RedemptionStatus> = {
  fulfil: 'fulfilled',
  cancel: 'cancelled',
  expire: 'expired',
}

/** 409 invalid_state: redemption_end found the redemption `status`, no longer reserved. */
export function cannotEnd(status: RedemptionStatus | 'missing', ending: RedemptionEnding): DomainError {
  return invalidState(`this redemption is ${status}; it can no longer be ${ENDING_STATUS[ending]}`)
}

/** How each stock movement changes the cached counters (on hand, reserved); available follows. */
export function stockEffect(kind: StockMovementKind, quantity: number) {
  const zero = { received: 0, handedOut: 0, writtenOff: 0, reserved: 0 }
  switch (kind) {
    case 'received':
      return { ...zero, received: quantity }
    case 'reserved':
      return { ...zero, reserved: quantity }
    case 'released':
      return { ...zero, reserved: -quantity }
    case 'handed_out':
      return { ...zero, handedOut: quantity, reserved: -quantity }
    case 'written_off':
      return { ...zero, writtenOff: quantity }
  }
}

/** Counters a reward shows, derived from its movements: what the cached columns must always equal. */
export function stockLevels(movements: readonly { kind: StockMovementKind; quantity: number }[]) {
  let received = 0
  let handedOut = 0
  let writtenOff = 0
  let reserved = 0
  for (const m of movements) {
    const e = stockEffect(m.kind, m.quantity)
    received += e.received
    handedOut += e.handedOut
    writtenOff += e.writtenOff
    reserved += e.reserved
  }
  const onHand = received - handedOut - writtenOff
  return { received, handedOut, writtenOff, onHand, reserved, available: onHand - reserved }
}

/** When a reserved redemption lapses: `holdDays` whole days (24 h) after it was made. */
export function expiresAt(createdAt: Date, holdDays: number): Date {
  return new Date(createdAt.getTime() + holdDays * 86_400_000)
}
