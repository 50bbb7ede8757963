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
            identity: null,
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
        { name: '甲', isPartyMember: true, phone: null, workUnit: null, identity: null },
        { name: '乙', isPartyMember: false, phone: null, workUnit: null, identity: null },
      ],
    })
  })

  it('reads an identity document from identityType (code or name) and identityNumber, checked per line', () => {
    const text = [
      'name,isPartyMember,identityType,identityNumber',
      '甲,是,resident_id,11010519491231002x',
      '乙,是,护照,E1234 5678',
      '丙,否,,',
    ].join('\n')
    expect(parseMemberCsv(text)).toEqual({
      rows: [
        expect.objectContaining({
          name: '甲',
          identity: { type: 'resident_id', number: '11010519491231002X' },
        }),
        expect.objectContaining({ name: '乙', identity: { type: 'passport', number: 'E12345678' } }),
        expect.objectContaining({ name: '丙', identity: null }),
      ],
    })
    const bad = parseMemberCsv(
      [
        'name,isPartyMember,identityType,identityNumber',
        '甲,是,resident_id,110105194912310021',
        '乙,是,驾驶证,123456',
        '丙,是,,110105194912310021',
        '丁,是,passport,',
        '戊,是,resident_id,1101-0519',
      ].join('\n'),
    )
    expect(bad).toEqual({
      errors: [
        { line: 2, message: expect.stringMatching(/^identityNumber .*check digit/) },
        { line: 3, message: expect.stringMatching(/^identityType must be one of/) },
        { line: 4, message: 'identityNumber needs identityType' },
        { line: 5, message: 'identityType needs identityNumber' },
        { line: 6, message: expect.stringMatching(/^identityNumber may hold only/) },
      ],
    })
    // An error names the line, never the number.
    for (const e of (bad as { errors: { message: string }[] }).errors) expect(e.message).not.toMatch(/\d{6}/)
  })
})
