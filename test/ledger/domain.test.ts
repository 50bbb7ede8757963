import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LEDGER_KINDS } from '../../src/db/schema/ledger'
import { assertBalanced, canonicalContent, entriesOf, legFor } from '../../src/modules/ledger/domain'

const content = {
  id: 'A0000000-0000-4000-8000-000000000001',
  kind: 'award' as const,
  memberId: 'b0000000-0000-4000-8000-000000000002',
  memo: '志愿服务',
  reason: null,
  referenceType: 'claim',
  referenceId: 'c0000000-0000-4000-8000-000000000003',
  actorUserId: null,
  amount: 1250,
  heldChange: 0,
  counterAccountId: 'd0000000-0000-4000-8000-000000000004',
  counterAmount: -1250,
}

describe('ledger domain', () => {
  it('every kind builds entries that sum to zero, whatever the amount', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...LEDGER_KINDS),
        fc.integer({ min: 1, max: 10_000_000 }),
        (kind, amount) => {
          const entries = entriesOf('member', legFor(kind, amount, 'office'))
          expect(() => assertBalanced(entries)).not.toThrow()
          expect(entries.reduce((s, e) => s + e.amount, 0)).toBe(0)
        },
      ),
    )
  })

  it('holds, posts and voids move held points; only posts move the balance; none count as earned', () => {
    expect(legFor('hold', 500, 'office')).toEqual({
      amount: 0,
      heldChange: 500,
      earnedChange: 0,
      counterAccountId: null,
    })
    expect(legFor('post', 500, 'office')).toEqual({
      amount: -500,
      heldChange: -500,
      earnedChange: 0,
      counterAccountId: 'office',
    })
    expect(legFor('void', 500, 'office')).toEqual({
      amount: 0,
      heldChange: -500,
      earnedChange: 0,
      counterAccountId: null,
    })
    expect(legFor('deduction', -300, 'office').earnedChange).toBe(-300)
  })

  it('refuses unbalanced, empty, fractional and empty-movement entries', () => {
    expect(() => assertBalanced([])).toThrow(/needs entries/)
    expect(() => assertBalanced([{ accountId: 'a', amount: 100, heldChange: 0 }])).toThrow(/does not balance/)
    expect(() =>
      assertBalanced([
        { accountId: 'a', amount: 0.5, heldChange: 0 },
        { accountId: 'b', amount: -0.5, heldChange: 0 },
      ]),
    ).toThrow(/integer/)
    expect(() => assertBalanced([{ accountId: 'a', amount: 0, heldChange: 0 }])).toThrow(/must move/)
  })

  it('the canonical content names every field; ids are case-insensitive', () => {
    const base = canonicalContent(content)
    expect(canonicalContent({ ...content, id: content.id.toLowerCase() })).toBe(base)
    expect(canonicalContent({ ...content, amount: 1251 })).not.toBe(base)
    expect(canonicalContent({ ...content, memo: '志愿服务 ' })).not.toBe(base)
  })
})
