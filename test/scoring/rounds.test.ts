import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { addDays, localDate, startOfLocalDate } from '../../src/shared/time'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createUser, createWorld } from '../helpers/factories'
import {
  activeRubric,
  claim,
  countRows,
  openRound,
  panel,
  score,
  scoreOk,
  yearEnd,
  yearStart,
} from '../helpers/scoring'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

/** A fresh branch with an active default rubric, a panel of three and two members with claims. */
async function setup() {
  const w = await createWorld(t.db)
  const rubricId = await activeRubric(t, w)
  const panelUserIds = await panel(t.db, w)
  const m2 = await createMemberUser(t.db, w.branchA)
  const c1 = await claim(t, w.memberA.userId, {
    memberId: w.memberA.memberId,
    rubricId,
    itemCode: 'STUDY',
    quantity: 4,
  })
  const c2 = await claim(t, m2.userId, { memberId: m2.memberId, rubricId, itemCode: 'EPIDEMIC', quantity: 6 })
  return { w, rubricId, panelUserIds, m2, c1, c2 }
}

const close = (as: string, id: string) =>
  t.call({ method: 'POST', url: `/api/v1/scoring-rounds/${id}/close`, as })

describe('POST /api/v1/scoring-rounds', () => {
  it('takes in the branch’s submitted claims of the period and nothing else; majority quorum and mean by default', async () => {
    const { w, rubricId, panelUserIds, c1, c2 } = await setup()
    const withdrawn = await claim(t, w.memberA.userId, {
      memberId: w.memberA.memberId,
      rubricId,
      itemCode: 'MEETING',
      quantity: 1,
    })
    await t.call({ method: 'POST', url: `/api/v1/claims/${withdrawn.id}/withdraw`, as: w.memberA.userId })
    const rubricB = await activeRubric(t, w, w.branchB, w.secretaryB)
    await claim(t, w.memberB.userId, {
      memberId: w.memberB.memberId,
      rubricId: rubricB,
      itemCode: 'STUDY',
      quantity: 1,
    })

    const round = await openRound(t, w, { rubricId, panelUserIds })
    expect(round).toMatchObject({
      status: 'scoring',
      quorum: 2,
      aggregation: 'mean',
      claimCount: 2,
      publicityEndsAt: null,
    })
    expect(round.claims.map((c) => c.claimId).sort()).toEqual([c1.id, c2.id].sort())
    expect(
      await countRows(
        t.db,
        'audit_events',
        sql`target_id = ${round.id} and action = 'scoring_round.created'`,
      ),
    ).toBe(1)

    // Nothing is left for a second round of the same period.
    const again = await t.call({
      method: 'POST',
      url: '/api/v1/scoring-rounds',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        rubricId,
        periodStart: yearStart(),
        periodEnd: yearEnd(),
        panelUserIds,
      },
    })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('invalid_state')
  })

  it('two rounds opened at once through two processes: every claim lands in exactly one', async () => {
    const { w, rubricId, panelUserIds } = await setup()
    for (let i = 0; i < 8; i++) {
      const m = await createMemberUser(t.db, w.branchA)
      await claim(t, m.userId, { memberId: m.memberId, rubricId, itemCode: 'STUDY', quantity: 1 })
    }
    const other = await buildTestApp()
    const payload = {
      orgUnitId: w.branchA,
      rubricId,
      periodStart: yearStart(),
      periodEnd: yearEnd(),
      panelUserIds,
    }
    const results = await Promise.all(
      [t, other, t, other].map((app) =>
        app.call({ method: 'POST', url: '/api/v1/scoring-rounds', as: w.secretaryA, payload }),
      ),
    )
    const created = results.filter((r) => r.statusCode === 201)
    expect(created.length).toBeGreaterThanOrEqual(1)
    expect(results.every((r) => r.statusCode === 201 || r.json().code === 'invalid_state')).toBe(true)
    expect(created.reduce((n, r) => n + r.json().claimCount, 0)).toBe(10)
    const inRounds = await one<{ n: string; rounds: string }>(
      t.db,
      sql`select count(*) as n, count(distinct round_id) as rounds from claims where rubric_id = ${rubricId} and round_id is not null`,
    )
    expect(inRounds).toEqual({ n: '10', rounds: String(created.length) })
    // Refused rounds rolled back entirely.
    expect(await countRows(t.db, 'scoring_rounds', sql`rubric_id = ${rubricId}`)).toBe(created.length)
    await other.app.close()
  })

  it('lists the rounds a caller may see, newest first, with filters', async () => {
    const { w, rubricId, panelUserIds, c1 } = await setup()
    const first = await openRound(t, w, { rubricId, panelUserIds, quorum: 1, publicityDays: 0 })
    await scoreOk(t, w.secretaryA, first.id, c1.id, '1.00')
    const m = await createMemberUser(t.db, w.branchA)
    await claim(t, m.userId, { memberId: m.memberId, rubricId, itemCode: 'STUDY', quantity: 1 })
    const second = await openRound(t, w, { rubricId, panelUserIds })
    const list = (as: string, query = '') =>
      t.call({ method: 'GET', url: `/api/v1/scoring-rounds?orgUnitId=${w.branchA}${query}`, as })
    const all = await list(w.secretaryA)
    expect(all.statusCode).toBe(200)
    expect(all.json().items.map((r: { id: string }) => r.id)).toEqual([second.id, first.id])
    expect(all.json().items[1]).toMatchObject({ claimCount: 2, status: 'scoring', quorum: 1 })
    expect(all.json().items[1].claims).toBeUndefined()
    const page = await list(w.memberA.userId, '&limit=1')
    expect(page.json().items.map((r: { id: string }) => r.id)).toEqual([second.id])
    const rest = await list(w.memberA.userId, `&limit=1&cursor=${page.json().nextCursor}`)
    expect(rest.json()).toEqual({ items: [expect.objectContaining({ id: first.id })], nextCursor: null })
    expect((await list(panelUserIds[2]!, '&status=publicity')).json().items).toEqual([])
    expect((await list(w.secretaryB)).json().items).toEqual([])
    expect((await list(w.memberB.userId)).json().items).toEqual([])
  })

  it('checks the panel, quorum, period and who asks', async () => {
    const { w, rubricId, panelUserIds } = await setup()
    const base = { orgUnitId: w.branchA, rubricId, periodStart: yearStart(), periodEnd: yearEnd() }
    const send = (as: string, payload: Record<string, unknown>) =>
      t.call({
        method: 'POST',
        url: '/api/v1/scoring-rounds',
        as,
        payload: { ...base, panelUserIds, ...payload },
      })
    const stranger = await createUser(t.db, { grants: [['panelist', w.branchB]] })
    const badPanel = await send(w.secretaryA, { panelUserIds: [w.secretaryA, stranger, w.memberA.userId] })
    expect(badPanel.statusCode).toBe(400)
    expect(badPanel.json().detail).toContain(stranger)
    expect(badPanel.json().detail).toContain(w.memberA.userId)
    expect((await send(w.secretaryA, { quorum: 4 })).statusCode).toBe(400)
    expect((await send(w.secretaryA, { periodStart: yearEnd(), periodEnd: yearStart() })).statusCode).toBe(
      400,
    )
    expect((await send(w.secretaryA, { aggregation: 'max' })).statusCode).toBe(400)
    expect((await send(w.panelistA, {})).statusCode).toBe(403)
    expect((await send(w.secretaryB, {})).statusCode).toBe(404)
    expect(await countRows(t.db, 'scoring_rounds', sql`rubric_id = ${rubricId}`)).toBe(0)
    expect(await countRows(t.db, 'claims', sql`rubric_id = ${rubricId} and status = 'submitted'`)).toBe(2)
  })
})

describe('PUT /api/v1/scoring-rounds/{id}/claims/{claimId}/score', () => {
  it('keeps scores hidden until close: others see counts only, members see none', async () => {
    const { w, rubricId, panelUserIds, c1 } = await setup()
    const round = await openRound(t, w, { rubricId, panelUserIds })
    const [sec, p1, p2] = panelUserIds as [string, string, string]
    const mine = await score(t, p1, round.id, c1.id, '3.00', { comment: '认真' })
    expect(mine.statusCode).toBe(200)
    expect(mine.json()).toMatchObject({ points: '3.00', time: 4, comment: '认真', panelistUserId: p1 })

    const seen = await t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${round.id}`, as: p2 })
    const entry = seen.json().claims.find((c: { claimId: string }) => c.claimId === c1.id)
    expect(entry).toEqual(expect.objectContaining({ scoreCount: 1, scoredByMe: false, myScore: null }))
    expect(seen.body).not.toContain('3.00"')
    const ownView = (
      await t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${round.id}`, as: p1 })
    ).json()
    expect(ownView.claims.find((c: { claimId: string }) => c.claimId === c1.id)).toMatchObject({
      scoredByMe: true,
      myScore: { time: 4, content: 4, quality: 4, points: '3.00', comment: '认真' },
    })

    for (const as of [sec, p2, w.memberA.userId]) {
      const results = await t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${round.id}/results`, as })
      expect(results.statusCode).toBe(409)
    }
    const asMember = await t.call({ method: 'GET', url: `/api/v1/claims/${c1.id}`, as: w.memberA.userId })
    expect(asMember.json().result).toBeNull()
    // Audit readers see that a score was given, not its value.
    const audit = await rows<{ after: unknown }>(
      t.db,
      sql`select after from audit_events where target_id = ${c1.id} and action = 'claim.score_given'`,
    )
    expect(JSON.stringify(audit)).not.toContain('300')
  })

  it('a panelist may change their score until close, never after', async () => {
    const { w, rubricId, panelUserIds, c1, c2 } = await setup()
    const round = await openRound(t, w, { rubricId, panelUserIds, quorum: 1, publicityDays: 0 })
    const [sec, p1] = panelUserIds as [string, string]
    await scoreOk(t, p1, round.id, c1.id, '1.00')
    await scoreOk(t, p1, round.id, c1.id, '2.00')
    await scoreOk(t, sec, round.id, c2.id, '5.00')
    expect((await close(sec, round.id)).statusCode).toBe(200)
    const results = await t.call({
      method: 'GET',
      url: `/api/v1/scoring-rounds/${round.id}/results`,
      as: sec,
    })
    expect(results.json().items.find((i: { claimId: string }) => i.claimId === c1.id).result).toBe('2.00')
    const late = await score(t, p1, round.id, c1.id, '4.00')
    expect(late.statusCode).toBe(409)
    expect(late.json().code).toBe('invalid_state')
  })

  it('points outside the claim’s range: 422 out_of_range; scores 0-5 only: 400', async () => {
    const { w, rubricId, panelUserIds, c1 } = await setup()
    const deduction = await claim(t, w.secretaryA, {
      memberId: w.memberA.memberId,
      rubricId,
      itemCode: 'ABSENCE',
      quantity: 1,
    })
    const round = await openRound(t, w, { rubricId, panelUserIds })
    const p1 = panelUserIds[1]!
    for (const [id, points] of [
      [c1.id, '4.01'],
      [c1.id, '-0.01'],
      [deduction.id, '1.00'],
      [deduction.id, '-2.01'],
    ] as const) {
      const res = await score(t, p1, round.id, id, points)
      expect(res.statusCode, points).toBe(422)
      expect(res.json().code).toBe('out_of_range')
    }
    expect((await score(t, p1, round.id, deduction.id, '-1.50')).statusCode).toBe(200)
    expect((await score(t, p1, round.id, c1.id, '2.00', { quality: 6 })).statusCode).toBe(400)
    expect((await score(t, p1, round.id, c1.id, '2.005')).statusCode).toBe(400)
    expect(await countRows(t.db, 'claim_scores', sql`claim_id = ${c1.id}`)).toBe(0)
  })

  it('only the round’s panel scores: another panelist 403, another branch 404, a claim elsewhere 404', async () => {
    const { w, rubricId, panelUserIds, c1 } = await setup()
    const round = await openRound(t, w, { rubricId, panelUserIds: panelUserIds.slice(0, 2) })
    const offPanel = panelUserIds[2]!
    const res = await score(t, offPanel, round.id, c1.id, '1.00')
    expect(res.statusCode).toBe(403)
    expect((await score(t, w.secretaryB, round.id, c1.id, '1.00')).statusCode).toBe(404)
    expect((await score(t, w.secretaryA, round.id, crypto.randomUUID(), '1.00')).statusCode).toBe(404)
  })

  it('nobody scores their own claim (403 recused), and the quorum counts only those who may', async () => {
    const w = await createWorld(t.db)
    const rubricId = await activeRubric(t, w)
    // A committee member who is also a member of the branch, with a claim of their own.
    const committee = await createMemberUser(t.db, w.branchA)
    await t.db.execute(
      sql`insert into role_grants (user_id, role, org_unit_id) values (${committee.userId}, 'panelist', ${w.branchA})`,
    )
    const own = await claim(t, committee.userId, {
      memberId: committee.memberId,
      rubricId,
      itemCode: 'STUDY',
      quantity: 2,
    })
    // A panel of that member alone could never score the claim: it waits for another round.
    const alone = await t.call({
      method: 'POST',
      url: '/api/v1/scoring-rounds',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        rubricId,
        periodStart: yearStart(),
        periodEnd: yearEnd(),
        panelUserIds: [committee.userId],
      },
    })
    expect(alone.statusCode).toBe(409)
    const round = await openRound(t, w, {
      rubricId,
      panelUserIds: [w.secretaryA, committee.userId, w.panelistA],
      quorum: 3,
    })
    const res = await score(t, committee.userId, round.id, own.id, '2.00')
    expect(res.statusCode).toBe(403)
    expect(res.json().code).toBe('recused')
    expect(await countRows(t.db, 'claim_scores', sql`claim_id = ${own.id}`)).toBe(0)
    // Quorum 3 of a panel of 3, one recused: the two others suffice.
    await scoreOk(t, w.secretaryA, round.id, own.id, '2.00')
    await scoreOk(t, w.panelistA, round.id, own.id, '1.00')
    const closed = await close(w.secretaryA, round.id)
    expect(closed.statusCode, closed.body).toBe(200)
  })
})

describe('POST /api/v1/scoring-rounds/{id}/close', () => {
  it('names the claims short of quorum (409 quorum_not_met) and changes nothing', async () => {
    const { w, rubricId, panelUserIds, c1, c2 } = await setup()
    const round = await openRound(t, w, { rubricId, panelUserIds })
    const [sec, p1] = panelUserIds as [string, string]
    await scoreOk(t, sec, round.id, c1.id, '3.00')
    await scoreOk(t, p1, round.id, c1.id, '4.00')
    await scoreOk(t, p1, round.id, c2.id, '4.00')
    const res = await close(sec, round.id)
    expect(res.statusCode).toBe(409)
    expect(res.json()).toMatchObject({ code: 'quorum_not_met', claimIds: [c2.id] })
    expect(res.json().detail).toContain(c2.id)
    const state = await one<{ status: string }>(
      t.db,
      sql`select status from scoring_rounds where id = ${round.id}`,
    )
    expect(state!.status).toBe('scoring')
    expect(await countRows(t.db, 'claims', sql`round_id = ${round.id} and status = 'scoring'`)).toBe(2)
    expect((await close(p1, round.id)).statusCode).toBe(403)
  })

  it('computes results half-up, spread and divergence, and sets publicity to end of day N days later', async () => {
    const { w, rubricId, panelUserIds, c1, c2 } = await setup()
    // The community sets 3 days; the branch inherits it.
    await t.db.execute(sql`update org_units set publicity_days = 3 where id = ${w.communityA}`)
    const round = await openRound(t, w, { rubricId, panelUserIds, aggregation: 'mean' })
    const [sec, p1, p2] = panelUserIds as [string, string, string]
    await scoreOk(t, sec, round.id, c1.id, '3.00')
    await scoreOk(t, p1, round.id, c1.id, '3.00')
    await scoreOk(t, p2, round.id, c1.id, '3.01') // mean 3.003333 -> 3.00
    await scoreOk(t, sec, round.id, c2.id, '6.00')
    await scoreOk(t, p1, round.id, c2.id, '2.00')
    await scoreOk(t, p2, round.id, c2.id, '5.01') // mean 4.336666 -> 4.34; spread 4.00 > 6.00/3
    const res = await close(sec, round.id)
    expect(res.statusCode, res.body).toBe(200)
    const body = res.json()
    expect(body.status).toBe('publicity')
    const closedAt = new Date(body.closedAt)
    const expected = startOfLocalDate(addDays(localDate(closedAt, 'Asia/Shanghai'), 4), 'Asia/Shanghai')
    expect(new Date(body.publicityEndsAt).getTime()).toBe(expected.getTime())
    expect(body.publicityEndsAt).toMatch(/T00:00:00\.000\+08:00$/)

    const results = await t.call({
      method: 'GET',
      url: `/api/v1/scoring-rounds/${round.id}/results`,
      as: w.memberA.userId,
    })
    expect(results.statusCode).toBe(200)
    const byId = Object.fromEntries(results.json().items.map((i: { claimId: string }) => [i.claimId, i]))
    expect(byId[c1.id]).toMatchObject({
      result: '3.00',
      spread: '0.01',
      divergent: false,
      ceiling: '4.00',
      memberName: '张三',
    })
    expect(byId[c2.id]).toMatchObject({ result: '4.34', spread: '4.00', divergent: true, ceiling: '6.00' })
    expect(byId[c2.id].scores).toHaveLength(3)
    expect(byId[c2.id].scores[0]).toEqual(
      expect.objectContaining({
        panelistUserId: expect.any(String),
        time: 4,
        content: 4,
        quality: 4,
        points: expect.any(String),
      }),
    )
    expect(
      (
        await t.call({
          method: 'GET',
          url: `/api/v1/scoring-rounds/${round.id}/results`,
          as: w.memberB.userId,
        })
      ).statusCode,
    ).toBe(404)

    const csv = await t.call({
      method: 'GET',
      url: `/api/v1/scoring-rounds/${round.id}/results`,
      as: w.secretaryA,
      headers: { accept: 'text/csv' },
    })
    expect(csv.headers['content-type']).toContain('text/csv')
    const lines = csv.body
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n')
    expect(lines[0]).toBe(
      'claimId,memberId,memberName,itemCode,status,ceiling,result,spread,divergent,awarded,cappedAmount,panelPoints,objections',
    )
    expect(lines).toHaveLength(3)
    expect(lines.find((l) => l.startsWith(c2.id))).toContain(',EPIDEMIC,scored,6.00,4.34,4.00,true,')
  })

  it('median and trimmed mean, with the round’s own divergence threshold', async () => {
    const w = await createWorld(t.db)
    const rubricId = await activeRubric(t, w)
    const extra = [
      await createUser(t.db, { grants: [['panelist', w.branchA]] }),
      await createUser(t.db, { grants: [['panelist', w.branchA]] }),
    ]
    const panelUserIds = [...(await panel(t.db, w)), ...extra]
    const c = await claim(t, w.memberA.userId, { memberId: w.memberA.memberId, rubricId, itemCode: 'HONOUR' })
    const points = ['10.00', '2.00', '6.00', '7.00', '6.50'] // sorted 2, 6, 6.5, 7, 10
    for (const [aggregation, expected] of [
      ['median', '6.50'],
      ['trimmed_mean', '6.50'], // (6 + 6.5 + 7) / 3
    ] as const) {
      const member = await createMemberUser(t.db, w.branchA)
      const mc =
        aggregation === 'median'
          ? c
          : await claim(t, member.userId, { memberId: member.memberId, rubricId, itemCode: 'HONOUR' })
      const round = await openRound(t, w, {
        rubricId,
        panelUserIds,
        aggregation,
        divergenceThreshold: '8.00',
        publicityDays: 0,
      })
      for (let i = 0; i < panelUserIds.length; i++)
        await scoreOk(t, panelUserIds[i]!, round.id, mc.id, points[i]!)
      expect((await close(w.secretaryA, round.id)).statusCode).toBe(200)
      const results = await t.call({
        method: 'GET',
        url: `/api/v1/scoring-rounds/${round.id}/results`,
        as: w.secretaryA,
      })
      expect(results.json().items[0]).toMatchObject({ result: expected, spread: '8.00', divergent: false })
    }
  })

  it('a score racing the close from another process is either counted in the result or refused, never lost', async () => {
    const other = await buildTestApp()
    for (let i = 0; i < 3; i++) {
      const { w, rubricId, panelUserIds, c1, c2 } = await setup()
      const round = await openRound(t, w, { rubricId, panelUserIds, quorum: 2 })
      const [sec, p1, p2] = panelUserIds as [string, string, string]
      for (const c of [c1, c2]) {
        await scoreOk(t, sec, round.id, c.id, '1.00')
        await scoreOk(t, p1, round.id, c.id, '2.00')
      }
      const [late, closed] = await Promise.all([
        score(other, p2, round.id, c1.id, '4.00'),
        close(sec, round.id),
      ])
      expect(closed.statusCode).toBe(200)
      expect([200, 409]).toContain(late.statusCode)
      const row = await one<{ result: string; n: string }>(
        t.db,
        sql`select c.result, count(s.*) as n from claims c
            join claim_scores s on s.claim_id = c.id and s.attempt = c.attempt where c.id = ${c1.id} group by c.result`,
      )
      expect(row!.n).toBe(late.statusCode === 200 ? '3' : '2')
      expect(row!.result).toBe(late.statusCode === 200 ? '233' : '150')
    }
    await other.app.close()
  })

  it('publicityDays 0 ends publicity at close', async () => {
    const { w, rubricId, panelUserIds, c1, c2 } = await setup()
    const round = await openRound(t, w, { rubricId, panelUserIds, quorum: 1, publicityDays: 0 })
    await scoreOk(t, w.secretaryA, round.id, c1.id, '1.00')
    await scoreOk(t, w.secretaryA, round.id, c2.id, '1.00')
    const body = (await close(w.secretaryA, round.id)).json()
    expect(body.publicityEndsAt).toBe(body.closedAt)
  })
})
