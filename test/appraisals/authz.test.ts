import { beforeAll, expect } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  runAuthzMatrix,
} from '../helpers/authz'
import { thisYear } from '../helpers/scoring'

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

/**
 * 评优 is the branch's decision: secretaries over the member's home unit (or the unit) record, list and publish;
 * a secretary of grid A (below) or of branch B does not reach branch A (404); members, even the member appraised,
 * and every other role are refused (a member asking about a member: 404, as for one they cannot see; staff 403).
 */
const secretaries = (ok: number, cells: Partial<Record<string, number>> = {}) => ({
  ...expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES }),
  resident: 403,
  ...cells,
})

/** A fresh year for each publication, so every allowed cell publishes for the first time. */
let nextYear = 2001

const rows: AuthzRow[] = [
  {
    operation: 'recordAppraisal',
    request: ({ w }) => ({
      method: 'PUT',
      url: `/api/v1/members/${w.memberA.memberId}/appraisals/${thisYear()}`,
      payload: { outcome: '合格' },
    }),
    expect: secretaries(200, { member: 404, memberSibling: 404 }),
    check: (res, { w }) => {
      if (res.statusCode === 200)
        expect(res.json()).toMatchObject({ memberId: w.memberA.memberId, outcome: '合格' })
    },
  },
  {
    operation: 'listAppraisals',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/appraisals?orgUnitId=${w.branchA}&year=${thisYear()}`,
    }),
    expect: secretaries(200),
    check: (res) => {
      if (res.statusCode === 200) expect(res.json().items).toEqual(expect.any(Array))
    },
  },
  {
    operation: 'exportAppraisalsCsv',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/appraisals.csv?orgUnitId=${w.branchA}&year=${thisYear()}`,
    }),
    expect: secretaries(200),
    check: (res) => {
      if (res.statusCode === 200) expect(res.body.startsWith('\uFEFF姓名 name')).toBe(true)
    },
  },
  {
    // A member reads their own published outcomes (none yet here: an empty page); nobody else has any: 403.
    operation: 'listMyAppraisals',
    request: () => ({ method: 'GET', url: '/api/v1/me/appraisals' }),
    expect: { ...expectStatuses({ ok: 200, allowed: ['member', 'memberSibling'] }), resident: 403 },
  },
  {
    operation: 'publishAppraisals',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/appraisals/publish',
      payload: { orgUnitId: w.branchA, year: nextYear++ },
    }),
    expect: secretaries(201),
  },
]

runAuthzMatrix('authorisation matrix: appraisals', () => ({ t, w }), rows)
