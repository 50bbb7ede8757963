import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { StockMovementKind } from '../../src/db/schema/rewards'
import {
  assertActive,
  assertCanEnd,
  assertThreshold,
  assertWithinLimit,
  expiresAt,
  redemptionAmount,
  stockLevels,
} from '../../src/modules/rewards/domain'

describe('redemption rules', () => {
  it('threshold: equal passes, one hundredth short is below_threshold', () => {
    expect(() => assertThreshold(5_000, 5_000)).not.toThrow()
    expect(() => assertThreshold(4_999, 5_000)).toThrow(expect.objectContaining({ code: 'below_threshold' }))
    expect(() => assertThreshold(0, 0)).not.toThrow()
  })

  it('limit: no limit never refuses; reserved plus fulfilled plus the new quantity may reach it, not pass it', () => {
    expect(() => assertWithinLimit(null, 1_000, 5)).not.toThrow()
    expect(() => assertWithinLimit(3, 1, 2)).not.toThrow()
    expect(() => assertWithinLimit(3, 2, 2)).toThrow(
      expect.objectContaining({ code: 'limit_reached', status: 422 }),
    )
  })

  it('an inactive reward is invalid_state; only a reserved redemption can end', () => {
    expect(() => assertActive({ active: false })).toThrow(expect.objectContaining({ code: 'invalid_state' }))
    expect(() => assertCanEnd('reserved', 'fulfil')).not.toThrow()
    for (const s of ['fulfilled', 'cancelled', 'expired'] as const) {
      expect(() => assertCanEnd(s, 'cancel')).toThrow(
        expect.objectContaining({ code: 'invalid_state', status: 409 }),
      )
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
