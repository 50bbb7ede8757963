import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  aggregate,
  divRoundHalfUp,
  formatCents,
  mean,
  median,
  mulCents,
  parseCents,
  sum,
  trimmedMean,
} from '../../src/shared/decimal'
import { DomainError } from '../../src/shared/errors'

const cents = fc.integer({ min: -10_000_000, max: 10_000_000 })

describe('parseCents / formatCents', () => {
  it('reads the API forms exactly', () => {
    expect(parseCents('12.50')).toBe(1250)
    expect(parseCents('12.5')).toBe(1250)
    expect(parseCents(12.5)).toBe(1250)
    expect(parseCents('-2.00')).toBe(-200)
    expect(parseCents('-0.05')).toBe(-5)
    expect(parseCents(0.1)).toBe(10)
    expect(parseCents(0.07)).toBe(7)
    expect(parseCents('82188.33')).toBe(8218833)
  })

  it.each([['1.234'], [1.234], ['abc'], [''], ['1e3'], [Number.NaN], [null], [true], ['1.'], ['.5']])(
    'refuses %j with validation_failed',
    (v) => {
      expect(() => parseCents(v, 'amount')).toThrow(DomainError)
      try {
        parseCents(v, 'amount')
      } catch (e) {
        expect((e as DomainError).code).toBe('validation_failed')
        expect((e as DomainError).extra.errors).toEqual([{ field: 'amount', message: expect.any(String) }])
      }
    },
  )

  it('formats with exactly two places', () => {
    expect(formatCents(1250)).toBe('12.50')
    expect(formatCents(-5)).toBe('-0.05')
    expect(formatCents(0)).toBe('0.00')
    expect(formatCents('8218833')).toBe('82188.33')
  })

  it('round-trips every value', () => {
    fc.assert(fc.property(cents, (c) => parseCents(formatCents(c)) === c))
  })

  it('sums exactly where floats do not (0.01 + 0.02 + 0.07 = 0.10)', () => {
    expect(formatCents(sum(['0.01', '0.02', '0.07'].map((s) => parseCents(s))))).toBe('0.10')
    expect(formatCents(sum([parseCents(0.1), parseCents(0.2)]))).toBe('0.30')
  })
})

describe('rounding half-up', () => {
  it('rounds halves away from zero', () => {
    expect(divRoundHalfUp(5, 2)).toBe(3)
    expect(divRoundHalfUp(-5, 2)).toBe(-3)
    expect(divRoundHalfUp(4, 3)).toBe(1)
    expect(divRoundHalfUp(5, 3)).toBe(2)
    expect(mulCents(150, 333)).toBe(500) // 1.50 x 3.33 = 4.995 -> 5.00
  })

  it('is within half a unit of the exact quotient', () => {
    fc.assert(
      fc.property(cents, fc.integer({ min: 1, max: 1000 }), (n, d) => {
        const q = divRoundHalfUp(n, d)
        return Math.abs(q * d - n) * 2 <= d
      }),
    )
  })
})

describe('aggregation', () => {
  const scores = fc.array(cents, { minLength: 1, maxLength: 15 })

  it('mean and median lie between min and max', () => {
    fc.assert(
      fc.property(scores, (vs) => {
        const lo = Math.min(...vs)
        const hi = Math.max(...vs)
        for (const rule of ['mean', 'median', 'trimmed_mean'] as const) {
          const r = aggregate(rule, vs)
          if (r < lo || r > hi) return false
        }
        return true
      }),
    )
  })

  it('trimmed mean ignores one extreme value when there are 4 or more', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 10 }), (vs) => {
        const withOutlier = [...vs, 10_000_000]
        const sorted = [...withOutlier].sort((a, b) => a - b)
        return trimmedMean(withOutlier) === mean(sorted.slice(1, -1))
      }),
    )
    expect(trimmedMean([100, 200, 300])).toBe(200)
    expect(trimmedMean([0, 100, 200, 10_000])).toBe(150)
  })

  it('gives exact known answers', () => {
    expect(mean([100, 200, 200])).toBe(167) // 1.666.. -> 1.67
    expect(median([100, 300, 200, 400])).toBe(250)
    expect(median([1, 2])).toBe(2) // 0.015 -> 0.02 half-up
    expect(mean([-1, -2])).toBe(-2) // -0.015 -> -0.02
  })
})
