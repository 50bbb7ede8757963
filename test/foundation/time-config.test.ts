import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config'
import { endOfDayAfter, formatInstant, localDate, yearRange } from '../../src/shared/time'

describe('service time zone', () => {
  it('puts 17:30 UTC on the next day in Shanghai', () => {
    const at = new Date('2026-11-27T17:30:00Z')
    expect(localDate(at, 'Asia/Shanghai')).toBe('2026-11-28')
    expect(localDate(at, 'UTC')).toBe('2026-11-27')
    expect(formatInstant(at, 'Asia/Shanghai')).toBe('2026-11-28T01:30:00.000+08:00')
  })

  it('writes every instant one way: the zone offset and exactly three fraction digits', () => {
    // Dates and the text PostgreSQL gives for a timestamptz (session zone, to the microsecond) alike
    expect(formatInstant(new Date('2026-12-06T16:00:00Z'), 'Asia/Shanghai')).toBe(
      '2026-12-07T00:00:00.000+08:00',
    )
    expect(formatInstant('2026-11-27 13:43:03.1+08', 'Asia/Shanghai')).toBe('2026-11-27T13:43:03.100+08:00')
    expect(formatInstant('2026-11-27T13:43:03.123999+08:00', 'Asia/Shanghai')).toBe(
      '2026-11-27T13:43:03.123+08:00',
    )
    expect(formatInstant('2026-11-27 05:43:03.5+00', 'Asia/Shanghai')).toBe('2026-11-27T13:43:03.500+08:00')
    expect(formatInstant('2026-11-27T13:43:03+05:30', 'UTC')).toBe('2026-11-27T08:13:03.000+00:00')
    // another zone, on both sides of a daylight-saving change
    expect(formatInstant(new Date('2026-03-08T06:59:59.999Z'), 'America/New_York')).toBe(
      '2026-03-08T01:59:59.999-05:00',
    )
    expect(formatInstant(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toBe(
      '2026-03-08T03:00:00.000-04:00',
    )
    expect(() => formatInstant('yesterday', 'Asia/Shanghai')).toThrow(RangeError)
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
    const c = loadConfig({
      DATABASE_URL: 'postgres://h/db',
      JWT_SECRET: 's'.repeat(32),
      PII_KEY: 'a'.repeat(64),
    })
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
    [{ DATABASE_URL: 'postgres://h/db', JWT_SECRET: 's'.repeat(32) }, /PII_KEY: required/],
    [{ DATABASE_URL: 'postgres://h/db', JWT_SECRET: 's'.repeat(32), PII_KEY: 'abc' }, /PII_KEY: key 1/],
    [{ TIMEZONE: 'Nowhere/City', DATA_DIR: '/tmp/vp-cfg' }, /TIMEZONE/],
  ])('names the bad variable in one line: %j', (env, re) => {
    expect(() => loadConfig(env)).toThrow(re)
  })
})
