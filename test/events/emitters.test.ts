import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { createPastActivity, createRequest, recordHours, step, verify } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import {
  activeRubric,
  claim,
  endPublicity,
  finalize,
  openRound,
  panel,
  scoreOk,
  today,
} from '../helpers/scoring'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

interface Row {
  type: string
  orgUnitId: string
  subjectType: string
  subjectId: string
  memberId: string | null
  data: Record<string, unknown>
}

async function eventsAbout(subjectIds: string[]): Promise<Row[]> {
  return rows<Row>(
    t.db,
    sql`select type, org_unit_id as "orgUnitId", subject_type as "subjectType", subject_id as "subjectId",
               member_id as "memberId", data
        from events where subject_id in (${sql.join(
          subjectIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}) order by tx_id, id`,
  )
}

describe('events from their causes, in the causing transaction', () => {
  it('scoring: publicity_started at close, objection filed and resolved, finalize posts points.posted for each result (award and deduction) and round.finalized', async () => {
    const rubricId = await activeRubric(t, w)
    const m1 = await createMemberUser(t.db, w.branchA)
    const m2 = await createMemberUser(t.db, w.branchA)
    const c1 = await claim(t, m1.userId, {
      memberId: m1.memberId,
      rubricId,
      itemCode: 'STUDY',
      quantity: '3',
    })
    const c2 = await claim(t, w.secretaryA, {
      memberId: m2.memberId,
      rubricId,
      itemCode: 'ABSENCE',
      quantity: 1,
      occurredOn: today(),
    })
    const panelUserIds = await panel(t.db, w)
    const round = await openRound(t, w, { rubricId, panelUserIds, aggregation: 'mean' })
    for (const u of panelUserIds) {
      await scoreOk(t, u, round.id, c1.id, c1.ceiling)
      await scoreOk(t, u, round.id, c2.id, c2.ceiling)
    }
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    const filed = await t.call({
      method: 'POST',
      url: `/api/v1/claims/${c1.id}/objections`,
      as: m2.userId,
      payload: { reason: '材料不全' },
    })
    expect(filed.statusCode, filed.body).toBe(201)
    const objectionId = filed.json().id as string
    const resolved = await t.call({
      method: 'POST',
      url: `/api/v1/objections/${objectionId}/resolve`,
      as: w.secretaryA,
      payload: { decision: 'upheld', reply: '经核实，材料齐全' },
    })
    expect(resolved.statusCode, resolved.body).toBe(200)
    await endPublicity(t.db, round.id)
    const fin = await finalize(t, w.secretaryA, round.id)
    expect(fin.statusCode, fin.body).toBe(200)

    const roundEvents = await eventsAbout([round.id])
    expect(roundEvents.map((e) => e.type)).toEqual(['round.publicity_started', 'round.finalized'])
    expect(roundEvents[0]!.data).toMatchObject({
      roundId: round.id,
      publicityEndsAt: closed.json().publicityEndsAt,
    })
    expect(roundEvents[1]!.data).toEqual({
      roundId: round.id,
      orgUnitId: w.branchA,
      posted: 2,
      totalPoints: fin.json().totalPoints,
    })
    const objectionEvents = await eventsAbout([objectionId])
    expect(objectionEvents.map((e) => [e.type, e.memberId])).toEqual([
      ['objection.filed', m2.memberId],
      ['objection.resolved', m2.memberId],
    ])
    expect(objectionEvents[1]!.data).toMatchObject({ id: objectionId, status: 'upheld' })

    const posted = await eventsAbout([m1.memberId, m2.memberId])
    expect(posted.map((e) => [e.type, e.memberId, e.data.kind])).toEqual(
      expect.arrayContaining([
        ['points.posted', m1.memberId, 'award'],
        ['points.posted', m2.memberId, 'deduction'],
      ]),
    )
    expect(posted).toHaveLength(2)
    const awardEvent = posted.find((e) => e.memberId === m1.memberId)!
    expect(awardEvent).toMatchObject({
      orgUnitId: w.branchA,
      subjectType: 'member',
      data: { amount: c1.ceiling, reference: { type: 'claim', id: c1.id }, roundId: round.id },
    })
    // A replayed finalize writes nothing more.
    expect((await finalize(t, w.secretaryA, round.id)).statusCode).toBe(409)
    expect(await eventsAbout([m1.memberId, m2.memberId, round.id])).toHaveLength(4)
  })

  it('ledger: an adjustment and its reversal are points.posted; a refused one writes nothing', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await award(t.db, m.memberId, 1_000)
    const adj = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': crypto.randomUUID() },
      payload: { memberId: m.memberId, amount: '-2.50', reason: '重复计分' },
    })
    expect(adj.statusCode, adj.body).toBe(201)
    const rev = await t.call({
      method: 'POST',
      url: `/api/v1/ledger/transactions/${adj.json().id}/reverse`,
      as: w.secretaryA,
      headers: { 'idempotency-key': crypto.randomUUID() },
      payload: { reason: '更正有误' },
    })
    expect(rev.statusCode, rev.body).toBe(201)
    const again = await t.call({
      method: 'POST',
      url: `/api/v1/ledger/transactions/${adj.json().id}/reverse`,
      as: w.secretaryA,
      headers: { 'idempotency-key': crypto.randomUUID() },
      payload: { reason: '再来一次' },
    })
    expect(again.statusCode).toBe(409)
    const events = await eventsAbout([m.memberId])
    expect(events.map((e) => [e.type, e.data.kind, e.data.amount])).toEqual([
      ['points.posted', 'adjustment', '-2.50'],
      ['points.posted', 'reversal', '2.50'],
    ])
    expect(events[1]!.data).toMatchObject({
      transactionId: rev.json().id,
      reference: { type: 'transaction', id: adj.json().id },
      reason: '更正有误',
    })
  })

  it('activities: activity.verified once; service requests dispatched and completed', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const activityId = await createPastActivity(t, w.gridWorkerA, w.gridA)
    expect((await recordHours(t, w.gridWorkerA, activityId, m.memberId, '2.00')).statusCode).toBe(201)
    expect((await verify(t, w.secretaryA, activityId)).statusCode).toBe(200)
    expect((await verify(t, w.secretaryA, activityId)).statusCode).toBe(200)
    const verified = await eventsAbout([activityId])
    expect(verified).toEqual([
      expect.objectContaining({
        type: 'activity.verified',
        orgUnitId: w.gridA,
        data: expect.objectContaining({
          activityId,
          status: 'verified',
          totalHours: '2.00',
          participantCount: 1,
        }),
      }),
    ])

    const requestId = await createRequest(t, w.gridWorkerA, w.gridA)
    expect((await step(t, w.gridWorkerA, requestId, 'dispatch', { memberId: m.memberId })).statusCode).toBe(
      200,
    )
    expect((await step(t, m.userId, requestId, 'accept')).statusCode).toBe(200)
    expect((await step(t, m.userId, requestId, 'complete')).statusCode).toBe(200)
    const steps = await eventsAbout([requestId])
    expect(steps.map((e) => [e.type, e.memberId, e.data.status])).toEqual([
      ['service_request.dispatched', m.memberId, 'dispatched'],
      ['service_request.completed', m.memberId, 'completed'],
    ])
    expect(steps[1]!.data).toMatchObject({ hours: '1.50', completionNote: '已送达' })
    expect(JSON.stringify(steps)).not.toContain('13800001111')
  })

  it('sign-ups: a cancelled place passes to the first waitlisted member, sign_up.promoted', async () => {
    const startsAt = Date.now() + 24 * 3_600_000
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/activities',
      as: w.secretaryA,
      payload: {
        orgUnitId: w.branchA,
        title: '清理楼道小广告',
        startsAt: new Date(startsAt).toISOString(),
        endsAt: new Date(startsAt + 3 * 3_600_000).toISOString(),
        capacity: 1,
      },
    })
    expect(created.statusCode, created.body).toBe(201)
    const id = created.json().id as string
    const first = await createMemberUser(t.db, w.branchA)
    const second = await createMemberUser(t.db, w.branchA)
    for (const m of [first, second]) {
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/activities/${id}/sign-ups`,
        as: m.userId,
        payload: {},
      })
      expect(res.statusCode, res.body).toBe(201)
    }
    const cancel = await t.call({
      method: 'POST',
      url: `/api/v1/activities/${id}/sign-ups/${first.memberId}/cancel`,
      as: first.userId,
      payload: {},
    })
    expect(cancel.statusCode, cancel.body).toBe(200)
    const events = await eventsAbout([id])
    expect(events).toEqual([
      expect.objectContaining({
        type: 'sign_up.promoted',
        orgUnitId: w.branchA,
        memberId: second.memberId,
        data: expect.objectContaining({ activityId: id, memberId: second.memberId, placeOf: first.memberId }),
      }),
    ])
  })
})
