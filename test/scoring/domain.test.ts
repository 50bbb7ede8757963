import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  applyCap,
  canMoveClaim,
  canMoveObjection,
  canMoveRound,
  computeResult,
  defaultQuorum,
  inRange,
  requiredScores,
} from '../../src/modules/scoring/domain'
import { divRoundHalfUp, mean, median, trimmedMean } from '../../src/shared/decimal'

const scores = fc.array(fc.integer({ min: -100_000, max: 100_000 }), { minLength: 1, maxLength: 12 })

describe('aggregation (property tests)', () => {
  it('mean and median lie between the lowest and the highest score', () => {
    fc.assert(
      fc.property(scores, (xs) => {
        const lo = Math.min(...xs)
        const hi = Math.max(...xs)
        for (const v of [mean(xs), median(xs), trimmedMean(xs)]) {
          expect(v).toBeGreaterThanOrEqual(lo)
          expect(v).toBeLessThanOrEqual(hi)
        }
      }),
    )
  })

  it('trimmed mean ignores one extreme: moving the highest score further up changes nothing (4+ scores)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 4, maxLength: 12 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        (xs, bump) => {
          const sorted = [...xs].sort((a, b) => a - b)
          const louder = [...sorted.slice(0, -1), sorted[sorted.length - 1]! + bump]
          const quieter = [sorted[0]! - bump, ...sorted.slice(1)]
          expect(trimmedMean(louder)).toBe(trimmedMean(sorted))
          expect(trimmedMean(quieter)).toBe(trimmedMean(sorted))
        },
      ),
    )
  })

  it('trimmed mean of fewer than 4 scores is the plain mean', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 3 }), (xs) => {
        expect(trimmedMean(xs)).toBe(mean(xs))
      }),
    )
  })

  it('rounds half-up to 0.01 (away from zero), within half a hundredth of the exact mean', () => {
    expect(mean([100, 101])).toBe(101) // 1.005 -> 1.01
    expect(mean([-100, -101])).toBe(-101)
    expect(mean([100, 100, 101])).toBe(100) // 1.0033 -> 1.00
    expect(median([100, 101])).toBe(101)
    fc.assert(
      fc.property(scores, (xs) => {
        const exact = xs.reduce((a, b) => a + b, 0) / xs.length
        expect(Math.abs(mean(xs) - exact)).toBeLessThanOrEqual(0.5)
        expect(divRoundHalfUp(xs.reduce((a, b) => a + b, 0) * 2, 2 * xs.length)).toBe(mean(xs))
      }),
    )
  })
})

describe('computeResult', () => {
  it('gives the spread and flags divergence above a third of the ceiling by default', () => {
    expect(computeResult('mean', [300, 400, 500], 600, null)).toEqual({
      result: 400,
      spread: 200,
      divergent: false,
    })
    expect(computeResult('mean', [100, 400, 500], 600, null)).toEqual({
      result: 333,
      spread: 400,
      divergent: true,
    })
    expect(computeResult('median', [100, 400, 500], 600, 500)).toEqual({
      result: 400,
      spread: 400,
      divergent: false,
    })
  })
  it('works for deductions (negative points)', () => {
    expect(computeResult('mean', [-200, -100], -200, null)).toEqual({
      result: -150,
      spread: 100,
      divergent: true,
    })
  })
})

describe('quorum and range', () => {
  it('defaults to a majority and never asks more than the non-recused panelists', () => {
    expect([1, 2, 3, 4, 5].map(defaultQuorum)).toEqual([1, 2, 2, 3, 3])
    expect(requiredScores(3, 2)).toBe(2)
    expect(requiredScores(2, 3)).toBe(2)
    expect(requiredScores(2, 0)).toBe(1)
  })
  it('points lie between 0 and the ceiling, on the ceiling’s side', () => {
    expect(inRange(0, 400)).toBe(true)
    expect(inRange(400, 400)).toBe(true)
    expect(inRange(401, 400)).toBe(false)
    expect(inRange(-1, 400)).toBe(false)
    expect(inRange(-200, -200)).toBe(true)
    expect(inRange(1, -200)).toBe(false)
  })
})

describe('applyCap', () => {
  const d = { itemCode: 'STUDY', year: 2026 }
  it('awards all while under the cap', () => {
    expect(applyCap(400, 1000, 2400, d)).toEqual({ awarded: 400, cappedAmount: 0, reason: null })
  })
  it('awards what is left and says why', () => {
    const out = applyCap(400, 2200, 2400, d)
    expect(out.awarded).toBe(200)
    expect(out.cappedAmount).toBe(200)
    expect(out.reason).toContain('capPerYear 24.00 of STUDY in 2026')
  })
  it('awards nothing once the cap is reached; caps deductions in magnitude', () => {
    expect(applyCap(400, 2400, 2400, d).awarded).toBe(0)
    expect(applyCap(-2000, -3000, 4000, d)).toMatchObject({ awarded: -1000, cappedAmount: -1000 })
  })
  it('never awards more than the cap in total (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 })),
        fc.integer({ min: 1, max: 5000 }),
        (results, cap) => {
          let posted = 0
          for (const r of results) {
            const out = applyCap(r, posted, cap, d)
            expect(out.awarded + out.cappedAmount).toBe(r)
            posted += out.awarded
          }
          expect(posted).toBeLessThanOrEqual(cap)
        },
      ),
    )
  })
})

describe('state machines', () => {
  it('claims: submitted > scoring > scored > posted; withdraw only while submitted; rescore goes back', () => {
    expect(canMoveClaim('submitted', 'scoring')).toBe(true)
    expect(canMoveClaim('submitted', 'withdrawn')).toBe(true)
    expect(canMoveClaim('scoring', 'scored')).toBe(true)
    expect(canMoveClaim('scored', 'posted')).toBe(true)
    expect(canMoveClaim('scored', 'scoring')).toBe(true)
    expect(canMoveClaim('scoring', 'withdrawn')).toBe(false)
    expect(canMoveClaim('posted', 'scoring')).toBe(false)
    expect(canMoveClaim('withdrawn', 'submitted')).toBe(false)
    expect(canMoveClaim('submitted', 'posted')).toBe(false)
  })
  it('rounds: scoring > publicity > finalized, publicity back to scoring for a rescore', () => {
    expect(canMoveRound('scoring', 'publicity')).toBe(true)
    expect(canMoveRound('publicity', 'finalized')).toBe(true)
    expect(canMoveRound('publicity', 'scoring')).toBe(true)
    expect(canMoveRound('scoring', 'finalized')).toBe(false)
    expect(canMoveRound('finalized', 'scoring')).toBe(false)
  })
  it('objections: open > upheld or rescore, then final', () => {
    expect(canMoveObjection('open', 'upheld')).toBe(true)
    expect(canMoveObjection('open', 'rescore')).toBe(true)
    expect(canMoveObjection('upheld', 'rescore')).toBe(false)
    expect(canMoveObjection('rescore', 'open')).toBe(false)
  })
})
