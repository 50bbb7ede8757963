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
 * 亮积分: branch A's standings are read by the secretaries over it (as the ranking) and by its own members; a
 * member of branch B gets 404 like a secretary outside; staff roles without a secretary grant or a member record
 * get 403, as does a resident.
 */
const standingsExpect = {
  ...expectStatuses({
    ok: 200,
    allowed: [...INSIDE_SECRETARIES, 'member'],
    outside: [...OUTSIDE_SECRETARIES, 'memberSibling'],
  }),
  resident: 403,
}

const standings: Omit<AuthzRow, 'operation'> = {
  request: ({ w }) => ({
    method: 'GET',
    url: `/api/v1/reports/standings?orgUnitId=${w.branchA}&year=${thisYear()}`,
  }),
  expect: standingsExpect,
  check: (res, { w }) => {
    if (res.statusCode === 200)
      expect(res.json().items.map((i: { memberId: string }) => i.memberId)).toContain(w.memberA.memberId)
  },
}

const rows: AuthzRow[] = [
  { operation: 'getStandings', ...standings },
  {
    operation: 'exportStandingsCsv',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/reports/standings.csv?orgUnitId=${w.branchA}&year=${thisYear()}`,
    }),
    expect: standingsExpect,
    check: (res) => {
      if (res.statusCode === 200) expect(res.body.startsWith('\uFEFF排名 rank')).toBe(true)
    },
  },
  {
    // Only a member has a standing: their own; staff without a member record and residents 403.
    operation: 'getMyStanding',
    request: () => ({ method: 'GET', url: `/api/v1/me/standing?year=${thisYear()}` }),
    expect: {
      ...expectStatuses({ ok: 200, allowed: ['member', 'memberSibling'] }),
      resident: 403,
    },
    check: (res, { w }, actor) => {
      if (res.statusCode === 200)
        expect(res.json().memberId).toBe(actor === 'member' ? w.memberA.memberId : w.memberB.memberId)
    },
  },
]

runAuthzMatrix('authorisation matrix: standings', () => ({ t, w }), rows)
