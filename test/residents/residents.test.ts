import { createHash } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser, createWorld, uniq, type World } from '../helpers/factories'
import { createInvitation } from './helpers'

let t: TestApp
let other: TestApp
let w: World
/** A grid worker over community A itself (the world's grid worker is on branch A, below the community). */
let gridWorker: string

beforeAll(async () => {
  t = await buildTestApp()
  other = await buildTestApp()
  w = await createWorld(t.db)
  gridWorker = await createUser(t.db, { grants: [['grid_worker', w.communityA]] })
})

afterAll(async () => {
  await other.app.close()
})

const PASSWORD = 'a-long-enough-password'

const register = (
  app: TestApp,
  code: string,
  fields: { username?: string; name?: string; remoteAddress?: string } = {},
) =>
  app.call({
    method: 'POST',
    ...(fields.remoteAddress ? { remoteAddress: fields.remoteAddress } : {}),
    url: '/api/v1/residents/register',
    payload: {
      invitationCode: code,
      name: fields.name ?? '周国华',
      phone: '13700000002',
      username: fields.username ?? uniq('resident'),
      password: PASSWORD,
    },
  })

const login = async (username: string) => {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { username, password: PASSWORD },
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().accessToken as string
}
const withToken = (token: string, url: string) =>
  t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })

const auditActions = async (targetId: string) =>
  (
    await rows<{ action: string }>(
      t.db,
      sql`select action from audit_events where target_id = ${targetId} order by id`,
    )
  ).map((r) => r.action)

describe('createResident', () => {
  it('a grid worker over the community adds a resident with a login, who signs in as a resident', async () => {
    const username = uniq('wang')
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/residents',
      as: gridWorker,
      payload: {
        orgUnitId: w.communityA,
        name: '王秀兰',
        phone: '13700001234',
        username,
        password: PASSWORD,
      },
    })
    expect(res.statusCode, res.body).toBe(201)
    const resident = res.json()
    expect(resident).toMatchObject({
      orgUnitId: w.communityA,
      name: '王秀兰',
      phone: '13700001234',
      username,
      invitationId: null,
    })
    const me = await withToken(await login(username), '/api/v1/me')
    expect(me.json()).toMatchObject({
      member: null,
      resident: { id: resident.id, name: '王秀兰', orgUnitId: w.communityA },
      roles: [{ role: 'resident', orgUnitId: w.communityA }],
    })
    expect(await auditActions(resident.id)).toEqual(['resident.create'])
    const user = await one<{ id: string }>(t.db, sql`select id from users where username = ${username}`)
    expect(await auditActions(user!.id)).toEqual(['user.create'])
  })

  it('without a login the resident has none', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/residents',
      as: w.clerkA,
      payload: { orgUnitId: w.communityA, name: '孙桂芳' },
    })
    expect(res.statusCode, res.body).toBe(201)
    expect(res.json()).toMatchObject({ username: null, phone: null })
    const n = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from users where resident_id = ${res.json().id}`,
    )
    expect(Number(n!.n)).toBe(0)
  })

  it('refuses a unit that is no community, half a login, and a taken username (creating nothing)', async () => {
    const post = (payload: object) =>
      t.call({ method: 'POST', url: '/api/v1/residents', as: w.admin, payload })
    const branch = await post({ orgUnitId: w.branchA, name: '甲' })
    expect(branch.statusCode).toBe(400)
    expect(branch.json().errors[0].field).toBe('orgUnitId')
    const half = await post({ orgUnitId: w.communityA, name: '乙', username: uniq('u') })
    expect(half.statusCode).toBe(400)
    expect(half.json().errors[0].field).toBe('password')

    const taken = uniq('taken')
    await createUser(t.db, { username: taken })
    const before = await one<{ n: string }>(t.db, sql`select count(*) as n from residents where name = '丙'`)
    const conflict = await post({ orgUnitId: w.communityA, name: '丙', username: taken, password: PASSWORD })
    expect(conflict.statusCode, conflict.body).toBe(409)
    expect(conflict.json().code).toBe('conflict')
    const after = await one<{ n: string }>(t.db, sql`select count(*) as n from residents where name = '丙'`)
    expect(after!.n).toBe(before!.n)
  })
})

describe('listResidents and getResident', () => {
  it('finds residents by part of the name or the phone; staff of another community see none of them', async () => {
    const name = uniq('赵')
    const created = await t.call({
      method: 'POST',
      url: '/api/v1/residents',
      as: gridWorker,
      payload: { orgUnitId: w.communityA, name, phone: '13911112222' },
    })
    const id = created.json().id
    const byName = await t.call({
      method: 'GET',
      url: `/api/v1/residents?q=${name.slice(2)}`,
      as: gridWorker,
    })
    expect(byName.json().items.map((r: { id: string }) => r.id)).toEqual([id])
    const byPhone = await t.call({ method: 'GET', url: '/api/v1/residents?q=11112222', as: gridWorker })
    expect(byPhone.json().items.map((r: { id: string }) => r.id)).toContain(id)
    const elsewhere = await t.call({ method: 'GET', url: '/api/v1/residents?q=11112222', as: w.clerkB })
    expect(elsewhere.statusCode).toBe(200)
    expect(elsewhere.json().items).toEqual([])
    expect((await t.call({ method: 'GET', url: `/api/v1/residents/${id}`, as: w.clerkB })).statusCode).toBe(
      404,
    )
  })

  it('a resident reads themself, and another resident is 404', async () => {
    const { code } = await createInvitation(t.db, w.communityA, { createdBy: w.admin })
    const a = (await register(t, code)).json()
    const b = (await register(t, code)).json()
    const asA = (url: string) =>
      t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${a.tokens.accessToken}` } })
    expect((await asA(`/api/v1/residents/${a.resident.id}`)).statusCode).toBe(200)
    const theirs = await asA(`/api/v1/residents/${b.resident.id}`)
    expect(theirs.statusCode).toBe(404)
    expect(theirs.json().detail).toBe('resident not found')
  })
})

describe('invitations', () => {
  it('answers the code once and stores only its SHA-256', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/resident-invitations',
      as: gridWorker,
      payload: { orgUnitId: w.communityA },
    })
    expect(res.statusCode, res.body).toBe(201)
    const created = res.json()
    expect(created.code).toMatch(/^[A-HJ-NP-Z2-9]{8}$/)
    expect(created).toMatchObject({ maxUses: 100, uses: 0, status: 'active', revokedAt: null })
    const days = (Date.parse(created.expiresAt) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    expect(days).toBeLessThanOrEqual(30)

    const stored = await one<Record<string, unknown>>(
      t.db,
      sql`select * from resident_invitations where id = ${created.id}`,
    )
    expect(stored!.code_hash).toBe(createHash('sha256').update(created.code).digest('hex'))
    expect(JSON.stringify(stored)).not.toContain(created.code)

    const listed = await t.call({
      method: 'GET',
      url: `/api/v1/resident-invitations?orgUnitId=${w.communityA}`,
      as: gridWorker,
    })
    const item = listed.json().items.find((i: { id: string }) => i.id === created.id)
    expect(item).toBeDefined()
    expect(item.code).toBeUndefined()
    expect(JSON.stringify(listed.json())).not.toContain(created.code)
    expect(await auditActions(created.id)).toEqual(['resident_invitation.create'])
  })

  it('refuses an expiry in the past or more than a year ahead', async () => {
    const post = (expiresAt: string) =>
      t.call({
        method: 'POST',
        url: '/api/v1/resident-invitations',
        as: gridWorker,
        payload: { orgUnitId: w.communityA, expiresAt },
      })
    expect((await post(new Date(Date.now() - 60_000).toISOString())).statusCode).toBe(400)
    expect((await post(new Date(Date.now() + 400 * 86_400_000).toISOString())).statusCode).toBe(400)
  })

  it('revoking stops the code; revoking again is 409 invalid_state', async () => {
    const { id, code } = await createInvitation(t.db, w.communityA, { createdBy: w.admin })
    const revoke = () =>
      t.call({ method: 'POST', url: `/api/v1/resident-invitations/${id}/revoke`, as: gridWorker })
    const first = await revoke()
    expect(first.statusCode, first.body).toBe(200)
    expect(first.json()).toMatchObject({ status: 'revoked' })
    expect((await register(t, code)).statusCode).toBe(400)
    const again = await revoke()
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('invalid_state')
    expect(await auditActions(id)).toEqual(['resident_invitation.revoke'])
  })
})

describe('registerResident', () => {
  it('registers the resident in the invitation’s community and signs them in', async () => {
    const { id, code } = await createInvitation(t.db, w.communityA, { createdBy: w.admin })
    const username = uniq('zhou')
    // As typed from a notice board: lower case, with a hyphen and a space.
    const typed = `${code.slice(0, 4).toLowerCase()}- ${code.slice(4)}`
    const res = await register(t, typed, { username, name: '周国华' })
    expect(res.statusCode, res.body).toBe(201)
    const body = res.json()
    expect(body.resident).toMatchObject({
      orgUnitId: w.communityA,
      name: '周国华',
      username,
      invitationId: id,
    })
    expect(body.tokens.tokenType).toBe('Bearer')
    const me = await withToken(body.tokens.accessToken, '/api/v1/me')
    expect(me.json().resident.id).toBe(body.resident.id)
    // The password works for later logins; the invitation counts the use.
    await login(username)
    const inv = await one<{ uses: number }>(t.db, sql`select uses from resident_invitations where id = ${id}`)
    expect(inv!.uses).toBe(1)
    expect(await auditActions(body.resident.id)).toEqual(['resident.register'])
    const actor = await one<{ actor: string }>(
      t.db,
      sql`select actor_user_id as actor from audit_events where target_id = ${body.resident.id}`,
    )
    expect(actor!.actor).toBe(me.json().user.id)
  })

  it('answers a wrong, expired, revoked or used-up code exactly alike', async () => {
    const expired = await createInvitation(t.db, w.communityA, {
      createdBy: w.admin,
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    })
    const revoked = await createInvitation(t.db, w.communityA, { createdBy: w.admin, revoked: true })
    const usedUp = await createInvitation(t.db, w.communityA, { createdBy: w.admin, maxUses: 1 })
    expect((await register(t, usedUp.code)).statusCode).toBe(201)
    const answers = []
    for (const code of ['ABCD2345', 'not a code', expired.code, revoked.code, usedUp.code]) {
      const res = await register(t, code)
      answers.push({
        status: res.statusCode,
        body: { ...res.json(), instance: undefined, requestId: undefined },
      })
    }
    expect(answers[0]!.status).toBe(400)
    expect(answers[0]!.body.code).toBe('validation_failed')
    expect(answers[0]!.body.errors).toEqual([{ field: 'invitationCode', message: expect.any(String) }])
    for (const a of answers.slice(1)) expect(a).toEqual(answers[0])
  })

  it('a taken username is 409 and does not spend the use', async () => {
    const { id, code } = await createInvitation(t.db, w.communityA, { createdBy: w.admin, maxUses: 1 })
    const taken = uniq('taken')
    await createUser(t.db, { username: taken })
    const res = await register(t, code, { username: taken })
    expect(res.statusCode, res.body).toBe(409)
    const inv = await one<{ uses: number }>(t.db, sql`select uses from resident_invitations where id = ${id}`)
    expect(inv!.uses).toBe(0)
    expect((await register(t, code)).statusCode).toBe(201)
  })

  it('of 10 racing registrations on a code for 3, exactly 3 succeed (two processes)', async () => {
    const { id, code } = await createInvitation(t.db, w.communityA, { createdBy: w.admin, maxUses: 3 })
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => register(i % 2 ? other : t, code).then((r) => r.statusCode)),
    )
    expect(outcomes.filter((s) => s === 201)).toHaveLength(3)
    expect(outcomes.filter((s) => s === 400)).toHaveLength(7)
    const inv = await one<{ uses: number }>(t.db, sql`select uses from resident_invitations where id = ${id}`)
    expect(inv!.uses).toBe(3)
    const n = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from residents where invitation_id = ${id}`,
    )
    expect(Number(n!.n)).toBe(3)
  })

  it('is limited per address', async () => {
    const limited = await buildTestApp({ loginRateLimit: 2 })
    try {
      const { code } = await createInvitation(limited.db, w.communityA, { createdBy: w.admin })
      // An address of this test's own: the budgets live in the shared counters, which other tests count into.
      const remoteAddress = `10.${[1, 2, 3].map(() => Math.floor(Math.random() * 250) + 1).join('.')}`
      const statuses = []
      for (let i = 0; i < 3; i++) {
        statuses.push((await register(limited, i === 2 ? code : 'ABCD2345', { remoteAddress })).statusCode)
      }
      expect(statuses).toEqual([400, 400, 429])
    } finally {
      await limited.app.close()
    }
  })
})

describe('a resident is no member', () => {
  it('their token reads no members, balances, ledgers or redemptions, and they are in no ranking', async () => {
    const { code } = await createInvitation(t.db, w.communityA, { createdBy: w.admin })
    const reg = (await register(t, code, { name: uniq('群众') })).json()
    const token = reg.tokens.accessToken
    for (const url of [
      '/api/v1/members',
      `/api/v1/members/${w.memberA.memberId}`,
      `/api/v1/members/${w.memberA.memberId}/balance`,
      `/api/v1/members/${w.memberA.memberId}/ledger`,
      '/api/v1/redemptions',
      '/api/v1/residents',
      '/api/v1/users',
    ]) {
      const res = await withToken(token, url)
      expect([403, 404], `${url}: ${res.body}`).toContain(res.statusCode)
    }
    const ranking = await t.call({
      method: 'GET',
      url: `/api/v1/reports/ranking?orgUnitId=${w.communityA}&year=${new Date().getFullYear()}`,
      as: w.admin,
    })
    expect(ranking.statusCode, ranking.body).toBe(200)
    expect(JSON.stringify(ranking.json())).not.toContain(reg.resident.name)
    const accounts = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from members where name = ${reg.resident.name}`,
    )
    expect(Number(accounts!.n)).toBe(0)
  })
})
