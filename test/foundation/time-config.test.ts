import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { endOfDayAfter, formatInZone, localDate, yearRange } from '../../src/shared/time'

describe('service time zone', () => {
  it('puts 17:30 UTC on the next day in Shanghai', () => {
    const at = new Date('2026-11-27T17:30:00Z')
    expect(localDate(at, 'Asia/Shanghai')).toBe('2026-11-28')
    expect(localDate(at, 'UTC')).toBe('2026-11-27')
    expect(formatInZone(at, 'Asia/Shanghai')).toBe('2026-11-28T01:30:00+08:00')
  })

  it('ends publicity at the end of the local day N days later, or at once for 0', () => {
    const at = new Date('2026-11-27T17:30:00Z')
    expect(endOfDayAfter(at, 5, 'Asia/Shanghai').toISOString()).toBe('2026-12-03T16:00:00.000Z')
    expect(endOfDayAfter(at, 0, 'Asia/Shanghai')).toEqual(at)
  })

  it('starts the year at local midnight', () => {
    expect(yearRange(2026, 'Asia/Shanghai').start.toISOString()).toBe('2025-12-31T16:00:00.000Z')
  })
})

describe('loadConfig', () => {
  it('applies defaults', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://h/db', JWT_SECRET: 's'.repeat(32) })
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      timezone: 'Asia/Shanghai',
      redemptionHoldDays: 7,
    })
  })

  it.each([
    [{ PORT: 'x' }, /PORT/],
    [{ DATABASE_URL: 'mysql://h' }, /DATABASE_URL/],
    [{ DATABASE_URL: 'postgres://h/db' }, /JWT_SECRET/],
    [{ DATABASE_URL: 'postgres://h/db', JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ TIMEZONE: 'Nowhere/City', DATA_DIR: '/tmp/vp-cfg' }, /TIMEZONE/],
  ])('names the bad variable in one line: %j', (env, re) => {
    expect(() => loadConfig(env)).toThrow(re)
  })
})
