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
 * The 双报告 and the printable ranking are the home side's secretaries' (like every report): secretaries over
 * branch A; a secretary below or beside it, and community C's staff, where member A serves through 双报到, 404
 * (the report goes to the home side); every other role 403. The standings PDF is read as getStandings is: also
 * by the branch's own members.
 */
const secretaries = (ok: number) =>
  expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES })

const isPdf = (res: { statusCode: number; rawPayload: Buffer }) => {
  if (res.statusCode === 200) expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-')
}

const dual = (ext: string): Omit<AuthzRow, 'operation'> => ({
  request: ({ w }) => ({
    method: 'GET',
    url: `/api/v1/reports/dual-registration${ext}?orgUnitId=${w.branchA}&from=${yearStart()}&to=${yearEnd()}`,
  }),
  expect: secretaries(200),
})

const rows: AuthzRow[] = [
  {
    operation: 'getDualRegistrationReport',
    ...dual(''),
    // Member A's accepted registration with community C is on the home side's report.
    check: (res, { w }) => {
      if (res.statusCode === 200)
        expect(res.json().items.map((i: { communityId: string }) => i.communityId)).toContain(w.communityC)
    },
  },
  {
    operation: 'exportDualRegistrationReportCsv',
    ...dual('.csv'),
    check: (res) => {
      if (res.statusCode === 200) expect(res.body.startsWith('\uFEFF姓名 memberName')).toBe(true)
    },
  },
  { operation: 'getDualRegistrationReportPdf', ...dual('.pdf'), check: isPdf },
  {
    operation: 'getRankingPdf',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/reports/ranking.pdf?orgUnitId=${w.branchA}&year=${thisYear()}`,
    }),
    expect: secretaries(200),
    check: isPdf,
  },
  {
    operation: 'getStandingsPdf',
    request: ({ w }) => ({
      method: 'GET',
      url: `/api/v1/reports/standings.pdf?orgUnitId=${w.branchA}&year=${thisYear()}`,
    }),
    expect: {
      ...expectStatuses({
        ok: 200,
        allowed: [...INSIDE_SECRETARIES, 'member'],
        outside: [...OUTSIDE_SECRETARIES, 'memberSibling'],
      }),
      resident: 403,
    },
    check: isPdf,
  },
]

runAuthzMatrix('reports: 双报告 and printable ranking and standings', () => ({ t, w }), rows)
