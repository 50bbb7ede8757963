import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const count = async (query: ReturnType<typeof sql>) => Number((await one<{ n: string }>(t.db, query))?.n)
const importCsv = (body: string | Buffer, orgUnitId = w.branchA, as = w.secretaryA, type = 'text/csv') =>
  t.call({
    method: 'POST',
    url: `/api/v1/members/import?orgUnitId=${orgUnitId}`,
    as,
    headers: { 'content-type': type },
    payload: body,
  })

describe('POST /api/v1/members/import', () => {
  it('imports UTF-8 with a BOM, quoted fields with commas and new lines, Chinese text', async () => {
    const unit = (
      await t.call({
        method: 'POST',
        url: '/api/v1/org-units',
        as: w.secretaryA,
        payload: { parentId: w.branchA, kind: 'grid', name: '导入网格' },
      })
    ).json().id
    const csv =
      '\uFEFFname,isPartyMember,phone,workUnit\r\n' +
      '王小明,true,13800000001,"县人民医院,内科"\r\n' +
      '"李""阿姨""",否,,"城关镇\n第二小学"\r\n' +
      '欧阳娜娜,1,+86 139-0000-0002,\r\n'
    const res = await importCsv(csv, unit)
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({ created: 3 })
    const created = await rows<{
      name: string
      isPartyMember: boolean
      phone: string | null
      workUnit: string | null
    }>(
      t.db,
      sql`select name, is_party_member as "isPartyMember", phone, work_unit as "workUnit" from members
          where org_unit_id = ${unit} order by name`,
    )
    expect(created).toEqual(
      expect.arrayContaining([
        { name: '王小明', isPartyMember: true, phone: '13800000001', workUnit: '县人民医院,内科' },
        { name: '李"阿姨"', isPartyMember: false, phone: null, workUnit: '城关镇\n第二小学' },
        { name: '欧阳娜娜', isPartyMember: true, phone: '+86 139-0000-0002', workUnit: null },
      ]),
    )
    expect(
      await count(
        sql`select count(*) as n from audit_events where org_unit_id = ${unit} and action = 'member.import'`,
      ),
    ).toBe(3)
  })

  it('imports without a BOM and with columns in another order', async () => {
    const res = await importCsv('isPartyMember,name\nfalse,孙悟空\n')
    expect(res.statusCode).toBe(201)
    expect(res.json()).toEqual({ created: 1 })
  })

  it('all rows or none: errors name lines counting the header as 1 (a quoted new line spans two lines)', async () => {
    const before = await count(sql`select count(*) as n from members`)
    const csv =
      'name,isPartyMember,phone,workUnit\n' + // line 1
      '好人,true,,"两行\n的单位"\n' + // lines 2-3
      ',true,,\n' + // line 4: no name
      '坏人,maybe,,\n' + // line 5
      '太多,true,,,extra\n' // line 6
    const res = await importCsv(csv)
    expect(res.statusCode).toBe(400)
    expect(res.json().code).toBe('validation_failed')
    expect(res.json().errors).toEqual([
      { line: 4, message: expect.stringMatching(/name/) },
      { line: 5, message: expect.stringMatching(/isPartyMember/) },
      { line: 6, message: expect.stringMatching(/fields/) },
    ])
    expect(await count(sql`select count(*) as n from members`)).toBe(before)
  })

  it('an unknown or missing column is an error on line 1', async () => {
    const res = await importCsv('name,email\n张三,a@b.c\n')
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { line: 1, message: expect.stringMatching(/email/) },
        { line: 1, message: expect.stringMatching(/isPartyMember/) },
      ]),
    )
  })

  it('an unterminated quote names the line it starts on', async () => {
    const res = await importCsv('name,isPartyMember\n张三,true\n"李四,true\n')
    expect(res.statusCode).toBe(400)
    expect(res.json().errors).toEqual([{ line: 3, message: expect.any(String) }])
  })

  it('JSON instead of CSV is 415; outside scope 404 even with a valid file', async () => {
    const json = await t.call({
      method: 'POST',
      url: `/api/v1/members/import?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
      payload: { name: 'x' },
    })
    expect(json.statusCode).toBe(415)
    expect((await importCsv('name,isPartyMember\n张三,true\n', w.branchB)).statusCode).toBe(404)
  })
})

describe('PATCH /api/v1/members/{id}', () => {
  it('a member changes their own phone and work unit', async () => {
    const res = await t.call({
      method: 'PATCH',
      url: `/api/v1/members/${w.memberA.memberId}`,
      as: w.memberA.userId,
      payload: { phone: '13912345678', workUnit: '县财政局' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toMatchObject({ phone: '13912345678', workUnit: '县财政局', orgUnitId: w.branchA })
  })

  it.each([
    ['their unit', { orgUnitId: 'BRANCH_B' }],
    ['their status', { status: 'inactive' }],
    ['their party membership', { isPartyMember: false }],
  ])('a member cannot change %s (403) and nothing changes', async (_what, payload) => {
    const body = JSON.parse(JSON.stringify(payload).replace('BRANCH_B', w.branchB))
    const before = await one(t.db, sql`select * from members where id = ${w.memberA.memberId}`)
    const res = await t.call({
      method: 'PATCH',
      url: `/api/v1/members/${w.memberA.memberId}`,
      as: w.memberA.userId,
      payload: body,
    })
    expect(res.statusCode).toBe(403)
    expect(await one(t.db, sql`select * from members where id = ${w.memberA.memberId}`)).toEqual(before)
  })

  it('unknown fields (id, createdAt) are 400, never silently applied', async () => {
    const res = await t.call({
      method: 'PATCH',
      url: `/api/v1/members/${w.memberA.memberId}`,
      as: w.secretaryA,
      payload: { id: w.memberB.memberId, createdAt: '2000-01-01T00:00:00Z' },
    })
    expect(res.statusCode).toBe(400)
  })

  it('a secretary moves a member within their scope, not outside it', async () => {
    const id = await createMember(t.db, w.branchA, { name: '周八' })
    const ok = await t.call({
      method: 'PATCH',
      url: `/api/v1/members/${id}`,
      as: w.secretaryA,
      payload: { orgUnitId: w.gridA, status: 'inactive' },
    })
    expect(ok.statusCode).toBe(200)
    expect(ok.json()).toMatchObject({ orgUnitId: w.gridA, status: 'inactive' })
    const out = await t.call({
      method: 'PATCH',
      url: `/api/v1/members/${id}`,
      as: w.secretaryA,
      payload: { orgUnitId: w.branchB },
    })
    expect(out.statusCode).toBe(404)
    const audit = await one<{ before: { status: string }; after: { status: string } }>(
      t.db,
      sql`select before, after from audit_events where target_id = ${id} and action = 'member.update'`,
    )
    expect(audit).toMatchObject({ before: { status: 'active' }, after: { status: 'inactive' } })
  })
})

describe('GET /api/v1/members', () => {
  it('searches by part of the name within scope', async () => {
    await createMember(t.db, w.branchA, { name: '诸葛亮' })
    await createMember(t.db, w.branchB, { name: '诸葛瑾' })
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/members?q=${encodeURIComponent('诸葛')}`,
      as: w.secretaryA,
    })
    expect(res.json().items.map((m: { name: string }) => m.name)).toEqual(['诸葛亮'])
  })

  it('a literal % in the search matches only a %', async () => {
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/members?q=${encodeURIComponent('%')}`,
      as: w.admin,
    })
    expect(res.json().items).toEqual([])
  })
})

// 双报到 registrations: test/members/registrations.test.ts

describe('teams', () => {
  it('a grid worker creates a team, adds members, and lists it with its size', async () => {
    const team = await t.call({
      method: 'POST',
      url: '/api/v1/teams',
      as: w.gridWorkerA,
      payload: { orgUnitId: w.branchA, name: '红色先锋服务队' },
    })
    expect(team.statusCode).toBe(201)
    const teamId = team.json().id
    const add = await t.call({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      as: w.gridWorkerA,
      payload: { memberId: w.memberA.memberId },
    })
    expect(add.statusCode).toBe(201)
    const twice = await t.call({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      as: w.gridWorkerA,
      payload: { memberId: w.memberA.memberId },
    })
    expect(twice.statusCode).toBe(409)
    const outsider = await t.call({
      method: 'POST',
      url: `/api/v1/teams/${teamId}/members`,
      as: w.gridWorkerA,
      payload: { memberId: w.memberB.memberId },
    })
    expect(outsider.statusCode).toBe(404)
    const list = await t.call({
      method: 'GET',
      url: `/api/v1/teams?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
    })
    expect(list.json().items).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: teamId, memberCount: 1 })]),
    )
  })
})

describe('GET /api/v1/members as CSV', () => {
  it('gives the whole roster in scope with a BOM and the import columns first', async () => {
    const unit = (
      await t.call({
        method: 'POST',
        url: '/api/v1/org-units',
        as: w.secretaryA,
        payload: { parentId: w.branchA, kind: 'grid', name: '导出网格' },
      })
    ).json().id
    await importCsv('name,isPartyMember,workUnit\n甲一,true,"县委,办公室"\n乙二,false,\n', unit)
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/members?orgUnitId=${unit}`,
      as: w.gridWorkerA,
      headers: { accept: 'text/csv' },
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    const lines = res.body.split('\r\n')
    expect(lines[0]).toBe(
      '\uFEFFname,isPartyMember,phone,workUnit,status,orgUnitId,id,identityType,identityNumberMasked',
    )
    expect(lines.slice(1, 3).map((l) => l.split(',').slice(0, 2).join(','))).toEqual(
      expect.arrayContaining(['甲一,true', '乙二,false']),
    )
    expect(res.body).toContain('"县委,办公室"')
  })
})
