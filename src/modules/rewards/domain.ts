import type { RedemptionStatus, StockMovementKind } from '../../db/schema/rewards'
import { type Cents, formatCents } from '../../shared/decimal'
import { DomainError, invalidState } from '../../shared/errors'

/**
 * Pure rules of the counter. createRedemption checks, in this order (the first that fails answers):
 *   1. 400 validation_failed   body shape (route schema)
 *   2. 409 idempotency_key_reused  the key was used with another body
 *   3. 404 not_found (member)  the member is not the caller, nor visible to the clerk
 *   4. 404 not_found (reward)  the reward is outside the caller's scope or the member's catalogue
 *   5. 409 invalid_state       the reward is not active
 *   6. 422 below_threshold     lifetime earned points < the nearest redemptionThreshold
 *   7. 422 limit_reached       this calendar year's reserved + fulfilled units + quantity > perMemberLimit
 *   8. 422 out_of_stock        available stock < quantity (conditional UPDATE)
 *   9. 422 insufficient_points available points < quantity * pointsCost (ledger hold, conditional UPDATE)
 */
export const REDEMPTION_CHECK_ORDER = [
  'validation_failed',
  'idempotency_key_reused',
  'not_found:member',
  'not_found:reward',
  'invalid_state:inactive',
  'below_threshold',
  'limit_reached',
  'out_of_stock',
  'insufficient_points',
] as const

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

export function assertWithinLimit(limit: number | null, takenThisYear: number, quantity: number): void {
  if (limit === null) return
  if (takenThisYear + quantity > limit) throw limitReached(limit, takenThisYear)
}

export function limitReached(limit: number, takenThisYear: number): DomainError {
  return new DomainError(
    'limit_reached',
    `this member may take ${limit} of this reward per calendar year and already has ${takenThisYear}`,
    { limit, taken: takenThisYear },
  )
}

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

/** Who may end a redemption, and how. Every ending starts from `reserved`; the rest are final. */
export type RedemptionEnding = 'fulfil' | 'cancel' | 'expire'

export const ENDING_STATUS: Record<RedemptionEnding, RedemptionStatus> = {
  fulfil: 'fulfilled',
  cancel: 'cancelled',
  expire: 'expired',
}

export function assertCanEnd(status: RedemptionStatus, ending: RedemptionEnding): void {
  if (status !== 'reserved') {
    throw invalidState(`this redemption is ${status}; it can no longer be ${ENDING_STATUS[ending]}`)
  }
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
