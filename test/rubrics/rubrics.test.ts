import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import { activeRubric, countRows, thisYear } from '../helpers/scoring'

let t: TestApp
let w: World
beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const items = [
  {
    code: 'STUDY',
    name: '日常学习',
    kind: 'award',
    unit: 'occurrence',
    pointsPerUnit: '1.00',
    maxPerClaim: 4,
    capPerYear: '24',
  },
  {
    code: 'ABSENCE',
    name: '无故缺席',
    kind: 'deduction',
    unit: 'occurrence',
    pointsPerUnit: '2.00',
    maxPerClaim: '2.00',
    capPerYear: '24.00',
  },
]

function create(as: string, payload: Record<string, unknown>) {
  return t.call({
    method: 'POST',
    url: '/api/v1/rubrics',
    as,
    payload: { orgUnitId: w.branchA, year: thisYear(), name: '细则', ...payload },
  })
}

describe('GET /api/v1/rubric-templates/default', () => {
  it('gives the 20 items of the default rubric to any user', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/rubric-templates/default', as: w.memberA.userId })
    expect(res.statusCode).toBe(200)
    const body = res.json()
    expect(body.items).toHaveLength(20)
    expect(body.items[0]).toEqual({
      code: 'STUDY',
      name: '日常学习',
      nameEn: 'Daily study',
      kind: 'award',
      unit: 'occurrence',
      pointsPerUnit: '1.00',
      maxPerClaim: '4.00',
      capPerYear: '24.00',
    })
    expect(
      body.items.filter((i: { kind: string }) => i.kind === 'deduction').map((i: { code: string }) => i.code),
    ).toEqual(['ABSENCE', 'DISCIPLINE'])
  })
})

describe('POST /api/v1/rubrics', () => {
  it('creates a draft from the template, from items, or by copying another rubric', async () => {
    const fromTemplate = await create(w.secretaryA, { fromTemplate: 'default' })
    expect(fromTemplate.statusCode, fromTemplate.body).toBe(201)
    expect(fromTemplate.json()).toMatchObject({ status: 'draft', orgUnitId: w.branchA, activatedAt: null })
    expect(fromTemplate.json().items).toHaveLength(20)

    const fromItems = await create(w.secretaryA, { items })
    expect(fromItems.statusCode, fromItems.body).toBe(201)
    expect(fromItems.json().items[0]).toMatchObject({
      code: 'STUDY',
      maxPerClaim: '4.00',
      capPerYear: '24.00',
    })

    const copy = await create(w.secretaryA, { copyFromRubricId: fromItems.json().id, name: '副本' })
    expect(copy.statusCode, copy.body).toBe(201)
    expect(copy.json()).toMatchObject({ copiedFromRubricId: fromItems.json().id, status: 'draft' })
    expect(copy.json().items).toEqual(fromItems.json().items)

    const audit = await countRows(
      t.db,
      'audit_events',
      sql`target_id = ${copy.json().id} and action = 'rubric.created'`,
    )
    expect(audit).toBe(1)
  })

  it('answers 400 naming each bad item field, and writes nothing', async () => {
    const before = await countRows(t.db, 'rubrics')
    const res = await create(w.secretaryA, {
      items: [items[0], { ...items[0], maxPerClaim: '0.50' }, { ...items[1], capPerYear: '1.50' }],
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('validation_failed')
    expect(res.json().errors.map((e: { field: string }) => e.field)).toEqual([
      'items.1.code',
      'items.1.maxPerClaim',
      'items.2.capPerYear',
    ])
    expect(await countRows(t.db, 'rubrics')).toBe(before)
  })

  it('wants exactly one source, and a known kind and unit', async () => {
    expect((await create(w.secretaryA, {})).statusCode).toBe(400)
    expect((await create(w.secretaryA, { items, fromTemplate: 'default' })).statusCode).toBe(400)
    const badKind = await create(w.secretaryA, { items: [{ ...items[0], kind: 'bonus' }] })
    expect(badKind.statusCode).toBe(400)
  })

  it('is for secretaries over the unit: a member gets 403, another branch’s secretary 404', async () => {
    expect((await create(w.memberA.userId, { fromTemplate: 'default' })).statusCode).toBe(403)
    const other = await create(w.secretaryB, { fromTemplate: 'default' })
    expect(other.statusCode).toBe(404)
    expect(other.json().code).toBe('not_found')
  })
})

describe('reading rubrics', () => {
  it('members and staff of the subtree read them; outsiders get 404', async () => {
    const id = (await create(w.secretaryA, { items })).json().id
    for (const as of [w.memberA.userId, w.panelistA, w.secretaryA, w.admin]) {
      const res = await t.call({ method: 'GET', url: `/api/v1/rubrics/${id}`, as })
      expect(res.statusCode, as).toBe(200)
    }
    for (const as of [w.memberB.userId, w.secretaryB]) {
      expect((await t.call({ method: 'GET', url: `/api/v1/rubrics/${id}`, as })).statusCode).toBe(404)
    }
  })

  it('lists by unit and year with keyset pages', async () => {
    const unit = w.gridA
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await create(w.secretaryA, { orgUnitId: unit, items })
      ids.push(res.json().id)
    }
    const first = await t.call({
      method: 'GET',
      url: `/api/v1/rubrics?orgUnitId=${unit}&year=${thisYear()}&limit=2`,
      as: w.secretaryA,
    })
    expect(first.statusCode).toBe(200)
    expect(first.json().items.map((r: { id: string }) => r.id)).toEqual([ids[2], ids[1]])
    const second = await t.call({
      method: 'GET',
      url: `/api/v1/rubrics?orgUnitId=${unit}&year=${thisYear()}&limit=2&cursor=${first.json().nextCursor}`,
      as: w.secretaryA,
    })
    expect(second.json()).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null })
    const outside = await t.call({
      method: 'GET',
      url: `/api/v1/rubrics?orgUnitId=${unit}`,
      as: w.secretaryB,
    })
    expect(outside.json().items).toEqual([])
  })
})

describe('draft and active', () => {
  it('a draft’s items are replaced; an active rubric never changes (409, and SQL refuses too)', async () => {
    const world = await createWorld(t.db)
    const id = (
      await t.call({
        method: 'POST',
        url: '/api/v1/rubrics',
        as: world.secretaryA,
        payload: { orgUnitId: world.branchA, year: thisYear(), name: 'r', fromTemplate: 'default' },
      })
    ).json().id
    const replaced = await t.call({
      method: 'PUT',
      url: `/api/v1/rubrics/${id}/items`,
      as: world.secretaryA,
      payload: { items },
    })
    expect(replaced.statusCode, replaced.body).toBe(200)
    expect(replaced.json().items.map((i: { code: string }) => i.code)).toEqual(['STUDY', 'ABSENCE'])

    const activated = await t.call({
      method: 'POST',
      url: `/api/v1/rubrics/${id}/activate`,
      as: world.secretaryA,
    })
    expect(activated.statusCode).toBe(200)
    expect(activated.json()).toMatchObject({ status: 'active', activatedAt: expect.any(String) })

    const again = await t.call({
      method: 'PUT',
      url: `/api/v1/rubrics/${id}/items`,
      as: world.secretaryA,
      payload: { items: [items[0]] },
    })
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('invalid_state')
    const reactivate = await t.call({
      method: 'POST',
      url: `/api/v1/rubrics/${id}/activate`,
      as: world.secretaryA,
    })
    expect(reactivate.json().code).toBe('invalid_state')

    expect(
      await refusal(t.db.execute(sql`update rubric_items set max_per_claim = 9999 where rubric_id = ${id}`)),
    ).toMatchObject({
      code: 'P0001',
      message: expect.stringMatching(/^items of active rubric .* cannot change/),
    })
    expect(await refusal(t.db.execute(sql`delete from rubric_items where rubric_id = ${id}`))).toMatchObject({
      code: 'P0001',
      message: expect.stringMatching(/^items of active rubric .* cannot change/),
    })
    expect(await refusal(t.db.execute(sql`update rubrics set name = 'x' where id = ${id}`))).toMatchObject({
      code: 'P0001',
      message: expect.stringMatching(/^rubric .* is active and cannot change/),
    })
    expect(
      await refusal(
        t.db.execute(
          sql`insert into rubric_items (rubric_id, code, position, name, kind, unit, points_per_unit, max_per_claim, cap_per_year)
            values (${id}, 'NEW', 9, 'n', 'award', 'fixed', 100, 100, 100)`,
        ),
      ),
    ).toMatchObject({
      code: 'P0001',
      message: expect.stringMatching(/^items of active rubric .* cannot change/),
    })
    expect(await countRows(t.db, 'rubric_items', sql`rubric_id = ${id}`)).toBe(2)
  })

  it('one active rubric per unit and year: a second activation is 409 conflict, even when both race', async () => {
    const world = await createWorld(t.db)
    const draft = async () =>
      (
        await t.call({
          method: 'POST',
          url: '/api/v1/rubrics',
          as: world.secretaryA,
          payload: { orgUnitId: world.branchA, year: thisYear(), name: 'r', items },
        })
      ).json().id as string
    const [a, b] = [await draft(), await draft()]
    const other = await buildTestApp()
    const results = await Promise.all([
      t.call({ method: 'POST', url: `/api/v1/rubrics/${a}/activate`, as: world.secretaryA }),
      other.call({ method: 'POST', url: `/api/v1/rubrics/${b}/activate`, as: world.secretaryA }),
    ])
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409])
    expect(results.find((r) => r.statusCode === 409)!.json().code).toBe('conflict')
    const active = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from rubrics where org_unit_id = ${world.branchA} and status = 'active'`,
    )
    expect(active!.n).toBe('1')
    // Another year is another rule book.
    const next = await t.call({
      method: 'POST',
      url: '/api/v1/rubrics',
      as: world.secretaryA,
      payload: { orgUnitId: world.branchA, year: thisYear() + 1, name: 'r', items },
    })
    const ok = await t.call({
      method: 'POST',
      url: `/api/v1/rubrics/${next.json().id}/activate`,
      as: world.secretaryA,
    })
    expect(ok.statusCode).toBe(200)
    await other.app.close()
  })

  it('only a secretary over the unit activates (panelist 403, other branch 404)', async () => {
    const rubricId = await activeRubric(t, await createWorld(t.db))
    expect(
      (await t.call({ method: 'POST', url: `/api/v1/rubrics/${rubricId}/activate`, as: w.panelistA }))
        .statusCode,
    ).toBe(403)
    expect(
      (await t.call({ method: 'POST', url: `/api/v1/rubrics/${rubricId}/activate`, as: w.secretaryB }))
        .statusCode,
    ).toBe(404)
  })
})
