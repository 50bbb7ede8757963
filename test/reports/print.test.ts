import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { pdfText } from '../helpers/pdf'
import { thisYear } from '../helpers/scoring'

let t: TestApp
let w: World
let unitName: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  const settings = await t.call({
    method: 'PATCH',
    url: `/api/v1/org-units/${w.communityA}`,
    as: w.admin,
    payload: {
      settings: {
        grades: [
          { name: '五星', minPoints: 90 },
          { name: '四星', minPoints: 75 },
        ],
      },
    },
  })
  expect(settings.statusCode, settings.body).toBe(200)
  await award(t.db, w.memberA.memberId, 8_000)
  await award(t.db, await createMember(t.db, w.gridA, { name: '李打印' }), 9_500)
  unitName = (await one<{ name: string }>(t.db, sql`select name from org_units where id = ${w.branchA}`))!
    .name
})

const get = (as: string, kind: 'ranking' | 'standings') =>
  t.call({ method: 'GET', url: `/api/v1/reports/${kind}.pdf?orgUnitId=${w.branchA}&year=${thisYear()}`, as })

describe('the ranking and the standings as PDF', () => {
  it('getRankingPdf prints every row of the ranking with rank, points, hours and grade', async () => {
    const res = await get(w.secretaryA, 'ranking')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/pdf')
    const { text, size } = await pdfText(res.rawPayload)
    expect(size.map(Math.round)).toEqual([595, 842])
    const compact = text.replace(/\s+/g, '')
    expect(compact).toContain(`${unitName}${thisYear()}年度党员积分排名`)
    expect(compact).toContain('1李打印95.000.00五星')
    expect(compact).toContain('2张三80.000.00四星')
    // The ranking is the secretaries': a member of the branch is refused.
    expect((await get(w.memberA.userId, 'ranking')).statusCode).toBe(403)
    expect((await get(w.secretaryB, 'ranking')).statusCode).toBe(404)
  })

  it('getStandingsPdf is read by the branch’s members too, not by another branch’s', async () => {
    const res = await get(w.memberA.userId, 'standings')
    expect(res.statusCode, res.body).toBe(200)
    const compact = (await pdfText(res.rawPayload)).text.replace(/\s+/g, '')
    expect(compact).toContain(`${unitName}${thisYear()}年度党员积分亮榜`)
    expect(compact).toContain('1李打印95.000.00五星')
    expect((await get(w.memberB.userId, 'standings')).statusCode).toBe(404)
  })
})
