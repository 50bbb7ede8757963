import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createUser, createWorld, uniq, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const grant = (as: string, userId: string, role: string, orgUnitId: string) =>
  t.call({ method: 'POST', url: `/api/v1/users/${userId}/roles`, as, payload: { role, orgUnitId } })
const grantsOf = async (userId: string) =>
  Number(
    (await one<{ n: string }>(t.db, sql`select count(*) as n from role_grants where user_id = ${userId}`))?.n,
  )

describe('POST /api/v1/users', () => {
  it('creates a login linked to a member, who can then log in and see their record', async () => {
    const memberId = await createMember(t.db, w.branchA, { name: '吴九' })
    const username = uniq('wu')
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: w.secretaryA,
      payload: { username, password: 'long-enough-pw', memberId },
    })
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({
      username,
      memberId,
      roles: [{ role: 'member', orgUnitId: w.branchA }],
    })
    expect(res.json()).not.toHaveProperty('passwordHash')
    const login = await t.call({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password: 'long-enough-pw' },
    })
    expect(login.statusCode).toBe(200)
    const stored = await one<{ h: string }>(
      t.db,
      sql`select password_hash as h from users where username = ${username}`,
    )
    expect(stored?.h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  })

  it('a password under 10 characters is 400; a taken username 409; a second login for one member 409', async () => {
    const short = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: w.admin,
      payload: { username: uniq('s'), password: 'short' },
    })
    expect(short.statusCode).toBe(400)
    const name = uniq('dup')
    expect(
      (
        await t.call({
          method: 'POST',
          url: '/api/v1/users',
          as: w.admin,
          payload: { username: name, password: 'long-enough-pw' },
        })
      ).statusCode,
    ).toBe(201)
    const dup = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: w.admin,
      payload: { username: name, password: 'long-enough-pw' },
    })
    expect(dup.statusCode).toBe(409)
    const second = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: w.admin,
      payload: { username: uniq('m'), password: 'long-enough-pw', memberId: w.memberA.memberId },
    })
    expect(second.statusCode).toBe(409)
  })
})

describe('listUsers / getUser', () => {
  it('a secretary finds users of their subtree with their grants, not those of a sibling branch', async () => {
    const res = await t.call({ method: 'GET', url: '/api/v1/users?limit=200', as: w.secretaryA })
    expect(res.statusCode).toBe(200)
    const ids = res.json().items.map((u: { id: string }) => u.id)
    expect(ids).toEqual(expect.arrayContaining([w.panelistA, w.gridWorkerA, w.memberA.userId]))
    expect(ids).not.toContain(w.secretaryB)
    expect(ids).not.toContain(w.memberB.userId)
    const one = await t.call({ method: 'GET', url: `/api/v1/users/${w.panelistA}`, as: w.secretaryA })
    expect(one.json().roles).toEqual([{ id: expect.any(String), role: 'panelist', orgUnitId: w.branchA }])
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/users/${w.secretaryB}`, as: w.secretaryA })).statusCode,
    ).toBe(404)
  })

  it('searches by part of the username', async () => {
    const username = uniq('findme')
    await createUser(t.db, { username, grants: [['clerk', w.communityA]] })
    const res = await t.call({ method: 'GET', url: `/api/v1/users?q=${username.slice(0, 12)}`, as: w.admin })
    expect(res.json().items.map((u: { username: string }) => u.username)).toContain(username)
  })
})

describe('grantRole / revokeRole', () => {
  it('a secretary cannot grant admin (403), nor anything above or beside their unit (404)', async () => {
    const target = await createUser(t.db, { createdBy: w.secretaryA })
    expect((await grant(w.secretaryA, target, 'admin', w.branchA)).statusCode).toBe(403)
    expect((await grant(w.secretaryA, target, 'secretary', w.communityA)).statusCode).toBe(404)
    expect((await grant(w.secretaryA, target, 'clerk', w.branchB)).statusCode).toBe(404)
    expect(await grantsOf(target)).toBe(0)
    expect((await grant(w.secretaryA, target, 'secretary', w.gridA)).statusCode).toBe(201)
  })

  it('only an admin grants admin; the grantee then acts as admin at once', async () => {
    const target = await createUser(t.db)
    const res = await grant(w.admin, target, 'admin', w.root)
    expect(res.statusCode).toBe(201)
    const audit = await t.call({ method: 'GET', url: `/api/v1/audit-events?targetId=${target}`, as: target })
    expect(audit.statusCode).toBe(200)
    expect(audit.json().items[0]).toMatchObject({
      action: 'user.grant_role',
      actorUserId: w.admin,
      targetType: 'user',
    })
  })

  it('granting the same role twice is 409; role member needs a linked member (400)', async () => {
    const target = await createUser(t.db, { createdBy: w.secretaryA })
    expect((await grant(w.secretaryA, target, 'panelist', w.branchA)).statusCode).toBe(201)
    expect((await grant(w.secretaryA, target, 'panelist', w.branchA)).statusCode).toBe(409)
    expect((await grant(w.secretaryA, target, 'member', w.branchA)).statusCode).toBe(400)
  })

  it('a secretary cannot revoke an admin grant or a grant outside their scope', async () => {
    const adminGrant = await one<{ id: string }>(
      t.db,
      sql`select id from role_grants where user_id = ${w.admin}`,
    )
    const r1 = await t.call({
      method: 'DELETE',
      url: `/api/v1/users/${w.admin}/roles/${adminGrant!.id}`,
      as: w.secretaryA,
    })
    expect(r1.statusCode).toBe(404)
    const bGrant = await one<{ id: string }>(
      t.db,
      sql`select id from role_grants where user_id = ${w.secretaryB}`,
    )
    const r2 = await t.call({
      method: 'DELETE',
      url: `/api/v1/users/${w.secretaryB}/roles/${bGrant!.id}`,
      as: w.secretaryA,
    })
    expect(r2.statusCode).toBe(404)
    expect(await grantsOf(w.secretaryB)).toBe(1)
  })

  it('a revoked grant stops working in another API process within the cache time', async () => {
    const other = await buildTestApp()
    const userId = await createUser(t.db, { grants: [['secretary', w.branchA]] })
    const g = await one<{ id: string }>(t.db, sql`select id from role_grants where user_id = ${userId}`)
    const read = () =>
      other.call({ method: 'GET', url: `/api/v1/audit-events?orgUnitId=${w.branchA}`, as: userId })
    expect((await read()).statusCode).toBe(200)
    expect(
      (await t.call({ method: 'DELETE', url: `/api/v1/users/${userId}/roles/${g!.id}`, as: w.admin }))
        .statusCode,
    ).toBe(204)
    const deadline = Date.now() + 5000
    let status = 200
    while (Date.now() < deadline && status === 200) {
      await new Promise((r) => setTimeout(r, 250))
      status = (await read()).statusCode
    }
    expect(status).toBe(403)
    await other.app.close()
  })
})

describe('GET /api/v1/audit-events', () => {
  it('pages newest first and filters by target type and id', async () => {
    const id = await createMember(t.db, w.branchA)
    for (const phone of ['1001', '1002', '1003']) {
      await t.call({ method: 'PATCH', url: `/api/v1/members/${id}`, as: w.secretaryA, payload: { phone } })
    }
    const url = `/api/v1/audit-events?targetType=member&targetId=${id}&limit=2`
    const first = (await t.call({ method: 'GET', url, as: w.secretaryA })).json()
    expect(first.items.map((e: { after: { phone: string } }) => e.after.phone)).toEqual(['1003', '1002'])
    const second = (
      await t.call({ method: 'GET', url: `${url}&cursor=${first.nextCursor}`, as: w.secretaryA })
    ).json()
    expect(second.items.map((e: { after: { phone: string } }) => e.after.phone)).toEqual(['1001'])
    expect(second.nextCursor).toBeNull()
    expect(second.items[0]).toMatchObject({
      actorUserId: w.secretaryA,
      action: 'member.update',
      before: { phone: null },
    })
  })

  it('a secretary does not see events of a sibling branch', async () => {
    const id = await createMember(t.db, w.branchB)
    await t.call({
      method: 'PATCH',
      url: `/api/v1/members/${id}`,
      as: w.secretaryB,
      payload: { phone: '2001' },
    })
    const res = await t.call({ method: 'GET', url: `/api/v1/audit-events?targetId=${id}`, as: w.secretaryA })
    expect(res.json().items).toEqual([])
  })
})
