import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createMemberUser, createUser, createWorld, type World } from '../helpers/factories'
import { refusal } from '../helpers/refusal'

/**
 * 双报到 by consent (security issue 15, the high finding): a community secretary could register any member id
 * with their community and so take the member over (profile, balance, login, redemptions). Now the member or
 * their home side asks, the community accepts or declines, and only an accepted registration opens the member to
 * the community.
 */
let t: TestApp
let w: World
let secretaryCommunityB: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  secretaryCommunityB = await createUser(t.db, { grants: [['secretary', w.communityB]] })
})

const register = (memberId: string, as: string, orgUnitId = w.communityB) =>
  t.call({ method: 'POST', url: `/api/v1/members/${memberId}/registrations`, as, payload: { orgUnitId } })
const act = (id: string, what: 'accept' | 'decline' | 'end', as: string, payload?: object) =>
  t.call({ method: 'POST', url: `/api/v1/registrations/${id}/${what}`, as, payload: payload ?? {} })
const getMember = (id: string, as: string) => t.call({ method: 'GET', url: `/api/v1/members/${id}`, as })
const problem = (res: { statusCode: number; json: () => { code: string; detail: string } }) => ({
  status: res.statusCode,
  code: res.json().code,
  detail: res.json().detail,
})

describe('双报到: asking, accepting, declining, ending', () => {
  it('the member asks; the community sees only name and home unit until it accepts, then sees the member', async () => {
    const m = await createMemberUser(t.db, w.branchA, { name: '赵磊' })
    const asked = await register(m.memberId, m.userId)
    expect(asked.statusCode, asked.body).toBe(201)
    const reg = asked.json()
    expect(reg).toMatchObject({
      memberId: m.memberId,
      orgUnitId: w.communityB,
      status: 'pending',
      memberName: '赵磊',
    })
    expect(reg.homeUnitId).toBe(w.branchA)

    // Pending: the community finds the request with name and home unit name, and nothing else of the member.
    const pending = await t.call({
      method: 'GET',
      url: `/api/v1/registrations?status=pending&orgUnitId=${w.communityB}`,
      as: secretaryCommunityB,
    })
    expect(pending.statusCode).toBe(200)
    const item = pending.json().items.find((r: { id: string }) => r.id === reg.id)
    expect(Object.keys(item).sort()).toEqual(
      [
        'createdAt',
        'decidedAt',
        'declineReason',
        'endReason',
        'endedAt',
        'homeUnitId',
        'homeUnitName',
        'id',
        'memberId',
        'memberName',
        'orgUnitId',
        'status',
      ].sort(),
    )
    expect(JSON.stringify(item)).not.toContain('phone')
    expect((await getMember(m.memberId, secretaryCommunityB)).statusCode).toBe(404)
    const balance = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/balance`,
      as: secretaryCommunityB,
    })
    expect(balance.statusCode).toBe(404)

    const accepted = await act(reg.id, 'accept', secretaryCommunityB)
    expect(accepted.statusCode, accepted.body).toBe(200)
    expect(accepted.json()).toMatchObject({ status: 'accepted' })
    expect(accepted.json().decidedAt).toEqual(expect.any(String))
    expect((await getMember(m.memberId, secretaryCommunityB)).statusCode).toBe(200)
    const list = await t.call({
      method: 'GET',
      url: `/api/v1/members?orgUnitId=${w.communityB}`,
      as: secretaryCommunityB,
    })
    expect(list.json().items.map((x: { id: string }) => x.id)).toContain(m.memberId)

    // Accepting again is a state error; a second live registration with the same community is a conflict.
    expect(problem(await act(reg.id, 'accept', secretaryCommunityB))).toMatchObject({
      status: 409,
      code: 'invalid_state',
    })
    expect(problem(await register(m.memberId, m.userId))).toMatchObject({ status: 409, code: 'conflict' })
  })

  it('ending stops the community seeing the member, keeps the history, and the member may ask again', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const reg = (await register(m.memberId, w.secretaryA)).json()
    expect(reg.status).toBe('pending')
    await act(reg.id, 'accept', secretaryCommunityB)
    expect((await getMember(m.memberId, secretaryCommunityB)).statusCode).toBe(200)

    const ended = await act(reg.id, 'end', m.userId, { reason: '搬家了' })
    expect(ended.statusCode, ended.body).toBe(200)
    expect(ended.json()).toMatchObject({ status: 'ended', endReason: '搬家了' })
    expect((await getMember(m.memberId, secretaryCommunityB)).statusCode).toBe(404)
    // The member's own record no longer lists it as live; the registrations list keeps it.
    expect((await getMember(m.memberId, m.userId)).json().registrations).toEqual([])
    const history = await t.call({ method: 'GET', url: '/api/v1/registrations', as: m.userId })
    expect(history.json().items).toEqual([expect.objectContaining({ id: reg.id, status: 'ended' })])
    expect(problem(await act(reg.id, 'end', m.userId, { reason: 'again' }))).toMatchObject({
      status: 409,
      code: 'invalid_state',
    })

    const again = await register(m.memberId, m.userId)
    expect(again.statusCode).toBe(201)
    // The community may end it too, and the home side may withdraw a pending request.
    const declined = await act(again.json().id, 'decline', secretaryCommunityB, { reason: '不在本社区居住' })
    expect(declined.json()).toMatchObject({ status: 'declined', declineReason: '不在本社区居住' })
    const third = (await register(m.memberId, m.userId)).json()
    const withdrawn = await act(third.id, 'end', w.secretaryA, { reason: '填错了社区' })
    expect(withdrawn.json()).toMatchObject({ status: 'ended', decidedAt: null })
  })

  it('only the community decides; the member and the home side may not accept (403); others see nothing (404)', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const reg = (await register(m.memberId, m.userId)).json()
    expect(problem(await act(reg.id, 'accept', m.userId))).toMatchObject({ status: 403, code: 'forbidden' })
    expect(problem(await act(reg.id, 'accept', w.secretaryA))).toMatchObject({
      status: 403,
      code: 'forbidden',
    })
    const outsider = await act(reg.id, 'accept', w.secretaryB)
    const nothing = await act(crypto.randomUUID(), 'accept', w.secretaryB)
    expect(problem(outsider)).toEqual(problem(nothing))
    expect(outsider.statusCode).toBe(404)
    expect(problem(await act(reg.id, 'end', w.memberB.userId, { reason: 'x' }))).toMatchObject({
      status: 404,
    })
  })

  it('registers only with a community other than the home one (400)', async () => {
    const id = await createMember(t.db, w.branchA)
    expect(problem(await register(id, w.secretaryA, w.branchB))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    })
    expect(problem(await register(id, w.secretaryA, w.communityA))).toMatchObject({
      status: 400,
      code: 'validation_failed',
    })
  })
})

describe('the takeover of the penetration test is closed', () => {
  it("a community secretary cannot register another community's member: 404 word for word as a random id", async () => {
    const victim = await createMemberUser(t.db, w.branchA, { name: '受害人' })
    const taken = await register(victim.memberId, secretaryCommunityB)
    const random = await register(crypto.randomUUID(), secretaryCommunityB)
    expect(problem(taken)).toEqual(problem(random))
    expect(taken.statusCode).toBe(404)
    const count = await one<{ n: string }>(
      t.db,
      sql`select count(*) as n from member_registrations where member_id = ${victim.memberId}`,
    )
    expect(Number(count?.n)).toBe(0)
    // ...so nothing of the member opens up to them: profile, balance, ledger, hours, a login.
    for (const url of ['', '/balance', '/ledger', '/service-hours']) {
      const res = await t.call({
        method: 'GET',
        url: `/api/v1/members/${victim.memberId}${url}`,
        as: secretaryCommunityB,
      })
      expect(res.statusCode, url).toBe(404)
    }
    const own = await createMember(t.db, w.branchB)
    const login = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: secretaryCommunityB,
      payload: { username: 'takeover-login', password: 'a-long-password-1', memberId: own },
    })
    expect(login.statusCode).toBe(201) // their own member: fine
    const hijack = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: secretaryCommunityB,
      payload: { username: 'takeover-login-2', password: 'a-long-password-1', memberId: victim.memberId },
    })
    expect(hijack.statusCode).toBe(404)
  })

  it('a community that accepted a registration still cannot give the member a login (home side only)', async () => {
    const m = await createMember(t.db, w.branchA)
    const reg = (await register(m, w.secretaryA)).json()
    await act(reg.id, 'accept', secretaryCommunityB)
    expect((await getMember(m, secretaryCommunityB)).statusCode).toBe(200)
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: secretaryCommunityB,
      payload: { username: `reg-login-${m.slice(0, 8)}`, password: 'a-long-password-1', memberId: m },
    })
    expect(res.statusCode).toBe(404)
    const home = await t.call({
      method: 'POST',
      url: '/api/v1/users',
      as: w.secretaryA,
      payload: { username: `home-login-${m.slice(0, 8)}`, password: 'a-long-password-1', memberId: m },
    })
    expect(home.statusCode).toBe(201)
  })
})

describe('the database holds the state machine', () => {
  it('refuses a jump from declined or ended, changing who or where, and deleting', async () => {
    const m = await createMember(t.db, w.branchA)
    const reg = (await register(m, w.secretaryA)).json()
    await act(reg.id, 'decline', secretaryCommunityB)
    const refused = (q: ReturnType<typeof sql>) => refusal(t.db.execute(q))
    expect(
      await refused(sql`update member_registrations set status = 'accepted' where id = ${reg.id}`),
    ).toMatchObject({ code: '23514', constraint: 'member_registrations_transition_chk' })
    expect(
      await refused(sql`update member_registrations set org_unit_id = ${w.communityA} where id = ${reg.id}`),
    ).toMatchObject({ code: '23514', constraint: 'member_registrations_fixed_chk' })
    expect(await refused(sql`delete from member_registrations where id = ${reg.id}`)).toMatchObject({
      code: '23514',
      constraint: 'member_registrations_kept_chk',
    })
    // An accepted registration carries its decision.
    expect(
      await refused(
        sql`insert into member_registrations (member_id, org_unit_id, status) values (${m}, ${w.communityB}, 'accepted')`,
      ),
    ).toMatchObject({ code: '23514', constraint: 'member_registrations_decided_chk' })
    const kept = await rows<{ status: string }>(
      t.db,
      sql`select status from member_registrations where id = ${reg.id}`,
    )
    expect(kept).toEqual([{ status: 'declined' }])
  })
})
