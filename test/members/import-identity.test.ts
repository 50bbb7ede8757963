import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { openIdentityNumber } from '../../src/modules/members/identity'
import { parsePiiKey, piiKeyring } from '../../src/shared/pii'
import { buildTestApp, TEST_PII_KEY, type TestApp } from '../helpers/app'
import { createUnit, createWorld, uniq, type World } from '../helpers/factories'

// The roster import takes identity documents too (issue 19), kept as the single-member path keeps them: sealed under
// PII_KEY for the member, found by the keyed hash, shown only masked (the roster CSV included), errors by line.

let t: TestApp
let w: World
const NUMBER = '11010519491231002X'

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const importCsv = (body: string, orgUnitId: string) =>
  t.call({
    method: 'POST',
    url: `/api/v1/members/import?orgUnitId=${orgUnitId}`,
    as: w.secretaryA,
    headers: { 'content-type': 'text/csv' },
    payload: body,
  })

describe('POST /api/v1/members/import with identity documents', () => {
  it('seals the numbers, answers and exports them masked, finds members by them, and audits the mask', async () => {
    const unit = await createUnit(t.db, w.branchA, 'grid', uniq('证件网格'))
    const csv = [
      'name,isPartyMember,phone,identityType,identityNumber',
      `甲证件,是,13800000001,居民身份证,${NUMBER}`,
      '乙证件,是,,passport,E12345678',
      '丙证件,否,,,',
    ].join('\r\n')
    const res = await importCsv(csv, unit)
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toEqual({ created: 3 })

    const stored = await rows<{ id: string; name: string; row: string; sealed: string | null }>(
      t.db,
      sql`select id, name, row_to_json(m)::text as row, identity_sealed as sealed from members m
          where org_unit_id = ${unit} order by name`,
    )
    expect(stored).toHaveLength(3)
    for (const r of stored) {
      expect(r.row).not.toContain(NUMBER)
      expect(r.row).not.toContain('E12345678')
    }
    // Sealed for that member: it opens under the key for its own row only.
    const keyring = piiKeyring([parsePiiKey(TEST_PII_KEY)])
    const jia = stored.find((r) => r.name === '甲证件')!
    expect(openIdentityNumber(keyring, jia.id, jia.sealed!)).toBe(NUMBER)
    const yi = stored.find((r) => r.name === '乙证件')!
    expect(() => openIdentityNumber(keyring, yi.id, jia.sealed!)).toThrow()
    expect(stored.find((r) => r.name === '丙证件')!.sealed).toBeNull()

    const list = await t.call({ method: 'GET', url: `/api/v1/members?orgUnitId=${unit}`, as: w.secretaryA })
    const byName = Object.fromEntries(
      list.json().items.map((m: { name: string; identityDocument: unknown }) => [m.name, m.identityDocument]),
    )
    expect(byName).toEqual({
      甲证件: { type: 'resident_id', maskedNumber: '1101**********002X' },
      乙证件: { type: 'passport', maskedNumber: 'E*****678' },
      丙证件: null,
    })
    expect(list.body).not.toContain(NUMBER)
    const found = await t.call({
      method: 'GET',
      url: `/api/v1/members?identityNumber=${NUMBER}`,
      as: w.secretaryA,
    })
    expect(found.json().items.map((m: { id: string }) => m.id)).toEqual([jia.id])

    const exported = await t.call({
      method: 'GET',
      url: `/api/v1/members.csv?orgUnitId=${unit}`,
      as: w.secretaryA,
    })
    expect(exported.statusCode).toBe(200)
    expect(exported.body).toContain('resident_id,1101**********002X')
    expect(exported.body).not.toContain(NUMBER)

    const audits = await rows<{ action: string; text: string }>(
      t.db,
      sql`select action, coalesce(after::text, '') as text from audit_events
          where target_id = ${jia.id} order by action`,
    )
    expect(audits.map((a) => a.action)).toEqual(['member.identity_document.set', 'member.import'])
    expect(audits[0]!.text).toContain('1101**********002X')
    for (const a of audits) expect(a.text).not.toContain(NUMBER)
  })

  it('refuses the whole file with the line of each bad number, and creates nobody', async () => {
    const unit = await createUnit(t.db, w.branchA, 'grid', uniq('错号网格'))
    const res = await importCsv(
      [
        'name,isPartyMember,identityType,identityNumber',
        `好号,是,resident_id,${NUMBER}`,
        '错号,是,resident_id,110105194912310021',
        '缺类型,是,,E12345678',
      ].join('\n'),
      unit,
    )
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([
      { line: 3, message: expect.stringContaining('check digit') },
      { line: 4, message: 'identityNumber needs identityType' },
    ])
    expect(res.body).not.toContain('110105194912310021')
    expect(await rows(t.db, sql`select id from members where org_unit_id = ${unit}`)).toEqual([])
  })
})
