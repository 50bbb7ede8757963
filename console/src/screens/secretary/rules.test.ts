import { describe, expect, it } from 'vitest'
import {
  activityTimeProblem,
  adjustmentProblems,
  decimalProblem,
  defaultQuorum,
  hoursProblem,
  itemProblems,
  roundProblems,
} from './rules'

describe("the secretary's form rules", () => {
  it('takes decimals as the API does: at most two fraction digits', () => {
    expect(decimalProblem('3.5')).toBeNull()
    expect(decimalProblem('-3.50')).toBeNull()
    expect(decimalProblem('3.555')?.key).toBe('rule.decimal')
    expect(decimalProblem('1e3')?.key).toBe('rule.decimal')
    expect(decimalProblem(' ')?.key).toBe('rule.required')
    expect(decimalProblem('0', { positive: true })?.key).toBe('rule.positive')
    expect(decimalProblem('0.00', { nonZero: true })?.key).toBe('rule.nonZero')
    expect(decimalProblem('2.5', { whole: true })?.key).toBe('rule.wholeNumber')
  })

  it("keeps a participant's hours above 0 and within the activity's length", () => {
    expect(hoursProblem('3', '3.00')).toBeNull()
    expect(hoursProblem('0.25', '3.00')).toBeNull()
    expect(hoursProblem('3.01', '3.00')).toEqual({ key: 'rule.atMost', vars: { max: '3.00' } })
    expect(hoursProblem('0', '3.00')?.key).toBe('rule.positive')
  })

  it('wants an activity to end after it starts', () => {
    expect(activityTimeProblem('2026-05-01T09:00:00+08:00', '2026-05-01T11:00:00+08:00')).toBeNull()
    expect(activityTimeProblem('2026-05-01T09:00:00+08:00', '2026-05-01T09:00:00+08:00')?.key).toBe(
      'rule.endAfterStart',
    )
    expect(activityTimeProblem(undefined, '2026-05-01T09:00:00+08:00')?.key).toBe('rule.required')
  })

  it('checks a round: period in order, a panel, a quorum within it', () => {
    expect(
      roundProblems({
        periodStart: '2026-01-01',
        periodEnd: '2026-06-30',
        panelUserIds: ['a', 'b'],
        quorum: 2,
      }),
    ).toEqual({})
    const bad = roundProblems({
      periodStart: '2026-07-01',
      periodEnd: '2026-06-30',
      panelUserIds: ['a'],
      quorum: 2,
    })
    expect(bad.period?.key).toBe('rule.periodOrder')
    expect(bad.quorum).toEqual({ key: 'rule.quorum', vars: { max: 1 } })
    expect(
      roundProblems({ periodStart: '2026-01-01', periodEnd: '2026-01-01', panelUserIds: [] }).panelUserIds
        ?.key,
    ).toBe('rule.panel')
    expect(defaultQuorum(1)).toBe(1)
    expect(defaultQuorum(2)).toBe(2)
    expect(defaultQuorum(3)).toBe(2)
    expect(defaultQuorum(4)).toBe(3)
  })

  it("reports every problem of a rubric's items at once", () => {
    const row = {
      code: 'A1',
      name: '参加组织生活',
      pointsPerUnit: '1.00',
      maxPerClaim: '2.00',
      capPerYear: '12.00',
    }
    expect(itemProblems([row])).toEqual({})
    const problems = itemProblems([
      row,
      { ...row, maxPerClaim: '0.50' },
      { ...row, code: 'B 1', name: ' ', capPerYear: '1.00' },
      { ...row, code: 'C', pointsPerUnit: 'x' },
    ])
    expect(problems).toEqual({
      '1.code': { key: 'rule.itemCodeTwice' },
      '1.maxPerClaim': { key: 'rule.maxBelowUnit' },
      '2.code': { key: 'rule.itemCode' },
      '2.name': { key: 'rule.required' },
      '2.capPerYear': { key: 'rule.capBelowMax' },
      '3.pointsPerUnit': { key: 'rule.decimal' },
    })
  })

  it('wants a correction to move points and to say why', () => {
    expect(adjustmentProblems({ amount: '-2.00', reason: '重复计分' })).toEqual({})
    expect(adjustmentProblems({ amount: '0', reason: '' })).toEqual({
      amount: { key: 'rule.nonZero' },
      reason: { key: 'rule.required' },
    })
  })
})
