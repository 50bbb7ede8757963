import { beforeAll, expect } from 'vitest'
import { checkInCodeAt, checkInKey, timeStepAt } from '../../src/modules/activities/check-in-codes'
import { buildTestApp, TEST_JWT_SECRET, type TestApp } from '../helpers/app'
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

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

const HOUR = 3_600_000
const key = checkInKey(TEST_JWT_SECRET)

/**
 * Staff over branch A may (for member A, with a reason); member A themself with the code; member B (another
 * branch, who may not serve there) reads the activity as absent; the resident and other roles: 403.
 */
const staffOrMember = (ok: number) =>
  expectStatuses({
    ok,
    allowed: [...INSIDE_SECRETARIES, 'gridWorker', 'member'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling', 'memberSibling'],
    cells: { resident: 403 },
  })
const staff = (ok: number) =>
  expectStatuses({
    ok,
    allowed: [...INSIDE_SECRETARIES, 'gridWorker'],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling'],
    cells: { resident: 403 },
  })

/** An activity of branch A going on now (started an hour ago, ends in two). */
async function running({ t, w }: AuthzContext): Promise<string> {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/activities',
    as: w.admin,
    payload: {
      orgUnitId: w.branchA,
      title: '清理楼道小广告',
      startsAt: new Date(Date.now() - HOUR).toISOString(),
      endsAt: new Date(Date.now() + 2 * HOUR).toISOString(),
    },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

/** A member checks themself in with the code; everyone else asks as staff for member A. */
const attendance = (ctx: AuthzContext, actor: Actor, activityId: string) =>
  actor === 'member' || actor === 'memberSibling'
    ? { code: checkInCodeAt(key, activityId, timeStepAt(Date.now())) }
    : { memberId: ctx.w.memberA.memberId, reason: '老人没有智能手机' }

const rows: AuthzRow[] = [
  {
    operation: 'createCheckInCode',
    request: async (ctx) => ({
      method: 'POST',
      url: `/api/v1/activities/${await running(ctx)}/check-in-codes`,
    }),
    expect: staff(200),
  },
  {
    operation: 'checkIn',
    request: async (ctx, actor) => {
      const id = await running(ctx)
      return {
        method: 'POST',
        url: `/api/v1/activities/${id}/check-ins`,
        payload: attendance(ctx, actor, id),
      }
    },
    expect: staffOrMember(201),
  },
  {
    operation: 'checkOut',
    request: async (ctx, actor) => {
      const id = await running(ctx)
      const checkedIn = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/activities/${id}/check-ins`,
        as: ctx.w.admin,
        payload: { memberId: ctx.w.memberA.memberId, reason: '代签' },
      })
      expect(checkedIn.statusCode, checkedIn.body).toBe(201)
      return {
        method: 'POST',
        url: `/api/v1/activities/${id}/check-outs`,
        payload: attendance(ctx, actor, id),
      }
    },
    expect: staffOrMember(200),
  },
  {
    operation: 'listActivityCheckIns',
    request: async (ctx) => ({ method: 'GET', url: `/api/v1/activities/${await running(ctx)}/check-ins` }),
    expect: staff(200),
  },
]

runAuthzMatrix('check-in and check-out (签到 / 签退)', () => ({ t, w }), rows)
