import { beforeAll, expect } from 'vitest'
import { verifiedActivity } from '../helpers/activities'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
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

/**
 * 更正 (issue 18): correcting verified hours is the secretary's over the activity's unit (an admin's too); grid
 * workers, who record and verify hours, do not correct verified ones (403), nor does any other role; outside the
 * caller's scope: 404. The corrections are read by staff over the unit and by the member themself.
 */

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

/** A verified activity of branch A in which member A served 2.00 hours (the admin records and verifies). */
const verifiedAtBranchA = (ctx: AuthzContext) =>
  verifiedActivity(ctx.t, ctx.w.admin, ctx.w.branchA, [[ctx.w.memberA.memberId, '2.00']])

const rows: AuthzRow[] = [
  {
    operation: 'correctServiceHours',
    request: async (ctx) => ({
      method: 'POST',
      url: `/api/v1/activities/${await verifiedAtBranchA(ctx)}/participants/${ctx.w.memberA.memberId}/corrections`,
      headers: { 'idempotency-key': uniq('fix') },
      payload: { hours: '1.50', reason: '提前离开' },
    }),
    expect: expectStatuses({ ok: 201, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES }),
    check: (res) => {
      if (res.statusCode === 201) expect(res.json()).toMatchObject({ previousHours: '2.00', hours: '1.50' })
    },
  },
  {
    operation: 'listHoursCorrections',
    request: async (ctx) => {
      const id = await verifiedAtBranchA(ctx)
      const made = await ctx.t.call({
        method: 'POST',
        url: `/api/v1/activities/${id}/participants/${ctx.w.memberA.memberId}/corrections`,
        as: ctx.w.admin,
        headers: { 'idempotency-key': uniq('fix') },
        payload: { hours: '1.50', reason: '提前离开' },
      })
      expect(made.statusCode, made.body).toBe(201)
      return {
        method: 'GET',
        url: `/api/v1/activities/${id}/participants/${ctx.w.memberA.memberId}/corrections`,
      }
    },
    // Staff over the unit and member A themself; another member is told nothing (404).
    expect: expectStatuses({
      ok: 200,
      allowed: [...INSIDE_SECRETARIES, 'gridWorker', 'member'],
      outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling', 'memberSibling'],
    }),
    check: (res) => {
      if (res.statusCode === 200) expect(res.json().items).toHaveLength(1)
    },
  },
]

runAuthzMatrix('corrections (更正) authorisation matrix', () => ({ t, w }), rows)
