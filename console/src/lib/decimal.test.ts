import { describe, expect, it } from 'vitest'
import {
  addDecimal,
  compareDecimal,
  formatDecimal,
  fromHundredths,
  multiplyDecimal,
  subtractDecimal,
  toHundredths,
} from './decimal'

describe('console decimal display (no float math)', () => {
  it('reads and writes hundredths exactly', () => {
    expect(toHundredths('26.75')).toBe(2675n)
    expect(toHundredths('12.5')).toBe(1250n)
    expect(toHundredths('-0.05')).toBe(-5n)
    expect(toHundredths('7')).toBe(700n)
    expect(fromHundredths(-5n)).toBe('-0.05')
    expect(fromHundredths(123456789012345678901n)).toBe('1234567890123456789.01')
    for (const bad of ['', '1.234', 'abc', '1e3', '0x10', '1,000.00', 'NaN']) {
      expect(() => toHundredths(bad)).toThrow()
    }
  })

  it('adds and subtracts where floats would drift', () => {
    // 0.1 + 0.2 !== 0.3 in binary floating point; in hundredths it is exact.
    expect(addDecimal('0.10', '0.20')).toBe('0.30')
    expect(subtractDecimal('32.25', '10.00')).toBe('22.25')
    expect(subtractDecimal('1.00', '1.01')).toBe('-0.01')
    expect(addDecimal('9007199254740993.00', '0.01')).toBe('9007199254740993.01')
    expect(multiplyDecimal('12.50', 3)).toBe('37.50')
    expect(compareDecimal('10.00', '9.99')).toBe(1)
    expect(compareDecimal('10', '10.00')).toBe(0)
    expect(compareDecimal('-1.00', '0.00')).toBe(-1)
  })

  it('formats with grouping and sign, and never shows NaN', () => {
    expect(formatDecimal('1234567.5')).toBe('1,234,567.50')
    expect(formatDecimal('1234.50', { grouping: false })).toBe('1234.50')
    expect(formatDecimal('3.33', { signed: true })).toBe('+3.33')
    expect(formatDecimal('-20.00', { signed: true })).toBe('-20.00')
    expect(formatDecimal('0.00', { signed: true })).toBe('0.00')
    expect(formatDecimal('-1234.05')).toBe('-1,234.05')
    expect(formatDecimal(null)).toBe('—')
    expect(formatDecimal('not a number')).toBe('—')
  })
})
