import { sql } from 'drizzle-orm'
import { beforeAll, expect } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import {
  type Actor,
  type AuthzRow,
  type AuthzWorld,
  createAuthzWorld,
  expectStatuses,
  INSIDE_SECRETARIES,
  OUTSIDE_SECRETARIES,
  reusable,
  runAuthzMatrix,
} from '../helpers/authz'
import { createMember, uniq } from '../helpers/factories'
import { activeRubric, countRows, endPublicity, today, yearEnd, yearStart } from '../helpers/scoring'

let t: TestApp
let w: AuthzWorld
let rubricId: string
/** A second member of branch A without a login: rounds score their claims, so member A objects to others. */
let memberA2: string
let claimOfA: string
let closed: { roundId: string; claimId: string }

beforeAll(async () => {
  t = await buildTestApp()
  w = await createAuthzWorld(t.db)
  rubricId = await activeRubric(t, w)
  memberA2 = await createMember(t.db, w.branchA, { name: uniq('王五') })
  claimOfA = await newClaim(w.memberA.memberId)
  closed = await closedRound()
})

const call = async (as: string, opts: Parameters<TestApp['call']>[0], status: number) => {
  const res = await t.call({ ...opts, as })
  expect(res.statusCode, `${opts.method} ${opts.url}: ${res.body}`).toBe(status)
  return res.json()
}

async function newClaim(memberId = memberA2): Promise<string> {
  const body = {
    memberId,
    rubricId,
    itemCode: 'STUDY',
    quantity: 1,
    occurredOn: today(),
    description: '学习',
  }
  return (await call(w.admin, { method: 'POST', url: '/api/v1/claims', payload: body }, 201)).id
}

/**
 * A round takes in every submitted claim of branch A and the period: claims other cells left behind are
 * withdrawn first, so each round holds exactly the one claim made for it.
 */
async function newRound(): Promise<{ roundId: string; claimId: string }> {
  await t.db.execute(sql`update claims set status = 'withdrawn'
    where status = 'submitted' and org_unit_id in (${w.branchA}, ${w.gridA})`)
  const claimId = await newClaim()
  const round = await call(
    w.secretaryA,
    {
      method: 'POST',
      url: '/api/v1/scoring-rounds',
      payload: {
        orgUnitId: w.branchA,
        rubricId,
        periodStart: yearStart(),
        periodEnd: yearEnd(),
        panelUserIds: [w.secretaryA, w.panelistA],
        quorum: 1,
      },
    },
    201,
  )
  expect(round.claims.map((c: { claimId: string }) => c.claimId)).toEqual([claimId])
  return { roundId: round.id, claimId }
}

/** A round whose panel has scored and whose secretary has closed it: its results are on public notice. */
async function closedRound() {
  const r = await newRound()
  await call(
    w.panelistA,
    {
      method: 'PUT',
      url: `/api/v1/scoring-rounds/${r.roundId}/claims/${r.claimId}/score`,
      payload: { time: 4, content: 4, quality: 4, points: '1.00' },
    },
    200,
  )
  await call(w.secretaryA, { method: 'POST', url: `/api/v1/scoring-rounds/${r.roundId}/close` }, 200)
  return r
}

const claimStatus = async (id: string) =>
  (await one<{ status: string }>(t.db, sql`select status from claims where id = ${id}`))!.status

/** What the current cell's request was made on, for its check. */
let target: { roundId: string; claimId: string; objectionId?: string }

const scoreCount = (claimId: string) => countRows(t.db, 'claim_scores', sql`claim_id = ${claimId}`)
const objectionCount = (claimId: string) => countRows(t.db, 'objections', sql`claim_id = ${claimId}`)

/** Per write row, one object in its starting state, made again only after a cell changed it. */
const fixtures = {
  withdrawable: reusable(
    async () => ({ roundId: '', claimId: await newClaim(w.memberA.memberId) }),
    async (f) => (await claimStatus(f.claimId)) === 'submitted',
  ),
  waitingForRound: reusable(
    async () => ({ roundId: '', claimId: await newClaim() }),
    async (f) => (await claimStatus(f.claimId)) === 'submitted',
  ),
  unscored: reusable(newRound, async (f) => (await scoreCount(f.claimId)) === 0),
  scored: reusable(
    async () => {
      const r = await newRound()
      await call(
        w.panelistA,
        {
          method: 'PUT',
          url: `/api/v1/scoring-rounds/${r.roundId}/claims/${r.claimId}/score`,
          payload: { time: 4, content: 4, quality: 4, points: '1.00' },
        },
        200,
      )
      return r
    },
    async (f) => (await claimStatus(f.claimId)) === 'scoring',
  ),
  onNotice: reusable(closedRound, async (f) => (await objectionCount(f.claimId)) === 0),
  objected: reusable(
    async () => {
      const r = await closedRound()
      const objection = await call(
        w.memberA.userId,
        { method: 'POST', url: `/api/v1/claims/${r.claimId}/objections`, payload: { reason: '有误' } },
        201,
      )
      return { ...r, objectionId: objection.id as string }
    },
    async (f) => (await objectionStatus(f.objectionId)) === 'open',
  ),
  publicityOver: reusable(
    async () => {
      const r = await closedRound()
      await endPublicity(t.db, r.roundId)
      return r
    },
    async (f) => (await claimStatus(f.claimId)) === 'scored',
  ),
}

const objectionStatus = async (id: string | undefined) =>
  (await one<{ status: string }>(t.db, sql`select status from objections where id = ${id}`))!.status

const secretaries = (ok: number) =>
  expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_SECRETARIES })

/**
 * Who sees a round (the contract: the secretary; results to branch members after close): secretaries and
 * panelists over branch A and members of branch A. Outsiders with those roles: 404. Roles that never
 * deal with scoring (grid worker, clerk): 403 wherever they sit.
 */
const ROUND_READERS: readonly Actor[] = [...INSIDE_SECRETARIES, 'panelist', 'member']
const OUTSIDE_READERS: readonly Actor[] = [...OUTSIDE_SECRETARIES, 'memberSibling']
const roundReaders = (ok: number) => expectStatuses({ ok, allowed: ROUND_READERS, outside: OUTSIDE_READERS })

/** Secretary-only steps on a round: panelists and branch members see the round but may not (403). */
const secretaryOnRound = (ok: number) =>
  expectStatuses({ ok, allowed: INSIDE_SECRETARIES, outside: OUTSIDE_READERS })

/** Claim-level actions of "the member for self, secretary": member A's own claim. */
const claimantOrSecretary = (ok: number, cells: Partial<Record<Actor, number>> = {}) =>
  expectStatuses({
    ok,
    allowed: [...INSIDE_SECRETARIES, 'member'],
    outside: [...OUTSIDE_SECRETARIES, 'memberSibling'],
    cells,
  })

const rows: AuthzRow[] = [
  {
    operation: 'createClaim',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/claims',
      payload: {
        memberId: w.memberA.memberId,
        rubricId,
        itemCode: 'STUDY',
        quantity: 1,
        occurredOn: today(),
        description: uniq('学习'),
      },
    }),
    expect: claimantOrSecretary(201),
  },
  {
    operation: 'createClaimsBatch',
    request: ({ w }) => ({
      method: 'POST',
      url: '/api/v1/claims/batch',
      headers: { 'idempotency-key': uniq('batch') },
      payload: {
        memberIds: [w.memberA.memberId],
        rubricId,
        itemCode: 'STUDY',
        quantity: 1,
        occurredOn: today(),
        description: uniq('学习'),
      },
    }),
    // Secretaries only; a secretary who does not hold member A at home (below, beside, or through 双报到) is told
    // the member is not theirs (400 naming memberIds[0]), the same words as for a member that does not exist.
    expect: expectStatuses({
      ok: 201,
      allowed: INSIDE_SECRETARIES,
      cells: { secretaryChild: 400, secretarySibling: 400, secretaryRegistered: 400 },
    }),
  },
  {
    operation: 'getClaim',
    request: () => ({ method: 'GET', url: `/api/v1/claims/${claimOfA}` }),
    // Panelists over the member's unit read the claims they score (wider than the contract's list, on purpose).
    expect: claimantOrSecretary(200, { panelist: 200 }),
  },
  {
    operation: 'listClaims',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/claims?orgUnitId=${w.branchA}&limit=200` }),
    // A member lists their own claims (possibly none); outsiders get an empty page, as for a unit with
    // no claims; roles that never read claims: 403.
    expect: claimantOrSecretary(200, {
      panelist: 200,
      secretaryChild: 200,
      secretarySibling: 200,
      memberSibling: 200,
    }),
    check: (res, { w }, actor) => {
      if (res.statusCode !== 200) return
      const items: { id: string; memberId: string }[] = res.json().items
      if (['secretaryChild', 'secretarySibling', 'memberSibling'].includes(actor)) expect(items).toEqual([])
      else if (actor === 'member') {
        expect(items.map((c) => c.id)).toContain(claimOfA)
        expect(new Set(items.map((c) => c.memberId))).toEqual(new Set([w.memberA.memberId]))
      } else expect(items.map((c) => c.id)).toContain(claimOfA)
    },
  },
  {
    operation: 'withdrawClaim',
    request: async () => {
      target = await fixtures.withdrawable()
      return { method: 'POST', url: `/api/v1/claims/${target.claimId}/withdraw` }
    },
    // A panelist sees the claim but withdrawing is the claimant's or a secretary's: 403.
    expect: claimantOrSecretary(200, { panelist: 403 }),
    check: async (res) =>
      expect(await claimStatus(target.claimId)).toBe(res.statusCode === 200 ? 'withdrawn' : 'submitted'),
  },
  {
    operation: 'createScoringRound',
    request: async ({ w }) => {
      target = await fixtures.waitingForRound()
      // The round must take in this claim alone: others left submitted by earlier rows are withdrawn.
      await t.db.execute(sql`update claims set status = 'withdrawn' where status = 'submitted'
        and org_unit_id in (${w.branchA}, ${w.gridA}) and id <> ${target.claimId}`)
      return {
        method: 'POST',
        url: '/api/v1/scoring-rounds',
        payload: {
          orgUnitId: w.branchA,
          rubricId,
          periodStart: yearStart(),
          periodEnd: yearEnd(),
          panelUserIds: [w.secretaryA, w.panelistA],
        },
      }
    },
    expect: secretaries(201),
    check: async (res) =>
      expect(await claimStatus(target.claimId)).toBe(res.statusCode === 201 ? 'scoring' : 'submitted'),
  },
  {
    operation: 'listScoringRounds',
    request: ({ w }) => ({ method: 'GET', url: `/api/v1/scoring-rounds?orgUnitId=${w.branchA}&limit=200` }),
    // Filtered lists answer outsiders with an empty page, as for a unit with no rounds.
    expect: { ...roundReaders(200), secretaryChild: 200, secretarySibling: 200, memberSibling: 200 },
    check: (res, _ctx, actor) => {
      if (res.statusCode !== 200) return
      const ids = res.json().items.map((r: { id: string }) => r.id)
      if (OUTSIDE_READERS.includes(actor)) expect(ids).toEqual([])
      else expect(ids).toContain(closed.roundId)
    },
  },
  {
    operation: 'getScoringRound',
    request: () => ({ method: 'GET', url: `/api/v1/scoring-rounds/${closed.roundId}` }),
    expect: roundReaders(200),
  },
  {
    operation: 'submitScore',
    request: async () => {
      target = await fixtures.unscored()
      return {
        method: 'PUT',
        url: `/api/v1/scoring-rounds/${target.roundId}/claims/${target.claimId}/score`,
        payload: { time: 3, content: 3, quality: 3, points: '0.50' },
      }
    },
    // Only users on this round's panel (secretary A and panelist A here) score; whoever else sees the
    // round, the admin included, is not on its panel: 403.
    expect: expectStatuses({ ok: 200, allowed: ['secretary', 'panelist'], outside: OUTSIDE_READERS }),
    check: async (res) => expect(await scoreCount(target.claimId)).toBe(res.statusCode === 200 ? 1 : 0),
  },
  {
    operation: 'closeScoring',
    request: async () => {
      target = await fixtures.scored()
      return { method: 'POST', url: `/api/v1/scoring-rounds/${target.roundId}/close` }
    },
    expect: secretaryOnRound(200),
    check: async (res) =>
      expect(await claimStatus(target.claimId)).toBe(res.statusCode === 200 ? 'scored' : 'scoring'),
  },
  {
    operation: 'getRoundResults',
    request: () => ({ method: 'GET', url: `/api/v1/scoring-rounds/${closed.roundId}/results` }),
    expect: roundReaders(200),
  },
  {
    // The file twin of getRoundResults: the same readers, the whole round as CSV.
    operation: 'exportRoundResultsCsv',
    request: () => ({ method: 'GET', url: `/api/v1/scoring-rounds/${closed.roundId}/results.csv` }),
    expect: roundReaders(200),
    check: (res) => {
      if (res.statusCode === 200) expect(res.body).toMatch(/^\uFEFFclaimId,memberId,/)
    },
  },
  {
    // 公示栏: the notice-board sheet of getRoundResults, the same readers.
    operation: 'getRoundResultsPdf',
    request: () => ({ method: 'GET', url: `/api/v1/scoring-rounds/${closed.roundId}/results.pdf` }),
    expect: roundReaders(200),
    check: (res) => {
      if (res.statusCode === 200) expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-')
    },
  },
  {
    operation: 'fileObjection',
    request: async () => {
      target = await fixtures.onNotice()
      return {
        method: 'POST',
        url: `/api/v1/claims/${target.claimId}/objections`,
        payload: { reason: '分数偏高' },
      }
    },
    // Any member of the branch objects; users without a member record (staff, admin) never do: 403.
    // Member B is not of branch A: the claim does not exist for them.
    expect: expectStatuses({ ok: 201, allowed: ['member'], outside: ['memberSibling'] }),
    check: async (res) => expect(await objectionCount(target.claimId)).toBe(res.statusCode === 201 ? 1 : 0),
  },
  {
    operation: 'listObjections',
    request: () => ({ method: 'GET', url: `/api/v1/objections?roundId=${closed.roundId}` }),
    expect: roundReaders(200),
  },
  {
    operation: 'resolveObjection',
    request: async () => {
      target = await fixtures.objected()
      return {
        method: 'POST',
        url: `/api/v1/objections/${target.objectionId}/resolve`,
        payload: { decision: 'upheld', reply: '经核实无误' },
      }
    },
    // Secretary only: a panelist, a member or member B (role never allows) 403; secretaries elsewhere 404.
    expect: secretaries(200),
    check: async (res) =>
      expect(await objectionStatus(target.objectionId)).toBe(res.statusCode === 200 ? 'upheld' : 'open'),
  },
  {
    operation: 'finalizeRound',
    request: async () => {
      target = await fixtures.publicityOver()
      return {
        method: 'POST',
        url: `/api/v1/scoring-rounds/${target.roundId}/finalize`,
        headers: { 'idempotency-key': uniq('fin') },
      }
    },
    expect: secretaryOnRound(200),
    check: async (res) => {
      const posted = res.statusCode === 200
      expect(await claimStatus(target.claimId)).toBe(posted ? 'posted' : 'scored')
      // A refused finalize moved no point.
      expect(
        await countRows(
          t.db,
          'ledger_transactions',
          sql`reference_type = 'claim' and reference_id = ${target.claimId}`,
        ),
      ).toBe(posted ? 1 : 0)
    },
  },
]

runAuthzMatrix('authorisation matrix: claims, rounds, scores, objections, finalize', () => ({ t, w }), rows)
