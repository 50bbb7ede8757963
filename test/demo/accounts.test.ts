import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { demoLogins, loadDemoIfEmpty } from '../../src/demo/accounts'
import { buildTestApp, type TestApp } from '../helpers/app'

// This file's database starts empty (migrated template), like a first start in embedded mode.
let t: TestApp

beforeAll(async () => {
  t = await buildTestApp()
})

describe('demo organisation', () => {
  it('loads once into an empty database, with a login per role that works', async () => {
    // What every start of the embedded database prints: nothing before the demo is there.
    expect(await demoLogins(t.db)).toEqual([])
    const logins = await loadDemoIfEmpty(t.db)
    expect(logins?.map((l) => l.role)).toEqual([
      'admin',
      'secretary',
      'panelist',
      'grid_worker',
      'clerk',
      'member',
    ])
    expect(await loadDemoIfEmpty(t.db)).toBeNull()
    // Later starts load nothing but print the same logins again.
    expect(await demoLogins(t.db)).toEqual(logins)

    const counts = await one<{ units: string; members: string; regs: string }>(
      t.db,
      sql`select (select count(*) from org_units) as units, (select count(*) from members) as members,
                 (select count(*) from member_registrations) as regs`,
    )
    expect(counts).toEqual({ units: '11', members: '20', regs: '1' })

    const secretary = logins!.find((l) => l.role === 'secretary')!
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: secretary.username, password: secretary.password },
    })
    expect(res.statusCode).toBe(200)
    const list = await t.call({
      method: 'GET',
      url: '/api/v1/members?limit=200',
      headers: { authorization: `Bearer ${res.json().accessToken}` },
    })
    // The branch's ten members, every one with a Chinese name.
    expect(list.json().items).toHaveLength(10)
    expect(list.json().items.every((m: { name: string }) => /^[\u4e00-\u9fff]{2,4}$/.test(m.name))).toBe(true)

    const member = logins!.find((l) => l.role === 'member')!
    const login = await t.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: member.username, password: member.password },
    })
    const me = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${login.json().accessToken}` },
    })
    expect(me.json().member).toMatchObject({ name: '张伟' })

    // The secretary is a member of her branch, so what she signs carries her name.
    const asSecretary = await t.call({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${res.json().accessToken}` },
    })
    expect(asSecretary.json().member).toMatchObject({ name: '王芳' })
  })
})
