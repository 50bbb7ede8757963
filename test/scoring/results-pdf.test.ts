import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import { pdfText } from '../helpers/pdf'
import {
  activeRubric,
  claim,
  endPublicity,
  finalize,
  openRound,
  panel,
  scoreOk,
  yearEnd,
  yearStart,
} from '../helpers/scoring'

let t: TestApp
let w: World
let roundId: string
let unitName: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  const rubricId = await activeRubric(t, w)
  const wang = await createMemberUser(t.db, w.branchA, { name: '王公示' })
  const a = await claim(t, w.secretaryA, {
    memberId: w.memberA.memberId,
    rubricId,
    itemCode: 'STUDY',
    quantity: 3,
  })
  const b = await claim(t, w.secretaryA, { memberId: w.memberA.memberId, rubricId, itemCode: 'DUES' })
  const c = await claim(t, w.secretaryA, {
    memberId: wang.memberId,
    rubricId,
    itemCode: 'MEETING',
    quantity: 1,
  })
  const panelists = await panel(t.db, w)
  const round = await openRound(t, w, { rubricId, panelUserIds: panelists, publicityDays: 5 })
  roundId = round.id
  for (const p of panelists) {
    await scoreOk(t, p, roundId, a.id, '3.00')
    await scoreOk(t, p, roundId, b.id, '5.00')
    await scoreOk(t, p, roundId, c.id, '2.00')
  }
  unitName = (await one<{ name: string }>(t.db, sql`select name from org_units where id = ${w.branchA}`))!
    .name
})

const get = (as: string, url = `/api/v1/scoring-rounds/${roundId}/results.pdf`, accept?: string) =>
  t.call({ method: 'GET', url, as, headers: accept ? { accept } : {} })

describe('GET /api/v1/scoring-rounds/{id}/results.pdf (公示栏)', () => {
  it('is refused before close as the results are (409)', async () => {
    const res = await get(w.memberA.userId)
    expect(res.statusCode, res.body).toBe(409)
    await t.call({ method: 'POST', url: `/api/v1/scoring-rounds/${roundId}/close`, as: w.secretaryA })
  })

  it('prints the unit, round, period, each member’s items, points and subtotal, the window and the default notice', async () => {
    const res = await get(w.memberA.userId)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.headers['content-type']).toBe('application/pdf')
    const { text, size } = await pdfText(res.rawPayload)
    expect(size.map(Math.round)).toEqual([595, 842])
    const compact = text.replace(/\s+/g, '')
    expect(compact).toContain(`${unitName}党员积分评议结果公示`)
    expect(compact).toContain('2026细则')
    expect(compact).toContain(`${yearStart()}至${yearEnd()}`)
    for (const s of ['张三', '日常学习', '3.00', '按时足额交纳党费', '5.00', '张三小计', '8.00']) {
      expect(compact).toContain(s)
    }
    for (const s of ['王公示', '三会一课', '王公示小计', '2.00']) expect(compact).toContain(s)
    expect(compact).toContain('公示期：')
    expect(compact).toContain('公示中')
    expect(compact).toContain('提出异议')
    const round = (
      await t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${roundId}`, as: w.secretaryA })
    ).json()
    // The deadline in the service zone, to the minute: 2026-12-10T23:59:59.999+08:00 prints 2026年12月10日 23:59.
    const [date, time] = String(round.publicityEndsAt).split('T')
    const [y, m, d] = date!.split('-').map(Number)
    expect(compact).toContain(`异议截止时间：${y}年${m}月${d}日${time!.slice(0, 5)}`)
  })

  it('prints the unit’s objectionNotice when one is set above it', async () => {
    await t.db.execute(
      sql`update org_units set objection_notice = ${'如有异议，请于公示期内向街道党工委组织办书面反映。'} where id = ${w.street}`,
    )
    const { text } = await pdfText((await get(w.secretaryA)).rawPayload)
    expect(text.replace(/\s+/g, '')).toContain('如有异议，请于公示期内向街道党工委组织办书面反映。')
    expect(text).not.toContain('逾期提出的异议不予受理')
    await t.db.execute(sql`update org_units set objection_notice = null where id = ${w.street}`)
  })

  it('Accept: application/pdf on getRoundResults gives the same sheet; other branches get 404', async () => {
    const res = await get(w.panelistA, `/api/v1/scoring-rounds/${roundId}/results`, 'application/pdf')
    expect(res.statusCode).toBe(200)
    expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    expect((await get(w.memberB.userId)).statusCode).toBe(404)
    expect((await get(w.secretaryB)).statusCode).toBe(404)
  })

  it('after finalize shows the points as posted and says so', async () => {
    await endPublicity(t.db, roundId)
    const res = await finalize(t, w.secretaryA, roundId)
    expect(res.statusCode, res.body).toBe(200)
    const { text } = await pdfText((await get(w.memberA.userId)).rawPayload)
    expect(text.replace(/\s+/g, '')).toContain('公示期满，已确认计入积分')
  })
})
