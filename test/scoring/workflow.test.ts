import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createUser, createWorld, type World } from '../helpers/factories'
import {
  claim,
  endPublicity,
  finalize,
  scoreOk,
  thisYear,
  today,
  verifiedActivity,
  yearEnd,
  yearStart,
} from '../helpers/scoring'

let t: TestApp
let w: World
beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const cents = (s: string) => Math.round(Number(s) * 100)
const fmt = (c: number) =>
  `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`
/** Mean of three integers, half-up away from zero, computed independently of the service's helpers. */
const mean3 = (a: number, b: number, c: number) => {
  const s = a + b + c
  const q = Math.floor((2 * Math.abs(s) + 3) / 6)
  return s < 0 ? -q : q
}

describe('the branch’s scoring workflow, end to end', () => {
  it('20-item rubric, panel of three, 30 members, one objection upheld and one rescored, finalize, balances', async () => {
    const { secretaryA: secretary, panelistA } = w
    const committee2 = await createUser(t.db, { grants: [['panelist', w.branchA]] })
    const panelUserIds = [secretary, panelistA, committee2]

    // 1. The secretary copies the default rubric and activates it.
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/rubrics',
      as: secretary,
      payload: {
        orgUnitId: w.branchA,
        year: thisYear(),
        name: `${thisYear()} 年党员积分细则`,
        fromTemplate: 'default',
      },
    })
    expect(created.json().items).toHaveLength(20)
    const rubricId = created.json().id as string
    expect(
      (await t.call({ method: 'POST', url: `/api/v1/rubrics/${rubricId}/activate`, as: secretary }))
        .statusCode,
    ).toBe(200)

    // 2. Thirty members claim; two also get claims from a verified activity; one deduction by the secretary.
    const members = []
    for (let i = 0; i < 30; i++)
      members.push(await createMemberUser(t.db, w.branchA, { name: `党员${i + 1}` }))
    const plan: [string, string | undefined][] = [
      ['STUDY', '3'],
      ['EPIDEMIC', '3.50'],
      ['CARE', '1'],
      ['DUES', undefined],
      ['PATROL', '10'],
    ]
    const claims: { id: string; memberId: string; ceiling: number }[] = []
    for (const [i, m] of members.entries()) {
      const [itemCode, quantity] = plan[i % plan.length]!
      const c = await claim(t, m.userId, {
        memberId: m.memberId,
        rubricId,
        itemCode,
        quantity,
        occurredOn: today(),
      })
      claims.push({ id: c.id, memberId: m.memberId, ceiling: cents(c.ceiling) })
    }
    const activity = await verifiedActivity(t, w, {
      rubricItemCode: 'ENVIRON',
      participants: [
        [members[0]!.memberId, '2.00'],
        [members[1]!.memberId, '2.50'],
      ],
    })
    const auto = await rows<{ id: string; memberId: string; ceiling: string }>(
      t.db,
      sql`select id, member_id as "memberId", ceiling from claims where evidence->'activityIds' ? ${activity}`,
    )
    expect(auto).toHaveLength(2)
    for (const a of auto) claims.push({ id: a.id, memberId: a.memberId, ceiling: Number(a.ceiling) })
    const deduction = await claim(t, secretary, {
      memberId: members[29]!.memberId,
      rubricId,
      itemCode: 'ABSENCE',
      quantity: 1,
    })
    claims.push({ id: deduction.id, memberId: members[29]!.memberId, ceiling: -200 })
    expect(claims).toHaveLength(33)

    // 3. The round takes them all in; each panelist scores each claim on its own.
    const opened = await t.call({
      method: 'POST',
      url: '/api/v1/scoring-rounds',
      as: secretary,
      payload: {
        orgUnitId: w.branchA,
        rubricId,
        periodStart: yearStart(),
        periodEnd: yearEnd(),
        panelUserIds,
        aggregation: 'mean',
      },
    })
    expect(opened.statusCode, opened.body).toBe(201)
    const round = opened.json()
    expect(round).toMatchObject({ claimCount: 33, quorum: 2 })
    const pointsOf = (ceiling: number) =>
      ceiling < 0 ? [ceiling, ceiling, ceiling + 100] : [ceiling, ceiling - 50, ceiling - 25]
    for (const c of claims) {
      const pts = pointsOf(c.ceiling)
      for (const [k, u] of panelUserIds.entries()) await scoreOk(t, u, round.id, c.id, fmt(pts[k]!))
    }
    const expected = new Map(
      claims.map((c) => [c.id, mean3(...(pointsOf(c.ceiling) as [number, number, number]))]),
    )

    // 4. Close: results are public to the branch for 5 days (the default).
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: secretary,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    const days =
      (new Date(closed.json().publicityEndsAt).getTime() - new Date(closed.json().closedAt).getTime()) /
      86_400_000
    expect(days).toBeGreaterThan(5)
    expect(days).toBeLessThanOrEqual(6)
    const results = await t.call({
      method: 'GET',
      url: `/api/v1/scoring-rounds/${round.id}/results?limit=200`,
      as: members[10]!.userId,
    })
    expect(results.json().items).toHaveLength(33)
    for (const item of results.json().items) expect(cents(item.result)).toBe(expected.get(item.claimId))

    // 5. Two objections: one upheld with a reply, one sent back and rescored higher.
    const upheldClaim = claims[3]!
    const rescoredClaim = claims[7]!
    const o1 = await t.call({
      method: 'POST',
      url: `/api/v1/claims/${upheldClaim.id}/objections`,
      as: members[5]!.userId,
      payload: { reason: '材料不全' },
    })
    const o2 = await t.call({
      method: 'POST',
      url: `/api/v1/claims/${rescoredClaim.id}/objections`,
      as: members[7]!.userId,
      payload: { reason: '时长漏记' },
    })
    expect([o1.statusCode, o2.statusCode]).toEqual([201, 201])
    await t.call({
      method: 'POST',
      url: `/api/v1/objections/${o1.json().id}/resolve`,
      as: secretary,
      payload: { decision: 'upheld', reply: '经核实，材料齐全' },
    })
    await t.call({
      method: 'POST',
      url: `/api/v1/objections/${o2.json().id}/resolve`,
      as: secretary,
      payload: { decision: 'rescore', reply: '请评议小组重新评分' },
    })
    for (const u of panelUserIds) await scoreOk(t, u, round.id, rescoredClaim.id, fmt(rescoredClaim.ceiling))
    expected.set(rescoredClaim.id, rescoredClaim.ceiling)
    const reclosed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: secretary,
    })
    expect(reclosed.statusCode).toBe(200)
    expect(new Date(reclosed.json().publicityEndsAt).getTime()).toBeGreaterThanOrEqual(
      new Date(closed.json().publicityEndsAt).getTime(),
    )

    // 6. Publicity over: finalize posts every result once.
    expect((await finalize(t, secretary, round.id)).statusCode).toBe(409)
    await endPublicity(t.db, round.id)
    const total = [...expected.values()].reduce((a, b) => a + b, 0)
    const fin = await finalize(t, secretary, round.id, 'year-end-1')
    expect(fin.statusCode, fin.body).toBe(200)
    expect(fin.json()).toEqual({ posted: 33, totalPoints: fmt(total) })

    // 7. Balances and results are as expected, member by member.
    const perMember = new Map<string, number>()
    for (const c of claims) perMember.set(c.memberId, (perMember.get(c.memberId) ?? 0) + expected.get(c.id)!)
    for (const m of members) {
      const res = await t.call({ method: 'GET', url: `/api/v1/members/${m.memberId}/balance`, as: m.userId })
      expect(res.json(), m.memberId).toMatchObject({ balance: fmt(perMember.get(m.memberId)!), held: '0.00' })
    }
    const final = await t.call({
      method: 'GET',
      url: `/api/v1/scoring-rounds/${round.id}/results?limit=200`,
      as: secretary,
    })
    const byId = new Map(final.json().items.map((i: { claimId: string }) => [i.claimId, i]))
    expect(byId.get(rescoredClaim.id)).toMatchObject({
      status: 'posted',
      result: fmt(rescoredClaim.ceiling),
      objections: [expect.objectContaining({ status: 'rescore', reply: '请评议小组重新评分' })],
    })
    expect(byId.get(upheldClaim.id)).toMatchObject({
      objections: [expect.objectContaining({ status: 'upheld' })],
    })
    expect(
      final
        .json()
        .items.every(
          (i: { status: string; awarded: string; result: string }) =>
            i.status === 'posted' && i.awarded === i.result,
        ),
    ).toBe(true)
    const audit = await rows<{ action: string; n: string }>(
      t.db,
      sql`select action, count(*) as n from audit_events where target_id = ${round.id} group by action order by action`,
    )
    expect(audit).toEqual([
      { action: 'scoring_round.closed', n: '2' },
      { action: 'scoring_round.created', n: '1' },
      { action: 'scoring_round.finalized', n: '1' },
      { action: 'scoring_round.reopened', n: '1' },
    ])
  })
})
