import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import { cappedRubric } from '../helpers/rubrics'
import { claim, endPublicity, finalize, openRound, panel, scoreOk } from '../helpers/scoring'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

/** A closed round (quorum 1, scored by secretary A) over the branch's submitted claims, publicity over. */
async function closedRound(w: World, rubricId: string, panelUserIds: string[], points: Map<string, string>) {
  const round = await openRound(t, w, { rubricId, panelUserIds, publicityDays: 0, quorum: 1 })
  for (const [id, p] of points) await scoreOk(t, w.secretaryA, round.id, id, p)
  const closed = await t.call({
    method: 'POST',
    url: `/api/v1/scoring-rounds/${round.id}/close`,
    as: w.secretaryA,
  })
  expect(closed.statusCode, closed.body).toBe(200)
  await endPublicity(t.db, round.id)
  return round.id as string
}

const verify = async (w: World) =>
  (
    await t.call({ method: 'GET', url: `/api/v1/ledger/verify?orgUnitId=${w.branchA}`, as: w.secretaryA })
  ).json()

describe('finalize posts a round in batches (several claims per member)', () => {
  it('several claims of one member in one round: caps in claim order, one chain step each, the ledger verifies', async () => {
    const w = await createWorld(t.db)
    const rubricId = await cappedRubric(t, w, { name: 'batch' })
    const panelUserIds = await panel(t.db, w)
    const m2 = await createMemberUser(t.db, w.branchA)
    const a = w.memberA
    const points = new Map<string, string>()
    for (let i = 0; i < 3; i++) {
      const c = await claim(t, a.userId, { memberId: a.memberId, rubricId, itemCode: 'CARE', quantity: 2 })
      points.set(c.id, '4.00')
    }
    const d = await claim(t, w.secretaryA, {
      memberId: a.memberId,
      rubricId,
      itemCode: 'ABSENCE',
      quantity: 1,
    })
    points.set(d.id, '-2.00')
    const c2 = await claim(t, m2.userId, { memberId: m2.memberId, rubricId, itemCode: 'CARE', quantity: 1 })
    points.set(c2.id, '2.00')
    const roundId = await closedRound(w, rubricId, panelUserIds, points)

    const res = await finalize(t, w.secretaryA, roundId)
    expect(res.statusCode, res.body).toBe(200)
    // memberA: CARE 4 + 2 (+0, capped) - 2; m2: CARE 2. The capped-to-zero claim posts nothing.
    expect(res.json()).toEqual({ posted: 4, totalPoints: '6.00' })
    const care = await rows<{
      awarded: string
      cappedAmount: string
      capReason: string | null
      tx: string | null
    }>(
      t.db,
      sql`select awarded, capped_amount as "cappedAmount", cap_reason as "capReason", ledger_transaction_id as tx
          from claims where round_id = ${roundId} and member_id = ${a.memberId} and item_code = 'CARE' order by id`,
    )
    expect(care.map((c) => c.awarded)).toEqual(['400', '200', '0'])
    expect(care[1]).toMatchObject({
      cappedAmount: '200',
      capReason: expect.stringContaining('4.00 already posted'),
    })
    expect(care[2]).toMatchObject({ cappedAmount: '400', tx: null })
    // The member's chain moved one version per posting, consecutively, and the cache matches the entries.
    const chain = await rows<{ seq: string }>(
      t.db,
      sql`select chain_seq as seq from ledger_transactions where member_id = ${a.memberId} order by chain_seq`,
    )
    expect(chain.map((c) => c.seq)).toEqual(['1', '2', '3'])
    const bal = (
      await t.call({ method: 'GET', url: `/api/v1/members/${a.memberId}/balance`, as: a.userId })
    ).json()
    expect(bal).toMatchObject({ balance: '4.00' })
    expect(await verify(w)).toMatchObject({ ok: true, problemCount: 0, checkedTransactions: 4 })
    // One audit event per claim, as before.
    const audit = await rows<{ n: string }>(
      t.db,
      sql`select count(*) as n from audit_events where action = 'claim.posted'
          and target_id in (select id from claims where round_id = ${roundId})`,
    )
    expect(audit[0]!.n).toBe('5')
  })

  it('two rounds of one member finalized at once through two processes: the yearly cap holds across them', async () => {
    const w = await createWorld(t.db)
    const rubricId = await cappedRubric(t, w, { name: 'batch' })
    const panelUserIds = await panel(t.db, w)
    const a = w.memberA
    const rounds: string[] = []
    for (let r = 0; r < 2; r++) {
      const points = new Map<string, string>()
      for (let i = 0; i < 2; i++) {
        const c = await claim(t, a.userId, { memberId: a.memberId, rubricId, itemCode: 'CARE', quantity: 2 })
        points.set(c.id, '4.00')
      }
      rounds.push(await closedRound(w, rubricId, panelUserIds, points))
    }
    const other = await buildTestApp()
    const results = await Promise.all([
      finalize(t, w.secretaryA, rounds[0]!),
      finalize(other, w.secretaryA, rounds[1]!),
    ])
    expect(results.map((r) => r.statusCode)).toEqual([200, 200])
    // 16.00 asked, 6.00 allowed in the year whichever round went first.
    const total = results.reduce((s, r) => s + Number(r.json().totalPoints.replace('.', '')), 0)
    expect(total).toBe(600)
    const bal = (
      await t.call({ method: 'GET', url: `/api/v1/members/${a.memberId}/balance`, as: a.userId })
    ).json()
    expect(bal).toMatchObject({ balance: '6.00' })
    expect(await verify(w)).toMatchObject({ ok: true, problemCount: 0, checkedTransactions: 2 })
    await other.app.close()
  })
})
