import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  createResidentUser,
  createUser,
  createWorld,
  TEST_PASSWORD,
  uniq,
  type World,
} from '../helpers/factories'

// A resident's login as the rest of the API sees it (issue 18, step 1): the caller knows the resident, /me
// shows them, and the generic grant operations never hand out the resident role.

let t: TestApp
let w: World
let resident: { residentId: string; userId: string }
const username = uniq('resident')

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  resident = await createResidentUser(t.db, w.communityA, { name: '王秀兰', username })
})

describe('a resident login', () => {
  it('logs in and reads its resident record on /me, with no member', async () => {
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username, password: TEST_PASSWORD },
    })
    expect(login.statusCode, login.body).toBe(200)
    const me = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${login.json().accessToken}` },
    })
    expect(me.statusCode).toBe(200)
    expect(me.json()).toMatchObject({
      user: { id: resident.userId, username },
      member: null,
      resident: { id: resident.residentId, name: '王秀兰', orgUnitId: w.communityA },
      roles: [{ role: 'resident', orgUnitId: w.communityA }],
    })
  })

  it('a member login shows resident null', async () => {
    const me = await t.call({ method: 'GET', url: '/api/v1/me', as: w.memberA.userId })
    expect(me.json().resident).toBeNull()
    expect(me.json().member.id).toBe(w.memberA.memberId)
  })
})

describe('the resident role is not granted by hand', () => {
  for (const who of ['admin', 'secretaryA'] as const) {
    it(`grantRole refuses role resident (${who}) and grants nothing`, async () => {
      const userId = await createUser(t.db, { grants: [['grid_worker', w.gridA]] })
      const res = await t.call({
        method: 'POST',
        url: `/api/v1/users/${userId}/roles`,
        as: w[who],
        payload: { role: 'resident', orgUnitId: w.branchA },
      })
      expect(res.statusCode, res.body).toBe(400)
      expect(res.json().code).toBe('validation_failed')
      const n = await one<{ n: string }>(
        t.db,
        sql`select count(*) as n from role_grants where user_id = ${userId} and role = 'resident'`,
      )
      expect(Number(n!.n)).toBe(0)
    })
  }

  it("even onto a resident's own login", async () => {
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/users/${resident.userId}/roles`,
      as: w.admin,
      payload: { role: 'resident', orgUnitId: w.communityB },
    })
    expect(res.statusCode, res.body).toBe(400)
  })
})
