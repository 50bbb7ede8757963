import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StockMovementKind } from '../../src/db/schema/rewards'
import {
  assertActive,
  assertThreshold,
  cannotEnd,
  expiresAt,
  limitReached,
  outOfStock,
  redemptionAmount,
  stockLevels,
} from '../../src/modules/rewards/domain'

describe('redemption rules', () => {
  it('threshold: equal passes, one hundredth short is below_threshold', () => {
    expect(() => assertThreshold(5_000, 5_000)).not.toThrow()
    expect(() => assertThreshold(4_999, 5_000)).toThrow(expect.objectContaining({ code: 'below_threshold' }))
    expect(() => assertThreshold(0, 0)).not.toThrow()
  })

  // The limit, the stock and the points are decided by redemption_reserve (src/db/sql/rewards.sql), and whether a
  // redemption can still end by redemption_end: these are only the problem bodies their refusals map to.
  it('refusals decided in the database keep their problem members', () => {
    expect(limitReached(2, 2).toProblem()).toMatchObject({
      code: 'limit_reached',
      status: 422,
      limit: 2,
      taken: 2,
    })
    expect(outOfStock(0, 1).toProblem()).toMatchObject({ code: 'out_of_stock', status: 422, available: 0 })
  })

  it('an inactive reward is invalid_state; an ended redemption answers invalid_state naming its status', () => {
    expect(() => assertActive({ active: false })).toThrow(expect.objectContaining({ code: 'invalid_state' }))
    for (const s of ['fulfilled', 'cancelled', 'expired'] as const) {
      expect(cannotEnd(s, 'cancel')).toMatchObject({
        code: 'invalid_state',
        status: 409,
        message: `this redemption is ${s}; it can no longer be cancelled`,
      })
    }
  })

  it('amounts are exact hundredths; expiry is whole days after the reservation', () => {
    expect(redemptionAmount(1_250, 3)).toBe(3_750)
    expect(expiresAt(new Date('2026-01-01T00:00:00Z'), 7).toISOString()).toBe('2026-01-08T00:00:00.000Z')
  })
})

describe('stockLevels', () => {
  const kinds: StockMovementKind[] = ['received', 'reserved', 'handed_out', 'released', 'written_off']

  it('for any sequence the counter would accept, none goes negative and handed out + reserved <= received', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...kinds), fc.integer({ min: 1, max: 20 })), { maxLength: 60 }),
        (attempts) => {
          const accepted: { kind: StockMovementKind; quantity: number }[] = []
          for (const [kind, quantity] of attempts) {
            const now = stockLevels(accepted)
            // What the service and the conditional UPDATE allow: take from available, end from reserved.
            const ok =
              kind === 'received' ||
              ((kind === 'reserved' || kind === 'written_off') && now.available >= quantity) ||
              ((kind === 'handed_out' || kind === 'released') && now.reserved >= quantity)
            if (ok) accepted.push({ kind, quantity })
          }
          const s = stockLevels(accepted)
          expect(s.onHand).toBeGreaterThanOrEqual(0)
          expect(s.reserved).toBeGreaterThanOrEqual(0)
          expect(s.available).toBeGreaterThanOrEqual(0)
          expect(s.available).toBe(s.onHand - s.reserved)
          expect(s.handedOut + s.reserved).toBeLessThanOrEqual(s.received)
        },
      ),
    )
  })
})
