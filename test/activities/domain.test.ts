import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  canStep,
  maskPhone,
  mayServeIn,
  newVerificationCode,
  normaliseVerificationCode,
  serialNumber,
} from '../../src/modules/activities/domain'

describe('mayServeIn', () => {
  const home = '/r/d/s/cA/bA/'
  it('accepts the member line of the tree and registered communities, nothing else', () => {
    expect(mayServeIn('/r/d/s/cA/bA/', [home])).toBe(true)
    expect(mayServeIn('/r/d/s/cA/', [home])).toBe(true)
    expect(mayServeIn('/r/d/s/cA/bA/g1/', [home])).toBe(true)
    expect(mayServeIn('/r/d/s/cB/', [home])).toBe(false)
    expect(mayServeIn('/r/d/s/cB/bB/', [home, '/r/d/s/cB/'])).toBe(true)
    expect(mayServeIn('/r/d/s/cA/bA2/', [home])).toBe(false)
  })
})

describe('service request steps', () => {
  it('allows exactly the transitions of the state machine', () => {
    const allowed = (
      ['open', 'published', 'dispatched', 'accepted', 'completed', 'confirmed', 'cancelled'] as const
    ).flatMap((status) =>
      (
        [
          'dispatch',
          'publish',
          'unpublish',
          'take',
          'accept',
          'decline',
          'complete',
          'confirm',
          'cancel',
        ] as const
      )
        .filter((step) => canStep(step, status))
        .map((step) => `${status}:${step}`),
    )
    expect(allowed).toEqual([
      'open:dispatch',
      'open:publish',
      'open:cancel',
      'published:unpublish',
      'published:take',
      'published:cancel',
      'dispatched:accept',
      'dispatched:decline',
      'dispatched:cancel',
      'accepted:complete',
      'accepted:cancel',
      'completed:confirm',
    ])
  })
})

describe('maskPhone', () => {
  it('keeps the first three and last four digits of a mobile number', () => {
    expect(maskPhone('13812345678')).toBe('138****5678')
    expect(maskPhone(' 138 1234 5678 ')).toBe('138****5678')
    expect(maskPhone('6543210')).toBe('*****10')
    expect(maskPhone(null)).toBeNull()
    expect(maskPhone('')).toBeNull()
  })
})

describe('verification codes', () => {
  it('are 26 Crockford base32 characters (130 bits) and do not repeat', () => {
    const codes = new Set(Array.from({ length: 2000 }, newVerificationCode))
    expect(codes.size).toBe(2000)
    for (const code of codes) expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/)
  })

  it('normalise what a person types (case, spaces, hyphens) back to the code', () => {
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'.split('')
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { minLength: 26, maxLength: 26 }),
        fc.integer({ min: 1, max: 8 }),
        fc.constantFrom(' ', '-', ' - '),
        (chars, group, separator) => {
          const code = chars.join('')
          const typed = code.toLowerCase().replace(new RegExp(`(.{${group}})`, 'g'), `$1${separator}`)
          return normaliseVerificationCode(typed) === code
        },
      ),
    )
    expect(normaliseVerificationCode('oIl')).toBe('011')
  })
})

describe('serialNumber', () => {
  it('combines year, unit code (or id prefix) and a five-digit running number', () => {
    expect(serialNumber(2026, { id: '3f2a9c01-0000-4000-8000-000000000000', code: null }, 12)).toBe(
      '2026-3F2A9C01-00012',
    )
    expect(serialNumber(2026, { id: '3f2a9c01-0000-4000-8000-000000000000', code: 'XFSQ' }, 123456)).toBe(
      '2026-XFSQ-123456',
    )
  })
})
