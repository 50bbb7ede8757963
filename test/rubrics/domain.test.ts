import { describe, expect, it } from 'vitest'
import template from '../../src/modules/rubrics/default-template.json' with { type: 'json' }
import { claimCeiling, type RubricItemInput, validateItems } from '../../src/modules/rubrics/domain'

const item = (over: Partial<RubricItemInput> = {}): RubricItemInput => ({
  code: 'STUDY',
  name: '日常学习',
  kind: 'award',
  unit: 'occurrence',
  pointsPerUnit: '1.00',
  maxPerClaim: '4.00',
  capPerYear: '24.00',
  ...over,
})

function fieldsOf(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    return ((err as { extra: { errors: { field: string }[] } }).extra.errors ?? []).map((e) => e.field)
  }
  throw new Error('expected a validation error')
}

describe('validateItems', () => {
  it('accepts the shipped 20-item template, amounts in hundredths', () => {
    const items = validateItems(template.items as RubricItemInput[])
    expect(items).toHaveLength(20)
    expect(items.find((i) => i.code === 'DISCIPLINE')).toMatchObject({
      kind: 'deduction',
      unit: 'fixed',
      pointsPerUnit: 2000,
      maxPerClaim: 2000,
      capPerYear: 4000,
    })
  })

  it('accepts numbers with two places as well as strings', () => {
    expect(validateItems([item({ pointsPerUnit: 1.5, maxPerClaim: 3, capPerYear: '30' })])[0]).toMatchObject({
      pointsPerUnit: 150,
      maxPerClaim: 300,
      capPerYear: 3000,
    })
  })

  it('reports every problem at once: duplicate codes, non-positive or over-precise amounts, max and cap order', () => {
    const fields = fieldsOf(() =>
      validateItems([
        item(),
        item({ pointsPerUnit: '0.00' }),
        item({ code: 'B', maxPerClaim: '1.234' }),
        item({ code: 'C', pointsPerUnit: '5.00', maxPerClaim: '4.00' }),
        item({ code: 'D', capPerYear: '3.99' }),
        item({ code: 'E', pointsPerUnit: '-1.00' }),
      ]),
    )
    expect(fields).toEqual([
      'items.1.code',
      'items.1.pointsPerUnit',
      'items.2.maxPerClaim',
      'items.3.maxPerClaim',
      'items.4.capPerYear',
      'items.5.pointsPerUnit',
    ])
  })

  it('refuses an empty list', () => {
    expect(fieldsOf(() => validateItems([]))).toEqual(['items'])
  })
})

describe('claimCeiling', () => {
  const hour = { kind: 'award' as const, unit: 'hour' as const, pointsPerUnit: 100, maxPerClaim: 800 }
  it('is pointsPerUnit * quantity below the maximum, exact to 0.01', () => {
    expect(claimCeiling(hour, 250)).toBe(250)
    expect(claimCeiling({ ...hour, pointsPerUnit: 150 }, 333)).toBe(500) // 1.50 * 3.33 = 4.995 -> 5.00 half-up
  })
  it('stops at maxPerClaim', () => {
    expect(claimCeiling(hour, 1200)).toBe(800)
  })
  it('counts a fixed item once whatever the quantity', () => {
    expect(claimCeiling({ ...hour, unit: 'fixed', pointsPerUnit: 500, maxPerClaim: 500 }, 700)).toBe(500)
  })
  it('is negative for deductions', () => {
    expect(
      claimCeiling(
        { ...hour, kind: 'deduction', unit: 'occurrence', pointsPerUnit: 200, maxPerClaim: 200 },
        300,
      ),
    ).toBe(-200)
  })
})
