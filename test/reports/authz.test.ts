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
import { thisYear, yearEnd, yearStart } from '../helpers/scoring'

let t: TestApp
let w: AuthzWorld

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
})

/**
 * Reports are the secretary's (the contract): secretaries over branch A read its figures; a secretary of grid A
 * (below) or of branch B does not see branch A (404); every other role, members included, 403.
 */
const secretaries = (ok: number) =>
  expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES })

/** A page of a breakdown report over branch A, for a year or this year's period. */
const breakdown = (path: string, span: 'year' | 'period'): Omit<AuthzRow, 'operation'> => ({
  request: ({ w }) => ({
    method: 'GET',
    url: `/api/v1/reports/${path}?orgUnitId=${w.branchA}&${
      span === 'year' ? `year=${thisYear()}` : `from=${yearStart()}&to=${yearEnd()}`
    }`,
  }),
  expect: secretaries(200),
  check: (res) => {
    if (res.statusCode === 200) expect(res.json().items).toEqual(expect.any(Array))
  },
})

/** The same report as a file: GET <path>.csv with the JSON operation's query, every row as CSV. */
const csvOf = (row: Omit<AuthzRow, 'operation'>, header: string): Omit<AuthzRow, 'operation'> => ({
  request: async (ctx, actor) => {
    const json = await row.request(ctx, actor)
    return { ...json, url: String(json.url).replace(/^(\/api\/v1\/reports\/[a-z-]+)/, '$1.csv') }
  },
  expect: row.expect,
  check: (res) => {
    if (res.statusCode !== 200) return
    expect(res.headers['content-type']).toMatch(/^text\/csv/)
    expect(res.body.startsWith(`\uFEFF${header}`)).toBe(true)
  },
})

const ranking: Omit<AuthzRow, 'operation'> = {
  request: ({ w }) => ({
    method: 'GET',
    url: `/api/v1/reports/ranking?orgUnitId=${w.branchA}&year=${thisYear()}`,
  }),
  expect: secretaries(200),
}
const summary: Omit<AuthzRow, 'operation'> = {
  request: ({ w }) => ({
    method: 'GET',
    url: `/api/v1/reports/summary?orgUnitId=${w.branchA}&from=${yearStart()}&to=${yearEnd()}`,
  }),
  expect: secretaries(200),
}

const rows: AuthzRow[] = [
  {
    operation: 'getRanking',
    ...ranking,
    check: (res, { w }) => {
      if (res.statusCode === 200)
        expect(res.json().items.map((i: { memberId: string }) => i.memberId)).toContain(w.memberA.memberId)
    },
  },
  {
    operation: 'getSummary',
    ...summary,
    check: (res) => {
      // The figures themselves are test/reports/summary.test.ts's; here: a full summary, to its readers only.
      if (res.statusCode === 200) expect(Object.keys(res.json())).toContain('pointsIssued')
    },
  },
  // The breakdowns: the same rule (rows spelled out, so test/authz-coverage.test.ts finds each operation).
  { operation: 'getHoursPointsByTeam', ...breakdown('by-team', 'period') },
  { operation: 'getHoursPointsByActivity', ...breakdown('by-activity', 'period') },
  { operation: 'getMonthlyTotals', ...breakdown('monthly', 'year') },
  { operation: 'getRedemptionsByReward', ...breakdown('redemptions-by-reward', 'period') },
  { operation: 'listInactiveMembers', ...breakdown('inactive-members', 'year') },
  // Each report's file twin (GET <path>.csv): exactly the same callers.
  { operation: 'exportRankingCsv', ...csvOf(ranking, '排名 rank') },
  { operation: 'exportSummaryCsv', ...csvOf(summary, '活动数 activities') },
  { operation: 'exportHoursPointsByTeamCsv', ...csvOf(breakdown('by-team', 'period'), '服务队 team') },
  {
    operation: 'exportHoursPointsByActivityCsv',
    ...csvOf(breakdown('by-activity', 'period'), '开始时间 startsAt'),
  },
  { operation: 'exportMonthlyTotalsCsv', ...csvOf(breakdown('monthly', 'year'), '月份 month') },
  {
    operation: 'exportRedemptionsByRewardCsv',
    ...csvOf(breakdown('redemptions-by-reward', 'period'), '商品 reward'),
  },
  { operation: 'exportInactiveMembersCsv', ...csvOf(breakdown('inactive-members', 'year'), '姓名 name') },
]

runAuthzMatrix('authorisation matrix: reports', () => ({ t, w }), rows)
