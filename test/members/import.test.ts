import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseMemberCsv } from '../../src/modules/members/import'
import { toCsv } from '../../src/shared/csv'

describe('parseMemberCsv', () => {
  it('round-trips what toCsv writes (BOM, quotes, commas, new lines, Chinese) for any names', () => {
    const name = fc
      .string({
        minLength: 1,
        maxLength: 20,
        unit: fc.constantFrom('张', '王', ',', '"', '\n', 'a', ' ', '李'),
      })
      .filter((s) => s.trim().length > 0 && !/^[=+@\-\t\r]/.test(s.trim()))
    fc.assert(
      fc.property(fc.array(fc.record({ name, isPartyMember: fc.boolean() }), { maxLength: 8 }), (people) => {
        const text = toCsv(
          [
            { header: 'name', value: (p) => p.name },
            { header: 'isPartyMember', value: (p) => String(p.isPartyMember) },
          ],
          people,
        )
        const parsed = parseMemberCsv(text)
        expect(parsed).toEqual({
          rows: people.map((p) => ({
            name: p.name.trim(),
            isPartyMember: p.isPartyMember,
            phone: null,
            workUnit: null,
          })),
        })
      }),
    )
  })

  it('an empty file is an error on line 1; a header alone imports nothing', () => {
    expect(parseMemberCsv('')).toEqual({ errors: [{ line: 1, message: expect.any(String) }] })
    expect(parseMemberCsv('name,isPartyMember\r\n')).toEqual({ rows: [] })
  })

  it('accepts 是/否 and 1/0 for isPartyMember', () => {
    expect(parseMemberCsv('name,isPartyMember\n甲,是\n乙,0\n')).toEqual({
      rows: [
        { name: '甲', isPartyMember: true, phone: null, workUnit: null },
        { name: '乙', isPartyMember: false, phone: null, workUnit: null },
      ],
    })
  })
})
