import { beforeAll, expect } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type Actor,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  runAuthzMatrix,
} from '../helpers/authz'
import { uniq } from '../helpers/factories'
import { award, countTransactions } from '../helpers/ledger'

let t: TestApp
let w: AuthzWorld
let transactionOfA: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
  transactionOfA = await award(t.db, w.memberA.memberId, 1000)
})

/**
 * "scoped, the member" (the contract): the member, and staff whose units cover the member's home unit and who
 * deal with points: secretary, grid worker, the clerk at the community counter. Panelists score claims
 * and read no balances (403, a role that never allows it). The same roles elsewhere: 404; member B: 404.
 */
const pointReaders = (ok: number) =>
  expectStatuses({
    ok,
    // Community C's staff read member A's points through the accepted 双报到 registration (the clerk there
    // hands out C's rewards against them); they never correct them (secretaries below).
    allowed: [
      ...INSIDE_SECRETARIES,
      'gridWorker',
      'clerk',
      'member',
      'secretaryRegistered',
      'gridWorkerRegistered',
      'clerkRegistered',
    ],
    outside: [...OUTSIDE_SECRETARIES, 'gridWorkerSibling', 'clerkSibling', 'memberSibling'],
    // A resident (群众) of member A's community holds no points and reads none: no member record, no staff role.
    cells: { resident: 403 },
  })

/** Corrections and the ledger check: secretaries over member A's home unit only; every other role 403. */
const secretaries = (ok: number) =>
  expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES, cells: { resident: 403 } })

/** Member A's transactions of a kind when the current cell's request was built. */
let before = 0
const countOfA = (kind: string) => countTransactions(t.db, w.memberA.memberId, kind)

const rows: AuthzRow[] = [
  {
    operation: 'getBalance',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/balance` }),
    expect: pointReaders(200),
    check: (res) => {
      if (res.statusCode === 200) expect(res.json().lifetimeEarned).not.toBe('0.00')
    },
  },
  {
    operation: 'listMemberLedger',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/ledger` }),
    expect: pointReaders(200),
    check: (res) => {
      if (res.statusCode === 200)
        expect(res.json().items.map((r: { transactionId: string }) => r.transactionId)).toContain(
          transactionOfA,
        )
    },
  },
  {
    // The file twin of listMemberLedger: the same readers, every row as CSV.
    operation: 'exportMemberLedgerCsv',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/members/${w.memberA.memberId}/ledger.csv` }),
    expect: pointReaders(200),
    check: (res) => {
      if (res.statusCode !== 200) return
      expect(res.headers['content-type']).toMatch(/^text\/csv/)
      expect(res.body).toContain(transactionOfA)
    },
  },
  {
    operation: 'getLedgerTransaction',
    request: () => ({ method: 'GET', url: `/api/v1/ledger/transactions/${transactionOfA}` }),
    expect: pointReaders(200),
  },
  {
    operation: 'createAdjustment',
    request: async ({ w }) => {
      before = await countOfA('adjustment')
      return {
        method: 'POST',
        url: '/api/v1/ledger/adjustments',
        headers: { 'idempotency-key': uniq('adj') },
        payload: { memberId: w.memberA.memberId, amount: '2.00', reason: '补录积分' },
      }
    },
    expect: secretaries(201),
    check: async (res) =>
      expect(await countOfA('adjustment')).toBe(before + (res.statusCode === 201 ? 1 : 0)),
  },
  {
    operation: 'reverseTransaction',
    request: async ({ t, w }) => {
      before = await countOfA('reversal')
      const id = await award(t.db, w.memberA.memberId, 300)
      return {
        method: 'POST',
        url: `/api/v1/ledger/transactions/${id}/reverse`,
        headers: { 'idempotency-key': uniq('rev') },
        payload: { reason: '重复计分' },
      }
    },
    expect: secretaries(201),
    check: async (res) => expect(await countOfA('reversal')).toBe(before + (res.statusCode === 201 ? 1 : 0)),
  },
  {
    operation: 'verifyLedger',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/ledger/verify?orgUnitId=${w.branchA}` }),
    expect: secretaries(200),
    check: (res, _ctx, actor: Actor) => {
      if (res.statusCode === 200) expect(res.json().ok, actor).toBe(true)
    },
  },
]

runAuthzMatrix('authorisation matrix: balances, ledger, corrections, verification', () => ({ t, w }), rows)
