import { afterAll, beforeAll, expect } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
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
import { uniq } from '../helpers/factories'

/** 报名 (issue 18): who may sign up, cancel and read sign-ups. The activity is always branch A's. */

let t: TestApp
let w: AuthzWorld
/** The activity of branch A made for the current listOpenActivities cell. */
let listed = ''

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

afterAll(async () => {
  await t.app.close()
})

/** Staff over branch A may; the same roles elsewhere 404; member A acts for themself; member B is told nothing. */
const staffOrSelf = (ok: number) =>
  expectStatuses({
    ok,
    allowed: [...INSIDE_SECRETARIES, 'gridWorker', 'member'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling', 'memberSibling'],
    // A resident has no member record and no staff role.
    cells: { resident: 403 },
  })

/** A sign-up-open activity of branch A starting in two days. */
async function openActivity({ t, w }: AuthzContext): Promise<string> {
  const startsAt = Date.now() + 48 * 3_600_000
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as: w.admin,
    payload: {
      orgUnitId: w.branchA,
      title: uniq('报名活动'),
      startsAt: new Date(startsAt).toISOString(),
      endsAt: new Date(startsAt + 2 * 3_600_000).toISOString(),
      capacity: 10,
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

/** Member A (and the self-acting actors) sign up themselves; everyone else names member A. */
const selfActors: readonly Actor[] = ['member', 'memberSibling']

const rows: AuthzRow[] = [
  {
    operation: 'signUpForActivity',
    request: async (ctx, actor) => ({
      method: 'POST',
      url: `/api/v1/activities/${await openActivity(ctx)}/sign-ups`,
      ...(selfActors.includes(actor) ? {} : { payload: { memberId: ctx.w.memberA.memberId } }),
    }),
    expect: staffOrSelf(201),
    check: (res, _ctx, actor) => {
      if (res.statusCode === 201) expect(res.json().status, actor).toBe('confirmed')
      // Member B may not serve at branch A: to them the activity does not exist.
      if (actor === 'memberSibling') expect(res.json().detail).toBe('activity not found')
    },
  },
  {
    operation: 'cancelSignUp',
    request: async (ctx) => {
      const id = await openActivity(ctx)
      const res = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/activities/${id}/sign-ups`,
        as: ctx.w.admin,
        payload: { memberId: ctx.w.memberA.memberId },
      })
      expect(res.statusCode, res.body).toBe(201)
      return {
        method: 'POST',
        url: `/api/v1/activities/${id}/sign-ups/${ctx.w.memberA.memberId}/cancel`,
        payload: { reason: '临时有事' },
      }
    },
    expect: staffOrSelf(200),
    check: (res) => {
      if (res.statusCode === 200) expect(res.json().status).toBe('cancelled')
    },
  },
  {
    operation: 'listActivitySignUps',
    request: async (ctx) => ({
      method: 'GET',
      url: `/api/v1/activities/${await openActivity(ctx)}/sign-ups`,
    }),
    expect: expectStatuses({
      ok: 200,
      allowed: [...INSIDE_SECRETARIES, 'gridWorker'],
      outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling'],
      cells: { resident: 403 },
    }),
  },
  {
    operation: 'listMySignUps',
    request: () => ({ method: 'GET', url: '/api/v1/me/sign-ups' }),
    // Only a login with a member record has sign-ups of its own.
    expect: expectStatuses({ ok: 200, allowed: ['member', 'memberSibling'], cells: { resident: 403 } }),
  },
  {
    operation: 'listOpenActivities',
    request: async (ctx) => {
      listed = await openActivity(ctx)
      return { method: 'GET', url: '/api/v1/me/activities?limit=200' }
    },
    // Members only, each seeing what they may sign up for: branch A's activity for member A, not for member B.
    expect: expectStatuses({ ok: 200, allowed: ['member', 'memberSibling'], cells: { resident: 403 } }),
    check: (res, _ctx, actor) => {
      if (res.statusCode !== 200) return
      const ids = res.json().items.map((a: { id: string }) => a.id)
      if (actor === 'member') expect(ids).toContain(listed)
      else expect(ids).not.toContain(listed)
    },
  },
]

runAuthzMatrix('sign-ups (报名) authorisation', () => ({ t, w }), rows)
