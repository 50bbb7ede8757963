import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUnit, createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const auditCount = async (targetId: string) =>
  Number(
    (
      await one<{ n: string }>(
        t.db,
        sql`select count(*) as n from audit_events where target_id = ${targetId}`,
      )
    )?.n,
  )

describe('POST /api/v1/org-units', () => {
  it('a secretary creates a grid under their branch; it is audited', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/org-units',
      as: w.secretaryA,
      payload: { parentId: w.branchA, kind: 'grid', name: '第二网格', code: 'G2' },
    })
    expect(res.statusCode).toBe(201)
    const unit = res.json()
    expect(unit).toMatchObject({ parentId: w.branchA, kind: 'grid', name: '第二网格', code: 'G2' })
    const row = await one<{ path: string }>(t.db, sql`select path from org_units where id = ${unit.id}`)
    const parent = await one<{ path: string }>(t.db, sql`select path from org_units where id = ${w.branchA}`)
    expect(row?.path).toBe(`${parent?.path}${unit.id}/`)
    expect(await auditCount(unit.id)).toBe(1)
  })

  it('a kind that does not sit below the parent is 400, and nothing is written', async () => {
    const before = await one<{ n: string }>(t.db, sql`select count(*) as n from org_units`)
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/org-units',
      as: w.admin,
      payload: { parentId: w.branchA, kind: 'community', name: '倒挂社区' },
    })
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('validation_failed')
    expect(await one(t.db, sql`select count(*) as n from org_units`)).toEqual(before)
  })

  it('levels may be skipped: a branch right under a street', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/org-units',
      as: w.admin,
      payload: { parentId: w.street, kind: 'branch', name: '机关党支部' },
    })
    expect(res.statusCode).toBe(201)
  })

  it('a second root cannot be created', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/org-units',
      as: w.admin,
      payload: { parentId: w.root, kind: 'root', name: 'Another root' },
    })
    expect(res.statusCode).toBe(400)
  })

  it('a secretary outside the parent’s subtree gets 404; a clerk 403', async () => {
    const payload = { parentId: w.branchB, kind: 'grid', name: '越权网格' }
    const outside = await t.call({ method: 'POST', url: '/api/v1/org-units', as: w.secretaryA, payload })
    expect(outside.statusCode).toBe(404)
    const clerk = await t.call({ method: 'POST', url: '/api/v1/org-units', as: w.clerkB, payload })
    expect(clerk.statusCode).toBe(403)
  })
})

describe('settings inherit from the nearest ancestor that sets them', () => {
  it('getOrgUnit shows own settings and effective ones', async () => {
    const county = await createUnit(t.db, w.root, 'district', '示范县', {
      redemptionThreshold: 5000,
      publicityDays: 7,
    })
    const town = await createUnit(t.db, county, 'street', '城关镇', { publicityDays: 3 })
    const community = await createUnit(t.db, town, 'community', '幸福社区')
    const res = await t.call({ method: 'GET', url: `/api/v1/org-units/${community}`, as: w.memberB.userId })
    expect(res.statusCode).toBe(200)
    expect(res.json().settings).toMatchObject({
      redemptionThreshold: null,
      publicityDays: null,
      minPublicityDays: null,
    })
    expect(res.json().effectiveSettings).toMatchObject({
      redemptionThreshold: '50.00',
      publicityDays: 3,
      minPublicityDays: 1,
    })

    const patched = await t.call({
      method: 'PATCH',
      url: `/api/v1/org-units/${town}`,
      as: w.admin,
      payload: { settings: { publicityDays: null, redemptionThreshold: '12.5' } },
    })
    expect(patched.statusCode).toBe(200)
    expect(patched.json().settings).toMatchObject({
      redemptionThreshold: '12.50',
      publicityDays: null,
      minPublicityDays: null,
    })
    const again = (await t.call({ method: 'GET', url: `/api/v1/org-units/${community}`, as: w.admin })).json()
    expect(again.effectiveSettings).toMatchObject({
      redemptionThreshold: '12.50',
      publicityDays: 7,
      minPublicityDays: 1,
    })
  })

  it('defaults apply when nobody sets anything', async () => {
    const res = await t.call({ method: 'GET', url: `/api/v1/org-units/${w.gridA}`, as: w.clerkA })
    expect(res.json().effectiveSettings).toMatchObject({
      redemptionThreshold: '0.00',
      publicityDays: 5,
      minPublicityDays: 1,
    })
  })

  it('refuses a negative threshold or three decimals with 400', async () => {
    for (const redemptionThreshold of ['-1.00', '1.234']) {
      const res = await t.call({
        method: 'PATCH',
        url: `/api/v1/org-units/${w.branchA}`,
        as: w.secretaryA,
        payload: { settings: { redemptionThreshold } },
      })
      expect(res.statusCode).toBe(400)
    }
  })
})

describe('GET /api/v1/org-units', () => {
  it('lists children of a unit by name, paginated', async () => {
    const parent = await createUnit(t.db, w.root, 'district')
    for (const name of ['乙街道', '甲街道', '丙街道']) await createUnit(t.db, parent, 'street', name)
    const first = await t.call({
      method: 'GET',
      url: `/api/v1/org-units?parentId=${parent}&limit=2`,
      as: w.clerkA,
    })
    expect(first.statusCode).toBe(200)
    expect(first.json().items).toHaveLength(2)
    const second = await t.call({
      method: 'GET',
      url: `/api/v1/org-units?parentId=${parent}&limit=2&cursor=${first.json().nextCursor}`,
      as: w.clerkA,
    })
    expect(second.json().nextCursor).toBeNull()
    const names = [...first.json().items, ...second.json().items].map((u: { name: string }) => u.name)
    expect(new Set(names)).toEqual(new Set(['乙街道', '甲街道', '丙街道']))
  })

  it('filters by kind', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/org-units?kind=root', as: w.memberA.userId })
    expect(res.json().items.map((u: { id: string }) => u.id)).toEqual([w.root])
  })

  it('a secretary renames only inside their scope (404 outside)', async () => {
    const ok = await t.call({
      method: 'PATCH',
      url: `/api/v1/org-units/${w.gridA}`,
      as: w.secretaryA,
      payload: { name: '一网格' },
    })
    expect(ok.statusCode).toBe(200)
    expect(await auditCount(w.gridA)).toBe(1)
    const no = await t.call({
      method: 'PATCH',
      url: `/api/v1/org-units/${w.communityA}`,
      as: w.secretaryA,
      payload: { name: 'x' },
    })
    expect(no.statusCode).toBe(404)
  })
})

describe('the database guards the tree on its own', () => {
  /** The statement must be refused with this SQLSTATE by this constraint (a trigger names the one it keeps). */
  const refused = async (query: ReturnType<typeof sql>, code: string, constraint: string) => {
    expect(await refusal(t.db.execute(query))).toMatchObject({ code, constraint })
  }

  it('refuses a kind above its parent, a move, and a kind change, even in plain SQL', async () => {
    await refused(
      sql`insert into org_units (parent_id, kind, name, path, depth) values (${w.gridA}, 'branch', 'x', '/', 9)`,
      '23514',
      'org_units_kind_order_chk',
    )
    await refused(
      sql`update org_units set parent_id = ${w.branchB} where id = ${w.gridA}`,
      '23514',
      'org_units_fixed_chk',
    )
    await refused(
      sql`update org_units set kind = 'microgrid' where id = ${w.gridA}`,
      '23514',
      'org_units_fixed_chk',
    )
    await refused(
      sql`insert into org_units (kind, name, path, depth) values ('root', 'second root', '/', 0)`,
      '23505',
      'org_units_one_root_uq',
    )
  })

  it('computes path and depth from the parent, whatever was sent', async () => {
    const row = await one<{ id: string; path: string; depth: number }>(
      t.db,
      sql`insert into org_units (parent_id, kind, name, path, depth) values (${w.gridA}, 'microgrid', '微网格', 'bogus', 42)
          returning id, path, depth`,
    )
    const grid = await one<{ path: string; depth: number }>(
      t.db,
      sql`select path, depth from org_units where id = ${w.gridA}`,
    )
    expect(row).toMatchObject({ path: `${grid!.path}${row!.id}/`, depth: grid!.depth + 1 })
  })

  it('registrations only with a community; audit events cannot be edited or deleted', async () => {
    await refused(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${w.memberA.memberId}, ${w.branchB}, 'accepted', now())`,
      '23514',
      'member_registrations_community_chk',
    )
    await refused(sql`delete from audit_events`, '23514', 'audit_events_append_only_chk')
    await refused(sql`update audit_events set action = 'nothing'`, '23514', 'audit_events_append_only_chk')
  })
})
