import { sql } from 'drizzle-orm'
import { beforeAll, expect } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  ACTORS,
  type Actor,
  type AuthzContext,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  runAuthzMatrix,
} from '../helpers/authz'
import { createMember, createUser, TEST_PASSWORD, uniq } from '../helpers/factories'

let t: TestApp
let w: AuthzWorld
let loginName: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
  loginName = uniq('matrix')
  await createUser(t.db, { username: loginName })
})

const everyone = (status: number): Record<Actor, number> =>
  Object.fromEntries(ACTORS.map((a) => [a, status])) as Record<Actor, number>
const signedIn = (status: number) => ({ ...everyone(status), anonymous: 401 })
const secretaries = (ok: number) =>
  expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES })
/** Staff who work with members (secretary, grid worker) in and out of the target's subtree. */
const memberStaff = (ok: number) =>
  expectStatuses({
    ok,
    allowed: [...INSIDE_SECRETARIES, 'gridWorker'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling'],
  })

const freshMember = ({ t, w }: AuthzContext) => createMember(t.db, w.branchA, { name: uniq('成员') })

/** A member of branch B asks to serve community A: its secretaries decide; B's (the home side) may not (403). */
function communityDecides(action: 'accept' | 'decline'): Omit<AuthzRow, 'operation'> {
  return {
    request: async (ctx) => ({
      method: 'POST',
      url: `/api/v1/registrations/${await pendingRegistration(ctx, ctx.w.branchB, ctx.w.communityA)}/${action}`,
      payload: {},
    }),
    expect: expectStatuses({
      ok: 200,
      allowed: ['admin', 'secretaryParent'],
      outside: ['secretary', 'secretaryChild', 'member', 'memberSibling', 'secretaryRegistered'],
      cells: { secretarySibling: 403 },
    }),
  }
}

/**
 * A pending 双报到 registration with `communityId`: of `who` (a member id), or of a fresh member at home in `who`
 * (a unit id). Written in SQL, as registerMember would leave it.
 */
async function pendingRegistration({ t }: AuthzContext, who: string, communityId: string): Promise<string> {
  const isMember = await one<{ id: string }>(t.db, sql`select id from members where id = ${who}`)
  const memberId = isMember ? who : await createMember(t.db, who, { name: uniq('双报到') })
  await t.db.execute(
    sql`update member_registrations set status = 'ended', ended_at = now()
        where member_id = ${memberId} and org_unit_id = ${communityId} and status = 'pending'`,
  )
  const row = await one<{ id: string }>(
    t.db,
    sql`insert into member_registrations (member_id, org_unit_id, status)
        values (${memberId}, ${communityId}, 'pending') returning id`,
  )
  return row!.id
}

const rows: AuthzRow[] = [
  {
    operation: 'login',
    request: () => ({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { username: loginName, password: TEST_PASSWORD },
    }),
    expect: everyone(200),
  },
  {
    operation: 'refreshToken',
    request: async ({ t }) => {
      const pair = (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { username: loginName, password: TEST_PASSWORD },
        })
      ).json()
      return { method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: pair.refreshToken } }
    },
    expect: everyone(200),
  },
  {
    operation: 'logout',
    request: () => ({ method: 'POST', url: '/api/v1/auth/logout', payload: { refreshToken: uniq('rt') } }),
    expect: signedIn(204),
  },
  {
    operation: 'getMe',
    request: () => ({ method: 'GET', url: '/api/v1/me' }),
    expect: { ...signedIn(200), resident: 200 },
    check: (res, { w }, actor) => {
      // A resident's login answers their resident record and no member; everyone else's resident is null.
      if (actor === 'resident') {
        expect(res.json().member).toBeNull()
        expect(res.json().resident).toEqual({
          id: w.residentA.residentId,
          name: '王阿姨',
          orgUnitId: w.communityA,
        })
      } else if (res.statusCode === 200) expect(res.json().resident).toBeNull()
    },
  },
  {
    operation: 'createOrgUnit',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/org-units',
      payload: { parentId: w.branchA, kind: 'grid', name: uniq('网格') },
    }),
    expect: secretaries(201),
  },
  {
    operation: 'getOrgUnit',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/org-units/${w.branchA}` }),
    expect: signedIn(200),
  },
  {
    operation: 'listOrgUnits',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/org-units?parentId=${w.branchA}` }),
    expect: signedIn(200),
  },
  {
    operation: 'updateOrgUnit',
    request: ({ w }) => ({
      method: 'PATCH',
      url: `/api/v1/org-units/${w.branchA}`,
      payload: { code: uniq('c') },
    }),
    expect: secretaries(200),
  },
  {
    operation: 'createUser',
    request: async (ctx) => ({
      method: 'POST',
      url: '/api/v1/users',
      payload: { username: uniq('u'), password: 'a-long-enough-password', memberId: await freshMember(ctx) },
    }),
    expect: { ...secretaries(201), resident: 403 },
    check: (res, _ctx, actor) => {
      if (res.statusCode === 201) expect(res.json().roles[0].role, actor).toBe('member')
    },
  },
  {
    operation: 'grantRole',
    request: async ({ t, w }) => ({
      method: 'POST',
      // A user whose every grant lies in branch A's subtree: inside every secretary above it, nobody else's.
      url: `/api/v1/users/${await createUser(t.db, { grants: [['grid_worker', w.gridA]] })}/roles`,
      payload: { role: 'panelist', orgUnitId: w.branchA },
    }),
    expect: { ...secretaries(201), resident: 403 },
  },
  {
    operation: 'listUsers',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/users?orgUnitId=${w.branchA}` }),
    expect: secretaries(200),
  },
  {
    operation: 'getUser',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/users/${w.panelistA}` }),
    expect: secretaries(200),
  },
  {
    operation: 'revokeRole',
    request: async ({ t, w }) => {
      const userId = await createUser(t.db, { grants: [['grid_worker', w.branchA]] })
      const grant = await one<{ id: string }>(t.db, sql`select id from role_grants where user_id = ${userId}`)
      return { method: 'DELETE', url: `/api/v1/users/${userId}/roles/${grant!.id}` }
    },
    expect: secretaries(204),
  },
  {
    operation: 'createMember',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/members',
      payload: { orgUnitId: w.branchA, name: '赵六', isPartyMember: true },
    }),
    expect: secretaries(201),
  },
  {
    operation: 'getMember',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}` }),
    // member A reads their own record; member B asking about member A learns nothing (404). Community C, which
    // accepted member A's 双报到 registration, sees them (member B's pending one there shows nothing).
    expect: {
      ...memberStaff(200),
      member: 200,
      memberSibling: 404,
      secretaryRegistered: 200,
      gridWorkerRegistered: 200,
      resident: 403,
    },
  },
  {
    operation: 'listMembers',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members?orgUnitId=${w.branchA}` }),
    expect: { ...memberStaff(200), member: 200, memberSibling: 200, resident: 403 },
    check: (res, { w }, actor) => {
      // A member's list holds exactly their own record, whatever filter they send.
      if (actor === 'member')
        expect(res.json().items.map((m: { id: string }) => m.id)).toEqual([w.memberA.memberId])
      if (actor === 'memberSibling') expect(res.json().items).toEqual([])
    },
  },
  {
    // The file twin of listMembers: the same callers, and a member's roster holds only their own record.
    operation: 'exportMembersCsv',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members.csv?orgUnitId=${w.branchA}` }),
    expect: { ...memberStaff(200), member: 200, memberSibling: 200 },
    check: (res, { w }, actor) => {
      if (res.statusCode !== 200) return
      expect(res.headers['content-type']).toMatch(/^text\/csv/)
      const [header, ...lines] = res.body
        .replace(/^\uFEFF/, '')
        .trim()
        .split('\r\n')
      const idColumn = header!.split(',').indexOf('id')
      const ids = lines.map((line) => line.split(',')[idColumn])
      if (actor === 'member') expect(ids).toEqual([w.memberA.memberId])
      if (actor === 'memberSibling') expect(ids).toEqual([])
      if (actor === 'secretary') expect(ids).toContain(w.memberA.memberId)
    },
  },
  {
    operation: 'updateMember',
    request: async (ctx) => ({
      method: 'PATCH',
      url: `/api/v1/members/${await freshMember(ctx)}`,
      payload: { phone: '13800000000' },
    }),
    expect: expectStatuses({
      ok: 200,
      allowed: INSIDE_SECRETARIES,
      outside: [...OUTSIDE_SECRETARIES, 'member', 'memberSibling'],
    }),
  },
  {
    operation: 'importMembers',
    request: ({ w }) => ({
      method: 'POST',
      url: `/api/v1/members/import?orgUnitId=${w.branchA}`,
      headers: { 'content-type': 'text/csv' },
      payload: 'name,isPartyMember\n钱七,true\n',
    }),
    expect: secretaries(201),
  },
  {
    operation: 'registerMember',
    request: async (ctx) => ({
      method: 'POST',
      url: `/api/v1/members/${await freshMember(ctx)}/registrations`,
      payload: { orgUnitId: ctx.w.communityB },
    }),
    expect: expectStatuses({
      ok: 201,
      allowed: INSIDE_SECRETARIES,
      outside: [...OUTSIDE_SECRETARIES, 'member', 'memberSibling'],
    }),
  },
  {
    operation: 'listRegistrations',
    request: () => ({ method: 'GET', url: '/api/v1/registrations?limit=200' }),
    // Everyone with a part in registrations lists theirs (possibly none); roles with none: 403.
    expect: {
      ...signedIn(200),
      panelist: 403,
      clerk: 403,
      clerkSibling: 403,
      clerkRegistered: 403,
      secretaryRegistered: 200,
      gridWorkerRegistered: 200,
    },
    check: (res, { w }, actor) => {
      if (res.statusCode !== 200) return
      const items: { memberId: string; orgUnitId: string; status: string }[] = res.json().items
      const sees = items.some((r) => r.memberId === w.memberA.memberId && r.status === 'accepted')
      // Member A's accepted registration with community C: the member, their home side, community C.
      const parties: Actor[] = [
        'admin',
        'secretary',
        'secretaryParent',
        'gridWorker',
        'member',
        'secretaryRegistered',
        'gridWorkerRegistered',
      ]
      expect(sees, actor).toBe(parties.includes(actor))
    },
  },
  { operation: 'acceptRegistration', ...communityDecides('accept') },
  { operation: 'declineRegistration', ...communityDecides('decline') },
  {
    operation: 'endRegistration',
    // Member A's own request to serve community B: the member or the home side ends it.
    request: async (ctx) => ({
      method: 'POST',
      url: `/api/v1/registrations/${await pendingRegistration(ctx, ctx.w.memberA.memberId, ctx.w.communityB)}/end`,
      payload: { reason: '不再服务' },
    }),
    expect: expectStatuses({
      ok: 200,
      allowed: [...INSIDE_SECRETARIES, 'member'],
      outside: ['secretaryChild', 'secretarySibling', 'memberSibling', 'secretaryRegistered'],
    }),
  },
  {
    operation: 'createTeam',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/teams',
      payload: { orgUnitId: w.branchA, name: uniq('服务队') },
    }),
    expect: memberStaff(201),
  },
  {
    operation: 'listTeams',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/teams?orgUnitId=${w.branchA}` }),
    expect: memberStaff(200),
  },
  {
    operation: 'addTeamMember',
    request: async (ctx) => {
      const team = await one<{ id: string }>(
        ctx.t.db,
        sql`insert into teams (org_unit_id, name) values (${ctx.w.branchA}, ${uniq('队')}) returning id`,
      )
      return {
        method: 'POST',
        url: `/api/v1/teams/${team!.id}/members`,
        payload: { memberId: await freshMember(ctx) },
      }
    },
    expect: memberStaff(201),
  },
  {
    operation: 'listAuditEvents',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/audit-events?orgUnitId=${w.branchA}` }),
    expect: secretaries(200),
  },
]

runAuthzMatrix('authorisation matrix: identity, org, members, teams, audit', () => ({ t, w }), rows)
