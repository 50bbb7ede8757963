import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows, transaction } from '../../src/db/client'
import { postClaimResults } from '../../src/modules/ledger/service'
import { foldPoints, startPointsFold } from '../../src/modules/reports'
import { localDate } from '../../src/shared/time'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { refusal } from '../helpers/refusal'
import { givePoints, idemKey, redeem, stockedReward } from '../helpers/rewards'

/**
 * The months that are over are folded per subtree (report_subtree_months), so that a city's summary reads its own
 * dozen rows instead of every unit's. The summary must say what the ledger says whatever the fold has reached:
 * before it, after it, for a posting that commits after its month was folded, for a member who moves afterwards,
 * with a fold racing a posting's commit, and after a rebuild. Here the current month is folded "ahead" (the fold's
 * boundary set to next month), so every posting of the file is one that arrives after its month's fold.
 */

let t: TestApp
let w: World
let extra: string
const month = `${localDate(new Date(), 'Asia/Shanghai').slice(0, 7)}-01`
const monthAfter = (first: string) => {
  const [y, m] = first.split('-').map(Number) as [number, number]
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`
}
const nextMonth = monthAfter(month)

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  extra = await createMember(t.db, w.gridA, { name: '折叠' })
  await givePoints(t.db, w.memberA.memberId, 5_000)
  await award(t.db, extra, 1_250)
  await award(t.db, w.memberB.memberId, -300)
  const reward = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '4.00', stock: 10 })
  const r = await redeem(t, w.clerkA, { memberId: w.memberA.memberId, rewardId: reward.id, quantity: 2 })
  expect(r.statusCode, r.body).toBe(201)
  const f = await t.call({ method: 'POST', url: `/api/v1/redemptions/${r.json().id}/fulfil`, as: w.clerkA })
  expect(f.statusCode, f.body).toBe(200)
})

const SUBTREES = ['street', 'communityA', 'branchA', 'gridA', 'communityB'] as const

/** The points of the summary (all time) for each subtree of the world, as the API answers them. */
async function summaries(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const k of SUBTREES) {
    const res = await t.call({ method: 'GET', url: `/api/v1/reports/summary?orgUnitId=${w[k]}`, as: w.admin })
    expect(res.statusCode, res.body).toBe(200)
    const b = res.json()
    out[k] = [b.pointsIssued, b.pointsDeducted, b.pointsRedeemed, b.redemptions]
  }
  return out
}

/**
 * The same figures from the ledger itself: the earning entries of the members whose home unit is in the subtree,
 * positive and negative apart, and their fulfilled redemptions from the redemptions table.
 */
async function truth(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const k of SUBTREES) {
    const members = sql`select m.id from members m join org_units u on u.id = m.org_unit_id
                        where u.path like (select path from org_units where id = ${w[k]}) || '%'`
    const row = await one<{ i: string; d: string; r: string; n: number }>(
      t.db,
      sql`select (select to_char(coalesce(sum(greatest(e.amount, 0)), 0) / 100.0, 'FM999999990.00')
                    from ledger_accounts a join ledger_entries e on e.account_id = a.id
                    join ledger_transactions x on x.id = e.transaction_id
                   where a.member_id in (${members}) and x.kind in ('award','deduction','adjustment','reversal')) as i,
                 (select to_char(coalesce(sum(greatest(-e.amount, 0)), 0) / 100.0, 'FM999999990.00')
                    from ledger_accounts a join ledger_entries e on e.account_id = a.id
                    join ledger_transactions x on x.id = e.transaction_id
                   where a.member_id in (${members}) and x.kind in ('award','deduction','adjustment','reversal')) as d,
                 (select to_char(coalesce(sum(amount), 0) / 100.0, 'FM999999990.00') from redemptions
                   where member_id in (${members}) and status = 'fulfilled') as r,
                 (select count(*)::int from redemptions where member_id in (${members}) and status = 'fulfilled') as n`,
    )
    out[k] = [row!.i, row!.d, row!.r, row!.n]
  }
  return out
}

/** One claim's posting for member A (a posting of this month, like every posting of the file). */
const claim = (cents: number) => [
  {
    memberId: w.memberA.memberId,
    claimId: crypto.randomUUID(),
    amountCents: cents,
    memo: 'race',
    effectiveDate: '2026-05-01',
  },
]

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** A promise and what settles it: one connection's transaction waits on it while the test goes on with another. */
function signal() {
  let fire!: () => void
  const fired = new Promise<void>((resolve) => {
    fire = resolve
  })
  return { fire, fired }
}

async function folded(): Promise<{ before: string; cutoff: string; rows: number; deltas: number }> {
  const row = await one<{ before: string; cutoff: string; rows: number; deltas: number }>(
    t.db,
    sql`select points_folded_before::text as before, points_fold_cutoff::text as cutoff,
               (select count(*)::int from report_subtree_months where unit_id = ${w.street}) as rows,
               (select count(*)::int from report_subtree_month_deltas) as deltas
        from report_settings`,
  )
  return row!
}

describe('folding closed months per subtree (report_points_fold)', () => {
  it('gives the same figures before and after the fold, read from the subtree rows after it', async () => {
    const before = await summaries()
    expect(before).toEqual(await truth())
    expect((before.communityA as unknown[])[3]).toBe(1)
    expect(await foldPoints(t.db)).toBe(0) // the current month is not over: nothing to fold
    expect(await foldPoints(t.db, nextMonth)).toBeGreaterThan(0)
    expect(await folded()).toMatchObject({ before: nextMonth, cutoff: nextMonth, rows: 1, deltas: 0 })
    expect(await foldPoints(t.db, nextMonth)).toBe(0) // once
    // The readers' side never passes the postings' side (a month read folded that postings do not add deltas to).
    expect(
      await refusal(
        t.db.execute(sql`update report_settings set points_folded_before = ${monthAfter(nextMonth)}::date`),
      ),
    ).toMatchObject({ code: '23514', constraint: 'report_settings_points_fold_cutoff_chk' })
    // The boundary is a first of a month, by the database's own checks: a fold to mid-month is refused.
    expect(await refusal(foldPoints(t.db, `${nextMonth.slice(0, 8)}15`))).toMatchObject({
      code: '23514',
      constraint: 'report_settings_points_fold_cutoff_chk',
    })
    expect(
      await refusal(
        t.db.execute(
          sql`update report_settings set points_folded_before = ${`${month.slice(0, 8)}15`}::date`,
        ),
      ),
    ).toMatchObject({ code: '23514', constraint: 'report_settings_points_folded_before_chk' })
    expect(await summaries()).toEqual(before)

    // The summary reads the folded rows, not the unit rows, for a folded month: a change made to the street's row
    // behind the triggers' back shows (and is undone).
    await t.db.execute(
      sql`update report_subtree_months set issued = issued + 100 where unit_id = ${w.street}`,
    )
    expect(((await summaries()).street as unknown[])[0]).not.toEqual((before.street as unknown[])[0])
    await t.db.execute(
      sql`update report_subtree_months set issued = issued - 100 where unit_id = ${w.street}`,
    )
    expect(await summaries()).toEqual(before)
  })

  it('counts postings and a redemption that commit after their month was folded, as deltas, then folds them', async () => {
    await award(t.db, extra, 777)
    await award(t.db, w.memberB.memberId, 420)
    const adj = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { memberId: w.memberA.memberId, amount: '-1.50', reason: '核对' },
    })
    expect(adj.statusCode, adj.body).toBe(201)
    const reward = await stockedReward(t, w.clerkB, w.communityB, { pointsCost: '1.00', stock: 5 })
    const r = await redeem(t, w.clerkB, { memberId: w.memberB.memberId, rewardId: reward.id, quantity: 1 })
    expect(r.statusCode, r.body).toBe(201)
    const f = await t.call({ method: 'POST', url: `/api/v1/redemptions/${r.json().id}/fulfil`, as: w.clerkB })
    expect(f.statusCode, f.body).toBe(200)

    expect((await folded()).deltas).toBeGreaterThan(0)
    const expected = await truth()
    expect(await summaries()).toEqual(expected)
    expect(await foldPoints(t.db, nextMonth)).toBeGreaterThan(0) // the deltas into their rows
    expect((await folded()).deltas).toBe(0)
    expect(await summaries()).toEqual(expected)
  })

  it('moves a member’s folded points from the old subtree to the new one', async () => {
    const before = await summaries()
    const res = await t.call({
      method: 'PATCH',
      url: `/api/v1/members/${extra}`,
      as: w.admin,
      headers: { 'idempotency-key': idemKey() },
      payload: { orgUnitId: w.branchB },
    })
    expect(res.statusCode, res.body).toBe(200)
    const after = await summaries()
    expect(after).toEqual(await truth())
    expect(after.communityB).not.toEqual(before.communityB)
    expect(after.gridA).not.toEqual(before.gridA)
    expect(after.street).toEqual(before.street) // the street holds both ends: the move cancels out there
    await foldPoints(t.db, nextMonth)
    expect(await summaries()).toEqual(after)
  })

  it('never loses a posting whose commit races the fold, in either order', async () => {
    // Reset the boundary to this month, so the fold below has a month to fold again.
    await t.db.execute(sql`select report_rollups_rebuild()`)
    expect((await folded()).before).toBe(month)

    // 1. The posting's commit reaches the unit rows first (its deferred trigger fired early): the fold waits for
    //    it, and its INSERT sees the posting.
    const commit = signal()
    const reached = signal()
    const posting = transaction(t.db, async (tx) => {
      await postClaimResults(tx, null, claim(1_111))
      await tx.execute(sql`set constraints all immediate`)
      reached.fire()
      await commit.fired
    })
    await reached.fired
    let foldDone = false
    const fold = foldPoints(t.db, nextMonth).then((n) => {
      foldDone = true
      return n
    })
    await new Promise((r) => setTimeout(r, 300))
    expect(foldDone).toBe(false)
    commit.fire()
    await posting
    expect(await fold).toBeGreaterThan(0)
    expect((await folded()).deltas).toBe(0)
    expect(await summaries()).toEqual(await truth())

    // 2. The posting began before the fold and commits after it: its trigger finds the month folded and appends
    //    deltas.
    const commit2 = signal()
    const posted = signal()
    await t.db.execute(sql`select report_rollups_rebuild()`)
    const late = transaction(t.db, async (tx) => {
      await postClaimResults(tx, null, claim(2_222))
      posted.fire()
      await commit2.fired
    })
    await posted.fired
    expect(await foldPoints(t.db, nextMonth)).toBeGreaterThan(0)
    commit2.fire()
    await late
    expect((await folded()).deltas).toBeGreaterThan(0)
    expect(await summaries()).toEqual(await truth())
  })

  it('holds up no posting: one commits while the fold is open, one between its two steps; each counted once', async () => {
    await t.db.execute(sql`select report_rollups_rebuild()`)
    expect(await folded()).toMatchObject({ before: month, cutoff: month, deltas: 0 })

    // The first step moves the postings' cutoff; the readers' boundary stays, so reports read the unit rows.
    const [begun] = await rows<{ ok: boolean }>(
      t.db,
      sql`select report_points_fold_begin(${nextMonth}::date) as ok`,
    )
    expect(begun!.ok).toBe(true)
    expect(await folded()).toMatchObject({ before: month, cutoff: nextMonth })
    // A posting between the steps: in the unit rows, and its deltas appended.
    await transaction(t.db, (tx) => postClaimResults(tx, null, claim(3_333)))
    expect((await folded()).deltas).toBeGreaterThan(0)
    expect(await summaries()).toEqual(await truth())

    // The second step, its transaction held open after its statements ran: a posting commits meanwhile.
    const commit = signal()
    const ran = signal()
    const fold = transaction(t.db, async (tx) => {
      const [r] = await rows<{ n: string }>(tx, sql`select report_points_fold_finish() as n`)
      ran.fire()
      await commit.fired
      return Number(r!.n)
    })
    await ran.fired
    try {
      const posting = transaction(t.db, (tx) => postClaimResults(tx, null, claim(4_444))).then(
        () => 'committed',
      )
      expect(await Promise.race([posting, sleep(5_000).then(() => 'waiting for the fold')])).toBe('committed')
      expect(await summaries()).toEqual(await truth()) // the fold not committed: still the unit rows
    } finally {
      commit.fire()
    }
    expect(await fold).toBeGreaterThan(0)

    // The posting between the steps is in the folded rows (the fold dropped the deltas it saw); the one during the
    // fold is a delta, not in them: 44.44 is all that is left as deltas on the street's line.
    expect(await folded()).toMatchObject({ before: nextMonth, cutoff: nextMonth })
    const [left] = await rows<{ issued: string }>(
      t.db,
      sql`select coalesce(sum(issued), 0)::text as issued from report_subtree_month_deltas where unit_id = ${w.street}`,
    )
    expect(left!.issued).toBe('4444')
    expect(await summaries()).toEqual(await truth())
    expect(await foldPoints(t.db, nextMonth)).toBeGreaterThan(0)
    expect((await folded()).deltas).toBe(0)
    expect(await summaries()).toEqual(await truth())
  })

  it('folds one at a time across processes, and only in READ COMMITTED', async () => {
    await foldPoints(t.db, nextMonth)
    await award(t.db, extra, 11)
    const pending = await folded()
    expect(pending.deltas).toBeGreaterThan(0)
    // Another process folding: the fold's lock held by a transaction of its own. This one leaves it to that one.
    const release = signal()
    const locked = signal()
    const other = transaction(t.db, async (tx) => {
      await tx.execute(sql`select report_points_fold_lock()`)
      locked.fire()
      await release.fired
    })
    await locked.fired
    try {
      expect(await foldPoints(t.db, nextMonth)).toBe(0)
      expect(await folded()).toEqual(pending)
    } finally {
      release.fire()
    }
    await other
    expect(await foldPoints(t.db, nextMonth)).toBeGreaterThan(0)
    expect((await folded()).deltas).toBe(0)
    expect(await summaries()).toEqual(await truth())
    // Its reasoning needs each statement's own snapshot: refused in REPEATABLE READ.
    expect(
      await refusal(
        transaction(t.db, (tx) => tx.execute(sql`select report_points_fold()`), {
          isolationLevel: 'repeatable read',
        }),
      ),
    ).toMatchObject({ code: '25000' })
  })

  it('a rebuild folds the months that are over again and drops the deltas', async () => {
    await foldPoints(t.db, nextMonth)
    await award(t.db, extra, 55)
    expect((await folded()).deltas).toBeGreaterThan(0)
    const [r] = await rows<{ n: string }>(t.db, sql`select report_rollups_rebuild() as n`)
    expect(Number(r!.n)).toBeGreaterThan(0)
    expect(await folded()).toMatchObject({ before: month, deltas: 0 })
    expect(await summaries()).toEqual(await truth())
  })

  it('runs in the server at start (and on its interval), and stops when the app closes', async () => {
    await foldPoints(t.db, nextMonth)
    await award(t.db, extra, 66)
    expect((await folded()).deltas).toBeGreaterThan(0)
    const server = await buildTestApp({
      beforeReady: (app) => {
        startPointsFold(app, { intervalMs: 25 })
      },
    })
    const deadline = Date.now() + 5_000
    while ((await folded()).deltas > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25))
    expect((await folded()).deltas).toBe(0)
    expect(await summaries()).toEqual(await truth())
    await server.app.close()
    await award(t.db, extra, 67)
    await new Promise((r) => setTimeout(r, 150))
    expect((await folded()).deltas).toBeGreaterThan(0)
  })
})
