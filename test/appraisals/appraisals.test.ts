import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { auditCount, verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createUser, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { pdfText } from '../helpers/pdf'
import { refusal } from '../helpers/refusal'
import {
  activeRubric,
  claim,
  endPublicity,
  finalize,
  openRound,
  panel,
  scoreOk,
  thisYear,
} from '../helpers/scoring'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

const put = (as: string, memberId: string, year: number, payload: Record<string, string>) =>
  t.call({ method: 'PUT', url: `/api/v1/members/${memberId}/appraisals/${year}`, as, payload })
const publish = (as: string, orgUnitId: string, year: number) =>
  t.call({ method: 'POST', url: '/api/v1/appraisals/publish', as, payload: { orgUnitId, year } })
const list = (as: string, orgUnitId: string, year: number, csv = false) =>
  t.call({
    method: 'GET',
    url: `/api/v1/appraisals${csv ? '.csv' : ''}?orgUnitId=${orgUnitId}&year=${year}`,
    as,
  })

describe('评优: appraisals', () => {
  let w: World
  beforeAll(async () => {
    w = await createWorld(t.db)
    const grades = [
      { name: '优', minPoints: 50 },
      { name: '良', minPoints: 20 },
    ]
    const set = await t.call({
      method: 'PATCH',
      url: `/api/v1/org-units/${w.branchA}`,
      as: w.admin,
      payload: { settings: { grades } },
    })
    expect(set.statusCode, set.body).toBe(200)
  })

  it('keeps points and grade of the moment; the same outcome again changes nothing', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await award(t.db, m.memberId, 3_000)
    const first = await put(w.secretaryA, m.memberId, thisYear(), { outcome: '合格', note: '表现良好' })
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({
      memberId: m.memberId,
      orgUnitId: w.branchA,
      year: thisYear(),
      outcome: '合格',
      note: '表现良好',
      points: '30.00',
      grade: '良',
      published: false,
      history: [],
    })
    await award(t.db, m.memberId, 3_000) // later points do not rewrite the record
    const again = await put(w.secretaryA, m.memberId, thisYear(), { outcome: '合格', note: '表现良好' })
    expect(again.json()).toMatchObject({ id: first.json().id, points: '30.00', grade: '良' })
    const changed = await put(w.secretaryA, m.memberId, thisYear(), { outcome: '优秀' })
    expect(changed.json()).toMatchObject({ outcome: '优秀', points: '60.00', grade: '优', reason: null })
    expect(changed.json().history).toMatchObject([{ id: first.json().id, outcome: '合格' }])
    expect(await auditCount(t.db, first.json().id, 'appraisal.record')).toBe(1)
    expect(await auditCount(t.db, changed.json().id, 'appraisal.change')).toBe(1)
  })

  it('after publication a change needs a reason, and the old outcome stays visible', async () => {
    const year = thisYear() - 1
    const m = await createMemberUser(t.db, w.branchA)
    const first = await put(w.secretaryA, m.memberId, year, { outcome: '合格' })
    expect(first.statusCode, first.body).toBe(200)
    const pub = await publish(w.secretaryA, w.branchA, year)
    expect(pub.statusCode, pub.body).toBe(201)
    expect(pub.json()).toMatchObject({ orgUnitId: w.branchA, year, appraisals: 1 })
    expect(await auditCount(t.db, w.branchA, 'appraisal.publish')).toBeGreaterThan(0)
    expect((await publish(w.secretaryA, w.branchA, year)).statusCode).toBe(409)

    const refused = await put(w.secretaryA, m.memberId, year, { outcome: '优秀' })
    expect(refused.statusCode).toBe(400)
    expect(refused.json().errors[0].field).toBe('reason')
    const changed = await put(w.secretaryA, m.memberId, year, { outcome: '优秀', reason: '公示期间复核' })
    expect(changed.statusCode, changed.body).toBe(200)
    expect(changed.json()).toMatchObject({ outcome: '优秀', reason: '公示期间复核', published: true })
    expect(changed.json().history).toMatchObject([{ id: first.json().id, outcome: '合格' }])

    const listed = await list(w.secretaryA, w.branchA, year)
    expect(listed.statusCode, listed.body).toBe(200)
    expect(listed.json().items).toMatchObject([
      { memberId: m.memberId, outcome: '优秀', published: true, history: [{ outcome: '合格' }] },
    ])
    const csv = await list(w.secretaryA, w.branchA, year, true)
    expect(csv.statusCode).toBe(200)
    expect(csv.body).toContain('优秀')
    expect(csv.body).toContain('合格')

    // The database keeps it so too: no edits, no removal, no reason-less change after publication.
    const id = first.json().id
    expect(
      await refusal(t.db.execute(sql`update appraisals set outcome = '不合格' where id = ${id}`)),
    ).toMatchObject({
      code: '55000',
    })
    expect(await refusal(t.db.execute(sql`delete from appraisals where id = ${id}`))).toMatchObject({
      code: '55000',
    })
    const reasonless = sql`insert into appraisals (member_id, org_unit_id, year, outcome, points_cents, supersedes_id, recorded_by)
                           values (${m.memberId}, ${w.branchA}, ${year}, '不合格', 0, ${changed.json().id}, ${w.admin})`
    expect(await refusal(t.db.execute(reasonless))).toMatchObject({
      code: '23514',
      constraint: 'appraisals_reason_after_publication_chk',
    })
    const published = sql`delete from appraisal_publications where org_unit_id = ${w.branchA} and year = ${year}`
    expect(await refusal(t.db.execute(published))).toMatchObject({ code: '55000' })
  })

  it('only the secretary over the home unit records; others 403, outside 404', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    expect((await put(w.secretaryB, m.memberId, thisYear(), { outcome: '合格' })).statusCode).toBe(404)
    expect((await put(w.clerkA, m.memberId, thisYear(), { outcome: '合格' })).statusCode).toBe(403)
    expect((await put(m.userId, m.memberId, thisYear(), { outcome: '优秀' })).statusCode).toBe(404)
    expect((await put(w.secretaryA, m.memberId, thisYear(), { outcome: '良好' })).statusCode).toBe(400)
  })
})

describe('the year-end flow: scoring finalized, standings with grades seen by a member, appraisal published', () => {
  it('runs end to end', async () => {
    const w = await createWorld(t.db)
    const grades = [
      { name: '优', minPoints: 5 },
      { name: '良', minPoints: 3 },
    ]
    await t.call({
      method: 'PATCH',
      url: `/api/v1/org-units/${w.branchA}`,
      as: w.admin,
      payload: { settings: { grades } },
    })
    const rubricId = await activeRubric(t, w)
    const panelUserIds = await panel(t.db, w)
    const m2 = await createMemberUser(t.db, w.branchA)
    const c1 = await claim(t, w.memberA.userId, {
      memberId: w.memberA.memberId,
      rubricId,
      itemCode: 'STUDY',
      quantity: 4,
    })
    const c2 = await claim(t, m2.userId, {
      memberId: m2.memberId,
      rubricId,
      itemCode: 'EPIDEMIC',
      quantity: 6,
    })
    const round = await openRound(t, w, { rubricId, panelUserIds, publicityDays: 1 })
    for (const u of panelUserIds) {
      await scoreOk(t, u, round.id, c1.id, '3.00')
      await scoreOk(t, u, round.id, c2.id, '5.00')
    }
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    await endPublicity(t.db, round.id)
    const done = await finalize(t, w.secretaryA, round.id)
    expect(done.statusCode, done.body).toBe(200)

    const standings = await t.call({
      method: 'GET',
      url: `/api/v1/reports/standings?orgUnitId=${w.branchA}&year=${thisYear()}`,
      as: w.memberA.userId,
    })
    expect(standings.statusCode, standings.body).toBe(200)
    expect(standings.json().items.slice(0, 2)).toMatchObject([
      { rank: 1, memberId: m2.memberId, points: '5.00', grade: '优' },
      { rank: 2, memberId: w.memberA.memberId, points: '3.00', grade: '良' },
    ])
    const mine = await t.call({
      method: 'GET',
      url: `/api/v1/me/standing?year=${thisYear()}`,
      as: w.memberA.userId,
    })
    expect(mine.json()).toMatchObject({ rank: 2, grade: '良', nextGrade: '优', pointsToNextGrade: '2.00' })

    const recorded = await put(w.secretaryA, m2.memberId, thisYear(), { outcome: '优秀' })
    expect(recorded.json()).toMatchObject({ outcome: '优秀', points: '5.00', grade: '优' })
    expect((await publish(w.secretaryA, w.branchA, thisYear())).statusCode).toBe(201)
    const listed = await list(w.secretaryA, w.branchA, thisYear())
    expect(listed.json().items).toMatchObject([{ memberId: m2.memberId, outcome: '优秀', published: true }])

    // The notice-board sheet of the round, as a member of the branch prints it (公示栏).
    const sheet = await t.call({
      method: 'GET',
      url: `/api/v1/scoring-rounds/${round.id}/results.pdf`,
      as: w.memberA.userId,
    })
    expect(sheet.statusCode).toBe(200)
    expect((await pdfText(sheet.rawPayload)).text.replace(/\s+/g, '')).toContain('张三小计3.00')

    // 双报告: member A also serves in community B, where they live; their branch reads what they did there.
    const communitySecretary = await createUser(t.db, { grants: [['secretary', w.communityB]] })
    const reg = await t.call({
      method: 'POST',
      url: `/api/v1/members/${w.memberA.memberId}/registrations`,
      as: w.memberA.userId,
      payload: { orgUnitId: w.communityB },
    })
    const accept = `/api/v1/registrations/${reg.json().id}/accept`
    expect((await t.call({ method: 'POST', url: accept, as: communitySecretary })).statusCode).toBe(200)
    await verifiedActivity(t, communitySecretary, w.branchB, [[w.memberA.memberId, '2.00']])
    const dual = await t.call({
      method: 'GET',
      url: `/api/v1/reports/dual-registration?orgUnitId=${w.branchA}&from=${thisYear()}-01-01`,
      as: w.secretaryA,
    })
    expect(dual.json().items).toMatchObject([
      { memberId: w.memberA.memberId, communityId: w.communityB, activities: 1, hours: '2.00' },
    ])
  })
})
