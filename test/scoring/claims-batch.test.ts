import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import {
  activeRubric,
  countRows,
  endPublicity,
  finalize,
  openRound,
  panel,
  scoreOk,
  today,
} from '../helpers/scoring'

let t: TestApp
let w: World
let rubricId: string
let branch: string[]

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  rubricId = await activeRubric(t, w)
  branch = [w.memberA.memberId]
  for (const name of ['王五', '赵六', '钱七']) branch.push(await createMember(t.db, w.branchA, { name }))
  branch.push(await createMember(t.db, w.gridA, { name: '孙八' }))
})

function batch(as: string, payload: Record<string, unknown>, key: string = crypto.randomUUID()) {
  return t.call({
    method: 'POST',
    url: '/api/v1/claims/batch',
    as,
    headers: { 'idempotency-key': key },
    payload: {
      rubricId,
      itemCode: 'MEETING',
      occurredOn: today(),
      quantity: 1,
      description: '参加主题党日',
      memberIds: branch,
      ...payload,
    },
  })
}

describe('createClaimsBatch (批量申报)', () => {
  it('files one submitted claim per member, in order, sharing a batch id, each audited', async () => {
    const res = await batch(w.secretaryA, {})
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json()
    expect(body.count).toBe(branch.length)
    expect(body.claims.map((c: { memberId: string }) => c.memberId)).toEqual(branch)
    for (const c of body.claims) {
      expect(c).toMatchObject({
        status: 'submitted',
        itemCode: 'MEETING',
        quantity: '1.00',
        ceiling: '2.00',
        source: 'manual',
        batchId: body.batchId,
      })
    }
    // A member sees their own claim of the batch like any other claim.
    const mine = await t.call({
      method: 'GET',
      url: `/api/v1/claims/${body.claims[0].id}`,
      as: w.memberA.userId,
    })
    expect(mine.json().batchId).toBe(body.batchId)
    const audited = await countRows(
      t.db,
      'audit_events',
      sql`action = 'claim.created' and target_id = any(${`{${body.claims.map((c: { id: string }) => c.id).join(',')}}`}::uuid[])`,
    )
    expect(audited).toBe(branch.length)
  })

  it('is all or nothing: one member outside the secretary’s units is named and nothing is filed', async () => {
    const before = await countRows(t.db, 'claims')
    const res = await batch(w.secretaryA, { memberIds: [...branch, w.memberB.memberId, crypto.randomUUID()] })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('validation_failed')
    const fields = res.json().errors.map((e: { field: string }) => e.field)
    expect(fields).toEqual([`memberIds[${branch.length}]`, `memberIds[${branch.length + 1}]`])
    // A member of another branch and one that does not exist read the same.
    const [a, b] = res.json().errors.map((e: { message: string }) => e.message)
    expect(a).toBe(b)
    expect(await countRows(t.db, 'claims')).toBe(before)
  })

  it('refuses repeats, an empty list, a draft rubric item that does not exist, and callers who are not secretaries', async () => {
    expect((await batch(w.secretaryA, { memberIds: [branch[0], branch[0]] })).statusCode).toBe(400)
    expect((await batch(w.secretaryA, { memberIds: [] })).statusCode).toBe(400)
    const noItem = await batch(w.secretaryA, { itemCode: 'NOPE' })
    expect(noItem.statusCode).toBe(400)
    expect(noItem.json().errors[0].field).toBe('itemCode')
    expect((await batch(w.memberA.userId, { memberIds: [w.memberA.memberId] })).statusCode).toBe(403)
    expect((await batch(w.panelistA, {})).statusCode).toBe(403)
    // The other branch's secretary holds none of these members at home.
    expect((await batch(w.secretaryB, {})).statusCode).toBe(400)
  })

  it('is idempotent: the same key answers the same batch and files nothing twice; another body is 409', async () => {
    const key = crypto.randomUUID()
    const before = await countRows(t.db, 'claims')
    const [first, second] = await Promise.all([batch(w.secretaryA, {}, key), batch(w.secretaryA, {}, key)])
    expect([first.statusCode, second.statusCode]).toEqual([201, 201])
    expect(second.json().batchId).toBe(first.json().batchId)
    expect([first.headers['idempotent-replayed'], second.headers['idempotent-replayed']]).toContain('true')
    expect(await countRows(t.db, 'claims')).toBe(before + branch.length)
    const other = await batch(w.secretaryA, { description: '另一次' }, key)
    expect(other.statusCode).toBe(409)
    expect(other.json().code).toBe('idempotency_key_reused')
  })

  it('the batch is scored by the panel like any claim and posts each member’s points', async () => {
    const members = branch.slice(1, 3)
    const res = await batch(w.secretaryA, { itemCode: 'DUES', memberIds: members })
    expect(res.statusCode, res.body).toBe(201)
    const ids = res.json().claims.map((c: { id: string }) => c.id) as string[]
    const panelists = await panel(t.db, w)
    const round = await openRound(t, w, { rubricId, panelUserIds: panelists, publicityDays: 0 })
    const taken = round.claims.map((c) => c.claimId)
    for (const id of ids) expect(taken).toContain(id)
    for (const claimId of taken) for (const p of panelists) await scoreOk(t, p, round.id, claimId, '1.00')
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    await endPublicity(t.db, round.id)
    expect((await finalize(t, w.secretaryA, round.id)).statusCode).toBe(200)
    for (const id of ids) {
      const c = await t.call({ method: 'GET', url: `/api/v1/claims/${id}`, as: w.secretaryA })
      expect(c.json()).toMatchObject({ status: 'posted', awarded: '1.00' })
    }
  })
})
