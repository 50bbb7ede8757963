import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { residentIdCheck } from '../../src/modules/members/identity'
import { localDate } from '../../src/shared/time'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser, createWorld, type World } from '../helpers/factories'
import { pdfText } from '../helpers/pdf'
import { activeRubric, endPublicity, finalize, openRound, panel, scoreOk, today } from '../helpers/scoring'

let t: TestApp
let w: World
/** A secretary of community B, where member A (home: branch A) registered (双报到). */
let secretaryCommB: string
let rubricId: string
let number: string
let registrationId: string
/**
 * The first day of the report's period: the Shanghai day the activities start on. They start five hours back, so
 * between 00:00 and 05:00 in Shanghai that is yesterday, and a period of today alone would leave them out.
 */
let since: string

const HOUR = 3_600_000

async function activity(as: string, orgUnitId: string, hours: string, itemCode?: string) {
  const starts = new Date(Date.now() - 5 * HOUR)
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as,
    payload: {
      orgUnitId,
      title: '楼道清理',
      startsAt: starts.toISOString(),
      endsAt: new Date(starts.getTime() + 4 * HOUR).toISOString(),
      ...(itemCode ? { rubricItemCode: itemCode } : {}),
    },
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  const rec = await t.call({
    method: 'PUT',
    url: `/api/v1/activities/${id}/participants/${w.memberA.memberId}`,
    as,
    payload: { hours },
  })
  expect(rec.statusCode, rec.body).toBeLessThan(300)
  const v = await t.call({ method: 'POST', url: `/api/v1/activities/${id}/verify`, as })
  expect(v.statusCode, v.body).toBe(200)
  return id
}

async function request(as: string, orgUnitId: string, hours: string, rating: number) {
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/service-requests',
    as,
    payload: { orgUnitId, requesterName: '王阿姨', title: '代买药品', description: '腿脚不便' },
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  const steps: [string, string, Record<string, unknown>][] = [
    ['dispatch', as, { memberId: w.memberA.memberId }],
    ['accept', w.memberA.userId, {}],
    ['complete', w.memberA.userId, { hours, note: '已送达' }],
    ['confirm', as, { rating }],
  ]
  for (const [step, by, payload] of steps) {
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/service-requests/${id}/${step}`,
      as: by,
      payload,
    })
    expect(res.statusCode, `${step}: ${res.body}`).toBe(200)
  }
}

const report = (as: string, query = '', ext = '') =>
  t.call({
    method: 'GET',
    url: `/api/v1/reports/dual-registration${ext}?orgUnitId=${w.branchA}${query}`,
    as,
  })

beforeAll(async () => {
  since = localDate(new Date(Date.now() - 5 * HOUR), 'Asia/Shanghai')
  t = await buildTestApp()
  w = await createWorld(t.db)
  secretaryCommB = await createUser(t.db, { grants: [['secretary', w.communityB]] })
  rubricId = await activeRubric(t, w)
  const first17 = '13010219850315123'
  number = first17 + residentIdCheck(first17)
  const set = await t.call({
    method: 'PATCH',
    url: `/api/v1/members/${w.memberA.memberId}`,
    as: w.secretaryA,
    payload: { identityDocument: { type: 'resident_id', number } },
  })
  expect(set.statusCode, set.body).toBe(200)
  const reg = await t.call({
    method: 'POST',
    url: `/api/v1/members/${w.memberA.memberId}/registrations`,
    as: w.memberA.userId,
    payload: { orgUnitId: w.communityB },
  })
  expect(reg.statusCode, reg.body).toBe(201)
  registrationId = reg.json().id
  const accepted = await t.call({
    method: 'POST',
    url: `/api/v1/registrations/${registrationId}/accept`,
    as: secretaryCommB,
  })
  expect(accepted.statusCode, accepted.body).toBe(200)
})

describe('GET /api/v1/reports/dual-registration (双报告)', () => {
  it('counts the work in the registered community only: hours, requests and ratings, claims and points', async () => {
    // In community B (registered): an activity drafting a DUALREG claim, and two confirmed requests.
    const there = await activity(secretaryCommB, w.branchB, '2.50', 'DUALREG')
    await request(secretaryCommB, w.communityB, '1.50', 4)
    await request(secretaryCommB, w.communityB, '1.00', 5)
    // At home (community A): not part of the 双报告.
    await activity(w.gridWorkerA, w.gridA, '1.00')
    await request(w.gridWorkerA, w.gridA, '2.00', 1)

    const res = await report(w.secretaryA, `&from=${since}&to=${today()}`)
    expect(res.statusCode, res.body).toBe(200)
    const items = res.json().items
    expect(items).toHaveLength(1)
    expect(items[0]).toMatchObject({
      registrationId,
      memberId: w.memberA.memberId,
      memberName: '张三',
      communityId: w.communityB,
      endedAt: null,
      activities: 1,
      activityHours: '2.50',
      serviceRequests: 2,
      serviceRequestHours: '2.50',
      hours: '5.00',
      averageRating: '4.50',
      // The activity's DUALREG claim and each confirmed request's ORDER claim; the home request's is not counted.
      claims: 3,
      claimsPosted: 0,
      points: '0.00',
      identityDocument: {
        type: 'resident_id',
        maskedNumber: `1301**********${number.slice(-4)}`,
      },
    })
    const claim = await one<{ id: string }>(
      t.db,
      sql`select c.id from claims c join claim_evidence e on e.claim_id = c.id
          where e.ref_kind = 'activity' and e.ref_id = ${there}`,
    )
    expect(claim).toBeDefined()

    // The branch's round scores and posts the claim: the 双报告 shows the points.
    const panelists = await panel(t.db, w)
    const round = await openRound(t, w, { rubricId, panelUserIds: panelists, publicityDays: 0 })
    expect(round.claims.map((c) => c.claimId)).toContain(claim!.id)
    expect(round.claims).toHaveLength(4)
    for (const c of round.claims) for (const p of panelists) await scoreOk(t, p, round.id, c.claimId, '1.00')
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    await endPublicity(t.db, round.id)
    expect((await finalize(t, w.secretaryA, round.id)).statusCode).toBe(200)
    const after = (await report(w.secretaryA, `&from=${since}`)).json().items[0]
    expect(after).toMatchObject({ claims: 3, claimsPosted: 3, points: '3.00', hours: '5.00' })
  })

  it('a period without work keeps the row with zeros; a period before the registration has none', async () => {
    const later = (await report(w.secretaryA, '&from=2099-01-01&to=2099-03-31')).json().items
    expect(later).toHaveLength(1)
    expect(later[0]).toMatchObject({
      activities: 0,
      serviceRequests: 0,
      hours: '0.00',
      averageRating: null,
      claims: 0,
    })
    expect((await report(w.secretaryA, '&from=2001-01-01&to=2001-03-31')).json().items).toEqual([])
    expect((await report(w.secretaryA, '&from=2026-03-31&to=2026-01-01')).statusCode).toBe(400)
  })

  it('CSV and PDF carry the same figures and the identity number masked only', async () => {
    const csv = await report(w.secretaryA, `&from=${since}`, '.csv')
    expect(csv.statusCode, csv.body).toBe(200)
    expect(csv.headers['content-type']).toMatch(/^text\/csv/)
    expect(csv.body).toContain('张三')
    expect(csv.body).toContain('居民身份证')
    expect(csv.body).toContain(`1301**********${number.slice(-4)}`)
    expect(csv.body).toContain(',5.00,4.50,3,3,3.00,')
    expect(csv.body).not.toContain(number)

    const pdf = await report(w.secretaryA, `&from=${since}&to=${today()}`, '.pdf')
    expect(pdf.statusCode, pdf.body).toBe(200)
    expect(pdf.headers['content-type']).toBe('application/pdf')
    const { text, size } = await pdfText(pdf.rawPayload)
    expect(size.map(Math.round)).toEqual([842, 595])
    const compact = text.replace(/\s+/g, '')
    expect(compact).toContain('在职党员到社区报到服务情况反馈表')
    expect(compact).toContain(`统计期间：${since}至${today()}`)
    for (const s of [
      '张三',
      `1301**********${number.slice(-4)}`,
      '5.00',
      '4.50',
      '3.00',
      '社区党组织（盖章）',
    ]) {
      expect(compact).toContain(s)
    }
    expect(compact).not.toContain(number)
    expect(text).not.toContain(number)
    // Accept on the JSON operation gives the files too.
    const accept = await t.call({
      method: 'GET',
      url: `/api/v1/reports/dual-registration?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
      headers: { accept: 'application/pdf' },
    })
    expect(accept.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-')
  })

  it('is the home side’s: the community’s secretary, another branch and members get nothing', async () => {
    expect((await report(secretaryCommB)).statusCode).toBe(404)
    expect((await report(w.secretaryB)).statusCode).toBe(404)
    expect((await report(w.memberA.userId)).statusCode).toBe(403)
    // The parent's secretary reads it over the subtree.
    const parent = await createUser(t.db, { grants: [['secretary', w.communityA]] })
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/reports/dual-registration?orgUnitId=${w.communityA}`,
      as: parent,
    })
    expect(res.json().items.map((i: { memberId: string }) => i.memberId)).toEqual([w.memberA.memberId])
  })

  it('an ended registration reports the work done before it ended, and says it ended', async () => {
    const ended = await t.call({
      method: 'POST',
      url: `/api/v1/registrations/${registrationId}/end`,
      as: w.memberA.userId,
      payload: { reason: '搬家' },
    })
    expect(ended.statusCode, ended.body).toBe(200)
    const item = (await report(w.secretaryA, `&from=${since}`)).json().items[0]
    expect(item.endedAt).not.toBeNull()
    expect(item).toMatchObject({ hours: '5.00', claimsPosted: 3 })
  })
})
