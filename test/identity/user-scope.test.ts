import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createUser, createWorld, type World } from '../helpers/factories'

/**
 * Security issue 15, medium: grantRole did not check the target user, so A's secretary could grant a role to B's
 * secretary or to the admin and then read all of their grants. A user is inside a secretary's scope only when
 * their linked member is at home in the secretary's subtree, or every grant they hold lies there, or (no grant,
 * no member yet) the secretary created them. Everyone else answers 404 on every user operation, word for word
 * the answer for an id that does not exist.
 */
let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const problem = (res: { statusCode: number; json: () => { code: string; detail: string } }) => ({
  status: res.statusCode,
  code: res.json().code,
  detail: res.json().detail,
})
const grantsOf = async (userId: string) =>
  Number(
    (await one<{ n: string }>(t.db, sql`select count(*) as n from role_grants where user_id = ${userId}`))?.n,
  )

describe('users outside a secretary’s scope are nobody’s business of theirs', () => {
  const outsiders = () => ({
    'the other community’s secretary': w.secretaryB,
    'the admin': w.admin,
    'a member at home in branch B': w.memberB.userId,
  })

  it('grantRole, getUser and revokeRole answer 404 as for a random id, and change nothing', async () => {
    for (const [who, userId] of Object.entries(outsiders())) {
      const before = await grantsOf(userId)
      const granted = await t.call({
        method: 'POST',
        url: `/api/v1/users/${userId}/roles`,
        as: w.secretaryA,
        payload: { role: 'panelist', orgUnitId: w.branchA },
      })
      const random = await t.call({
        method: 'POST',
        url: `/api/v1/users/${crypto.randomUUID()}/roles`,
        as: w.secretaryA,
        payload: { role: 'panelist', orgUnitId: w.branchA },
      })
      expect(problem(granted), who).toEqual(problem(random))
      expect(granted.statusCode, who).toBe(404)
      expect(await grantsOf(userId), who).toBe(before)

      const read = await t.call({ method: 'GET', url: `/api/v1/users/${userId}`, as: w.secretaryA })
      const readRandom = await t.call({
        method: 'GET',
        url: `/api/v1/users/${crypto.randomUUID()}`,
        as: w.secretaryA,
      })
      expect(problem(read), who).toEqual(problem(readRandom))

      const grant = await one<{ id: string }>(
        t.db,
        sql`select id from role_grants where user_id = ${userId} limit 1`,
      )
      const revoked = await t.call({
        method: 'DELETE',
        url: `/api/v1/users/${userId}/roles/${grant!.id}`,
        as: w.secretaryA,
      })
      const revokedRandom = await t.call({
        method: 'DELETE',
        url: `/api/v1/users/${crypto.randomUUID()}/roles/${crypto.randomUUID()}`,
        as: w.secretaryA,
      })
      expect(problem(revoked), who).toEqual(problem(revokedRandom))
      expect(await grantsOf(userId), who).toBe(before)
    }
  })

  it('a user with one grant inside and one outside is outside (404), and missing from listUsers', async () => {
    const straddler = await createUser(t.db, {
      grants: [
        ['panelist', w.branchA],
        ['secretary', w.branchB],
      ],
    })
    const read = await t.call({ method: 'GET', url: `/api/v1/users/${straddler}`, as: w.secretaryA })
    expect(read.statusCode).toBe(404)
    const list = await t.call({ method: 'GET', url: '/api/v1/users?limit=200', as: w.secretaryA })
    const ids = list.json().items.map((u: { id: string }) => u.id)
    expect(ids).not.toContain(straddler)
    expect(ids).not.toContain(w.secretaryB)
    expect(ids).not.toContain(w.admin)
    expect(ids).toContain(w.panelistA)
    // The admin sees everyone.
    expect((await t.call({ method: 'GET', url: `/api/v1/users/${straddler}`, as: w.admin })).statusCode).toBe(
      200,
    )
  })

  it('inside: a member at home in the subtree, a user whose grants all lie there, a login one created', async () => {
    const member = await createMemberUser(t.db, w.branchA)
    const staff = await createUser(t.db, { grants: [['clerk', w.gridA]] })
    for (const userId of [member.userId, staff]) {
      const read = await t.call({ method: 'GET', url: `/api/v1/users/${userId}`, as: w.secretaryA })
      expect(read.statusCode).toBe(200)
    }
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: w.secretaryA,
      payload: { username: 'fresh-staff-login', password: 'a-long-password-1' },
    })
    expect(created.statusCode).toBe(201)
    const fresh = created.json().id
    // Holding nothing yet, the fresh login is its creator's: not the other community's to see or claim.
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/users/${fresh}`, as: w.secretaryA })).statusCode,
    ).toBe(200)
    const claimed = await t.call({
      method: 'POST',
      url: `/api/v1/users/${fresh}/roles`,
      as: w.secretaryB,
      payload: { role: 'clerk', orgUnitId: w.branchB },
    })
    expect(claimed.statusCode).toBe(404)
    const granted = await t.call({
      method: 'POST',
      url: `/api/v1/users/${fresh}/roles`,
      as: w.secretaryA,
      payload: { role: 'clerk', orgUnitId: w.branchA },
    })
    expect(granted.statusCode).toBe(201)
  })
})
