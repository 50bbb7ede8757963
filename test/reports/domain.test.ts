import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { monthsOfYear, planPeriod } from '../../src/modules/reports/domain'
import { addDays } from '../../src/shared/time'

describe('planPeriod', () => {
  it('a whole year is twelve rollup months and no raw day', () => {
    expect(planPeriod('2026-01-01', '2026-12-31')).toEqual({
      months: { from: '2026-01-01', to: '2027-01-01' },
      days: [],
    })
  })

  it('part months at either edge are read raw, the whole months between from the rollups', () => {
    expect(planPeriod('2026-03-12', '2026-05-03')).toEqual({
      months: { from: '2026-04-01', to: '2026-05-01' },
      days: [
        { from: '2026-03-12', to: '2026-04-01' },
        { from: '2026-05-01', to: '2026-05-04' },
      ],
    })
  })

  it('a period inside one month, or across two part months, is all raw', () => {
    expect(planPeriod('2026-02-10', '2026-02-20')).toEqual({
      months: null,
      days: [{ from: '2026-02-10', to: '2026-02-21' }],
    })
    expect(planPeriod('2026-01-31', '2026-02-01')).toEqual({
      months: null,
      days: [{ from: '2026-01-31', to: '2026-02-02' }],
    })
  })

  it('the last day of a month (leap year too) closes it; December rolls into the next year', () => {
    expect(planPeriod('2028-02-01', '2028-02-29')).toEqual({
      months: { from: '2028-02-01', to: '2028-03-01' },
      days: [],
    })
    expect(planPeriod('2026-12-01', '2026-12-31')).toEqual({
      months: { from: '2026-12-01', to: '2027-01-01' },
      days: [],
    })
    expect(planPeriod('2026-12-02', '2027-01-31')).toEqual({
      months: { from: '2027-01-01', to: '2027-02-01' },
      days: [{ from: '2026-12-02', to: '2027-01-01' }],
    })
  })

  it('open ends stay open on the rollup side', () => {
    expect(planPeriod(null, null)).toEqual({ months: { from: null, to: null }, days: [] })
    expect(planPeriod('2026-03-15', null)).toEqual({
      months: { from: '2026-04-01', to: null },
      days: [{ from: '2026-03-15', to: '2026-04-01' }],
    })
    expect(planPeriod(null, '2026-03-15')).toEqual({
      months: { from: null, to: '2026-03-01' },
      days: [{ from: '2026-03-01', to: '2026-03-16' }],
    })
  })

  it('monthsOfYear lists the twelve months', () => {
    expect(monthsOfYear(2026)).toHaveLength(12)
    expect(monthsOfYear(2026)[11]).toBe('2026-12')
  })
})

function nextMonth(date: string): string {
  const [y, m] = date.split('-').map(Number) as [number, number]
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
}

describe('planPeriod, any closed period', () => {
  it('splits [from, to] into adjacent pieces, months whole, days never a whole month', () => {
    const day = fc.integer({ min: 0, max: 3 * 366 }).map((n) => addDays('2025-01-01', n))
    fc.assert(
      fc.property(day, day, (x, y) => {
        const [from, to] = x <= y ? [x, y] : [y, x]
        const plan = planPeriod(from, to)
        const pieces = [...plan.days]
        if (plan.months) {
          expect(plan.months.from!.endsWith('-01') && plan.months.to!.endsWith('-01')).toBe(true)
          expect(plan.months.from! < plan.months.to!).toBe(true)
          pieces.push(plan.months)
        }
        pieces.sort((a, b) => (a.from! < b.from! ? -1 : 1))
        expect(pieces[0]!.from).toBe(from)
        expect(pieces.at(-1)!.to).toBe(addDays(to, 1))
        for (let i = 1; i < pieces.length; i++) expect(pieces[i]!.from).toBe(pieces[i - 1]!.to)
        // No raw day range holds a whole month (that month would be read raw though a rollup row has it).
        for (const d of plan.days) {
          const firstWhole = d.from!.endsWith('-01') ? d.from! : nextMonth(d.from!)
          expect(nextMonth(firstWhole) > d.to!).toBe(true)
        }
      }),
    )
  })
})
