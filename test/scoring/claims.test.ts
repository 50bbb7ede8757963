import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import {
  activeRubric,
  claim,
  confirmedRequest,
  countRows,
  openRound,
  panel,
  thisYear,
  today,
  verifiedActivity,
} from '../helpers/scoring'

let t: TestApp
let w: World
let rubricId: string
beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  rubricId = await activeRubric(t, w)
})

function post(as: string, payload: Record<string, unknown>) {
  return t.call({
    method: 'POST',
    url: '/api/v1/claims',
    as,
    payload: { memberId: w.memberA.memberId, rubricId, occurredOn: today(), description: '学习', ...payload },
  })
}

describe('POST /api/v1/claims: ceilings', () => {
  it('hour items: pointsPerUnit * hours up to maxPerClaim', async () => {
    const a = await post(w.memberA.userId, { itemCode: 'EPIDEMIC', quantity: '2.50' })
    expect(a.statusCode, a.body).toBe(201)
    expect(a.json()).toMatchObject({ status: 'submitted', ceiling: '2.50', quantity: '2.50', kind: 'award' })
    const b = await post(w.memberA.userId, { itemCode: 'EPIDEMIC', quantity: 12 })
    expect(b.json().ceiling).toBe('8.00')
  })

  it('occurrences are whole numbers; a fixed item counts once', async () => {
    expect((await post(w.memberA.userId, { itemCode: 'CARE', quantity: 1 })).json().ceiling).toBe('3.00')
    const half = await post(w.memberA.userId, { itemCode: 'CARE', quantity: '1.50' })
    expect(half.statusCode).toBe(400)
    expect(half.json().errors[0].field).toBe('quantity')
    const dues = await post(w.memberA.userId, { itemCode: 'DUES', quantity: 3 })
    expect(dues.json()).toMatchObject({ ceiling: '5.00', quantity: '1.00' })
    expect((await post(w.memberA.userId, { itemCode: 'HONOUR' })).json().ceiling).toBe('10.00')
    expect((await post(w.memberA.userId, { itemCode: 'STUDY' })).statusCode).toBe(400)
  })

  it('deductions are negative and recorded by the secretary, never by the member', async () => {
    const byMember = await post(w.memberA.userId, { itemCode: 'ABSENCE', quantity: 1 })
    expect(byMember.statusCode).toBe(403)
    const bySecretary = await post(w.secretaryA, { itemCode: 'ABSENCE', quantity: 3 })
    expect(bySecretary.statusCode, bySecretary.body).toBe(201)
    expect(bySecretary.json()).toMatchObject({ ceiling: '-2.00', kind: 'deduction' })
  })
})

describe('POST /api/v1/claims: refusals write nothing', () => {
  it('refuses others’ members, drafts, foreign rubrics, unknown items and wrong years', async () => {
    const before = await countRows(t.db, 'claims')
    const other = await createMemberUser(t.db, w.branchA)
    expect((await post(other.userId, { itemCode: 'STUDY', quantity: 1 })).statusCode).toBe(404)
    expect((await post(w.secretaryB, { itemCode: 'STUDY', quantity: 1 })).statusCode).toBe(404)
    const draft = await t.call({
      method: 'POST',
      url: '/api/v1/rubrics',
      as: w.secretaryA,
      payload: { orgUnitId: w.branchA, year: thisYear(), name: 'draft', fromTemplate: 'default' },
    })
    const onDraft = await post(w.memberA.userId, {
      rubricId: draft.json().id,
      itemCode: 'STUDY',
      quantity: 1,
    })
    expect(onDraft.statusCode).toBe(409)
    expect(onDraft.json().code).toBe('invalid_state')
    const rubricB = await activeRubric(t, w, w.branchB, w.secretaryB)
    const foreign = await post(w.memberA.userId, { rubricId: rubricB, itemCode: 'STUDY', quantity: 1 })
    expect(foreign.json().errors[0].field).toBe('rubricId')
    expect((await post(w.memberA.userId, { itemCode: 'NOPE', quantity: 1 })).json().errors[0].field).toBe(
      'itemCode',
    )
    const lastYear = await post(w.memberA.userId, {
      itemCode: 'STUDY',
      quantity: 1,
      occurredOn: `${thisYear() - 1}-06-01`,
    })
    expect(lastYear.json().errors[0].field).toBe('occurredOn')
    expect(await countRows(t.db, 'claims')).toBe(before)
  })
})

describe('evidence', () => {
  it('must be the member’s own verified work, and backs one claim per item', async () => {
    const member = await createMemberUser(t.db, w.branchA)
    const stranger = await createMemberUser(t.db, w.branchA)
    const activity = await verifiedActivity(t, w, { participants: [[member.memberId, '2.00']] })
    const as = member.userId
    const base = { memberId: member.memberId, itemCode: 'ENVIRON', quantity: 2 }

    const notTheirs = await post(stranger.userId, {
      ...base,
      memberId: stranger.memberId,
      evidence: { activityIds: [activity] },
    })
    expect(notTheirs.statusCode).toBe(400)
    expect(notTheirs.json().errors[0]).toMatchObject({ field: 'evidence.activityIds' })
    const unknown = await post(as, { ...base, evidence: { serviceRequestIds: [crypto.randomUUID()] } })
    expect(unknown.json().errors[0].field).toBe('evidence.serviceRequestIds')

    const first = await post(as, {
      ...base,
      evidence: { activityIds: [activity], links: ['https://example.org/photo.jpg'] },
    })
    expect(first.statusCode, first.body).toBe(201)
    expect(first.json().evidence).toEqual({
      activityIds: [activity],
      serviceRequestIds: [],
      links: ['https://example.org/photo.jpg'],
    })
    const twice = await post(as, { ...base, evidence: { activityIds: [activity] } })
    expect(twice.statusCode).toBe(409)
    expect(twice.json().code).toBe('conflict')
    const otherItem = await post(as, { ...base, itemCode: 'PATROL', evidence: { activityIds: [activity] } })
    expect(otherItem.statusCode).toBe(201)

    // Withdrawing frees the activity for a new claim under that item.
    const withdrawn = await t.call({ method: 'POST', url: `/api/v1/claims/${first.json().id}/withdraw`, as })
    expect(withdrawn.json().status).toBe('withdrawn')
    expect((await post(as, { ...base, evidence: { activityIds: [activity] } })).statusCode).toBe(201)
  })
})

describe('claims from verified work (hooks)', () => {
  it('verifying an activity with a rubricItemCode makes one claim per participant, hours as quantity, once', async () => {
    const m1 = await createMemberUser(t.db, w.branchA)
    const m2 = await createMemberUser(t.db, w.branchA)
    const activity = await verifiedActivity(t, w, {
      rubricItemCode: 'EPIDEMIC',
      participants: [
        [m1.memberId, '3.50'],
        [m2.memberId, '4.00'],
      ],
    })
    const made = await rows<{
      memberId: string
      quantity: string
      ceiling: string
      source: string
      status: string
    }>(
      t.db,
      sql`select member_id as "memberId", quantity, ceiling, source, status from claims
          where evidence->'activityIds' ? ${activity} order by quantity`,
    )
    expect(made).toEqual([
      { memberId: m1.memberId, quantity: '350', ceiling: '350', source: 'activity', status: 'submitted' },
      { memberId: m2.memberId, quantity: '400', ceiling: '400', source: 'activity', status: 'submitted' },
    ])
    // Verifying again changes nothing; claiming the same activity by hand under the item is a conflict.
    await t.call({ method: 'POST', url: `/api/v1/activities/${activity}/verify`, as: w.gridWorkerA })
    expect(await countRows(t.db, 'claims', sql`evidence->'activityIds' ? ${activity}`)).toBe(2)
    const byHand = await post(m1.userId, {
      memberId: m1.memberId,
      itemCode: 'EPIDEMIC',
      quantity: '3.50',
      evidence: { activityIds: [activity] },
    })
    expect(byHand.statusCode).toBe(409)
  })

  it('no claim when the member’s unit has no active rubric, the item is unknown or a deduction', async () => {
    const world = await createWorld(t.db)
    const activity = await verifiedActivity(t, world, {
      rubricItemCode: 'EPIDEMIC',
      participants: [[world.memberA.memberId, '1.00']],
    })
    expect(await countRows(t.db, 'claims', sql`evidence->'activityIds' ? ${activity}`)).toBe(0)
    const unknownItem = await verifiedActivity(t, w, {
      rubricItemCode: 'NOSUCH',
      participants: [[w.memberA.memberId, '1.00']],
    })
    expect(await countRows(t.db, 'claims', sql`evidence->'activityIds' ? ${unknownItem}`)).toBe(0)
    const deduction = await verifiedActivity(t, w, {
      rubricItemCode: 'ABSENCE',
      participants: [[w.memberA.memberId, '1.00']],
    })
    expect(await countRows(t.db, 'claims', sql`evidence->'activityIds' ? ${deduction}`)).toBe(0)
  })

  it('confirming a service request makes an ORDER claim for the member', async () => {
    const member = await createMemberUser(t.db, w.branchA)
    const request = await confirmedRequest(t, w, member)
    const made = await rows<{ itemCode: string; ceiling: string; source: string }>(
      t.db,
      sql`select item_code as "itemCode", ceiling, source from claims where member_id = ${member.memberId}`,
    )
    expect(made).toEqual([{ itemCode: 'ORDER', ceiling: '300', source: 'service_request' }])
    const list = await t.call({ method: 'GET', url: '/api/v1/claims', as: member.userId })
    expect(list.json().items[0].evidence.serviceRequestIds).toEqual([request])
  })
})

describe('withdraw, get and list', () => {
  it('withdraws only while submitted; claimant or secretary; others see nothing', async () => {
    const member = await createMemberUser(t.db, w.branchA)
    const mine = await claim(t, member.userId, {
      memberId: member.memberId,
      rubricId,
      itemCode: 'STUDY',
      quantity: 1,
    })
    const url = `/api/v1/claims/${mine.id}/withdraw`
    expect((await t.call({ method: 'POST', url, as: w.memberA.userId })).statusCode).toBe(404)
    expect((await t.call({ method: 'POST', url, as: w.secretaryB })).statusCode).toBe(404)
    expect((await t.call({ method: 'POST', url, as: member.userId })).json().status).toBe('withdrawn')
    // The database refuses to bring a withdrawn claim back, whoever asks.
    expect(
      await refusal(t.db.execute(sql`update claims set status = 'submitted' where id = ${mine.id}`)),
    ).toMatchObject({
      code: 'P0001',
      message: expect.stringMatching(/cannot move from withdrawn to submitted/),
    })
    const again = await t.call({ method: 'POST', url, as: w.secretaryA })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('invalid_state')
    const audits = await countRows(
      t.db,
      'audit_events',
      sql`target_id = ${mine.id} and action = 'claim.withdrawn'`,
    )
    expect(audits).toBe(1)

    const bySecretary = await claim(t, member.userId, {
      memberId: member.memberId,
      rubricId,
      itemCode: 'STUDY',
      quantity: 1,
    })
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/claims/${bySecretary.id}/withdraw`,
      as: w.secretaryA,
    })
    expect(res.json().status).toBe('withdrawn')
  })

  it('a claim taken into a round can no longer be withdrawn', async () => {
    const world = await createWorld(t.db)
    const rubric = await activeRubric(t, world)
    const c = await claim(t, world.memberA.userId, {
      memberId: world.memberA.memberId,
      rubricId: rubric,
      itemCode: 'STUDY',
      quantity: 1,
    })
    await openRound(t, world, { rubricId: rubric, panelUserIds: await panel(t.db, world) })
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/claims/${c.id}/withdraw`,
      as: world.memberA.userId,
    })
    expect(res.statusCode).toBe(409)
    const got = await t.call({ method: 'GET', url: `/api/v1/claims/${c.id}`, as: world.memberA.userId })
    expect(got.json()).toMatchObject({ status: 'scoring', roundId: expect.any(String) })
  })

  it('members list their own claims; staff of the unit list the unit’s; filters apply', async () => {
    const member = await createMemberUser(t.db, w.branchA)
    const c1 = await claim(t, member.userId, {
      memberId: member.memberId,
      rubricId,
      itemCode: 'STUDY',
      quantity: 1,
    })
    const c2 = await claim(t, member.userId, {
      memberId: member.memberId,
      rubricId,
      itemCode: 'MEETING',
      quantity: 1,
    })
    await t.call({ method: 'POST', url: `/api/v1/claims/${c1.id}/withdraw`, as: member.userId })
    const own = await t.call({ method: 'GET', url: '/api/v1/claims', as: member.userId })
    expect(own.json().items.map((c: { id: string }) => c.id)).toEqual([c2.id, c1.id])
    const submitted = await t.call({
      method: 'GET',
      url: `/api/v1/claims?memberId=${member.memberId}&status=submitted`,
      as: w.panelistA,
    })
    expect(submitted.json().items.map((c: { id: string }) => c.id)).toEqual([c2.id])
    const paged = await t.call({
      method: 'GET',
      url: `/api/v1/claims?memberId=${member.memberId}&limit=1`,
      as: w.secretaryA,
    })
    expect(paged.json().nextCursor).toEqual(expect.any(String))
    const next = await t.call({
      method: 'GET',
      url: `/api/v1/claims?memberId=${member.memberId}&limit=1&cursor=${paged.json().nextCursor}`,
      as: w.secretaryA,
    })
    expect(next.json().items.map((c: { id: string }) => c.id)).toEqual([c1.id])
    const outsider = await t.call({
      method: 'GET',
      url: `/api/v1/claims?memberId=${member.memberId}`,
      as: w.secretaryB,
    })
    expect(outsider.json().items).toEqual([])
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/claims/${c2.id}`, as: w.memberA.userId })).statusCode,
    ).toBe(404)
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/claims/${c2.id}`, as: w.panelistA })).statusCode,
    ).toBe(200)
  })
})
