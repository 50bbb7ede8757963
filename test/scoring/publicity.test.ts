import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld } from '../helpers/factories'
import { refusal } from '../helpers/refusal'
import { cappedRubric } from '../helpers/rubrics'
import {
  activeRubric,
  claim,
  countRows,
  endPublicity,
  finalize,
  openRound,
  panel,
  scoreOk,
} from '../helpers/scoring'

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

/** A closed round in publicity: two claims (memberA 4.00 STUDY, m2 6.00 EPIDEMIC) scored by all three. */
async function closedRound(opts: { publicityDays?: number } = {}) {
  const w = await createWorld(t.db)
  const rubricId = await activeRubric(t, w)
  const panelUserIds = await panel(t.db, w)
  const m2 = await createMemberUser(t.db, w.branchA)
  const c1 = await claim(t, w.memberA.userId, {
    memberId: w.memberA.memberId,
    rubricId,
    itemCode: 'STUDY',
    quantity: 4,
  })
  const c2 = await claim(t, m2.userId, { memberId: m2.memberId, rubricId, itemCode: 'EPIDEMIC', quantity: 6 })
  const round = await openRound(t, w, { rubricId, panelUserIds, publicityDays: opts.publicityDays ?? 5 })
  for (const u of panelUserIds) {
    await scoreOk(t, u, round.id, c1.id, '3.00')
    await scoreOk(t, u, round.id, c2.id, '5.00')
  }
  const closed = await t.call({
    method: 'POST',
    url: `/api/v1/scoring-rounds/${round.id}/close`,
    as: w.secretaryA,
  })
  expect(closed.statusCode, closed.body).toBe(200)
  return { w, rubricId, panelUserIds, m2, c1, c2, round: closed.json() }
}

const object = (as: string, claimId: string, reason = '分数偏低') =>
  t.call({ method: 'POST', url: `/api/v1/claims/${claimId}/objections`, as, payload: { reason } })
const resolve = (as: string, id: string, decision: string, reply = '已核实') =>
  t.call({ method: 'POST', url: `/api/v1/objections/${id}/resolve`, as, payload: { decision, reply } })
const balance = async (as: string, memberId: string) =>
  (await t.call({ method: 'GET', url: `/api/v1/members/${memberId}/balance`, as })).json()

describe('POST /api/v1/claims/{id}/objections', () => {
  it('members of the branch object during publicity, with a reason; nobody else, never outside publicity', async () => {
    const { w, m2, c1, round } = await closedRound()
    const filed = await object(m2.userId, c1.id)
    expect(filed.statusCode, filed.body).toBe(201)
    expect(filed.json()).toMatchObject({
      claimId: c1.id,
      roundId: round.id,
      memberId: m2.memberId,
      status: 'open',
      reply: null,
    })
    const twice = await object(m2.userId, c1.id)
    expect(twice.statusCode).toBe(409)
    expect(twice.json().code).toBe('conflict')
    expect((await object(w.memberB.userId, c1.id)).statusCode).toBe(404)
    expect((await object(w.secretaryA, c1.id)).statusCode).toBe(403)
    expect(
      (
        await t.call({
          method: 'POST',
          url: `/api/v1/claims/${c1.id}/objections`,
          as: m2.userId,
          payload: {},
        })
      ).statusCode,
    ).toBe(400)
    await endPublicity(t.db, round.id)
    const late = await object(m2.userId, c1.id)
    expect(late.statusCode).toBe(409)
    expect(late.json().code).toBe('invalid_state')
    expect(await countRows(t.db, 'objections', sql`claim_id = ${c1.id}`)).toBe(1)
  })

  it('not before the round closes', async () => {
    const w = await createWorld(t.db)
    const rubricId = await activeRubric(t, w)
    const c = await claim(t, w.memberA.userId, {
      memberId: w.memberA.memberId,
      rubricId,
      itemCode: 'STUDY',
      quantity: 1,
    })
    await openRound(t, w, { rubricId, panelUserIds: await panel(t.db, w) })
    expect((await object(w.memberA.userId, c.id)).statusCode).toBe(409)
  })
})

describe('POST /api/v1/objections/{id}/resolve', () => {
  it('upheld keeps the result with a reply; a resolved objection stays resolved', async () => {
    const { w, m2, c1, round } = await closedRound()
    const id = (await object(m2.userId, c1.id)).json().id
    expect((await resolve(w.panelistA, id, 'upheld')).statusCode).toBe(403)
    expect((await resolve(w.secretaryB, id, 'upheld')).statusCode).toBe(404)
    const res = await resolve(w.secretaryA, id, 'upheld', '评分符合细则')
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toMatchObject({
      status: 'upheld',
      reply: '评分符合细则',
      resolvedAt: expect.any(String),
    })
    expect((await resolve(w.secretaryA, id, 'rescore')).json().code).toBe('invalid_state')
    const results = await t.call({
      method: 'GET',
      url: `/api/v1/scoring-rounds/${round.id}/results`,
      as: m2.userId,
    })
    const item = results.json().items.find((i: { claimId: string }) => i.claimId === c1.id)
    expect(item).toMatchObject({
      result: '3.00',
      objections: [expect.objectContaining({ status: 'upheld', reason: '分数偏低' })],
    })
  })

  it('rescore sends the claim back to the panel; after re-close publicity starts again', async () => {
    const { w, panelUserIds, m2, c1, c2, round } = await closedRound({ publicityDays: 2 })
    const id = (await object(m2.userId, c1.id)).json().id
    await t.db.execute(
      sql`update scoring_rounds set publicity_ends_at = now() + interval '1 hour' where id = ${round.id}`,
    )
    const res = await resolve(w.secretaryA, id, 'rescore', '重新评议')
    expect(res.json().status).toBe('rescore')
    const reopened = (
      await t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${round.id}`, as: w.secretaryA })
    ).json()
    expect(reopened).toMatchObject({ status: 'scoring', publicityEndsAt: null })
    expect(reopened.claims.find((c: { claimId: string }) => c.claimId === c1.id)).toMatchObject({
      status: 'scoring',
      scoreCount: 0,
    })
    expect(reopened.claims.find((c: { claimId: string }) => c.claimId === c2.id)).toMatchObject({
      status: 'scored',
    })
    // The other result stays public; the rescored one shows no result or scores meanwhile.
    const during = (
      await t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${round.id}/results`, as: m2.userId })
    ).json()
    expect(during.items.find((i: { claimId: string }) => i.claimId === c1.id)).toMatchObject({
      result: null,
      scores: [],
    })
    expect(during.items.find((i: { claimId: string }) => i.claimId === c2.id).result).toBe('5.00')
    // Only the reopened claim is scored again; finalize must wait.
    expect(
      (
        await t.call({
          method: 'PUT',
          url: `/api/v1/scoring-rounds/${round.id}/claims/${c2.id}/score`,
          as: w.panelistA,
          payload: { time: 1, content: 1, quality: 1, points: '1.00' },
        })
      ).statusCode,
    ).toBe(409)
    expect((await finalize(t, w.secretaryA, round.id)).statusCode).toBe(409)
    expect(
      (
        await t.call({ method: 'POST', url: `/api/v1/scoring-rounds/${round.id}/close`, as: w.secretaryA })
      ).json().code,
    ).toBe('quorum_not_met')
    for (const u of panelUserIds) await scoreOk(t, u, round.id, c1.id, '4.00')
    const again = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(again.statusCode).toBe(200)
    expect(new Date(again.json().publicityEndsAt).getTime()).toBeGreaterThan(Date.now() + 24 * 3600 * 1000)
    const after = (
      await t.call({ method: 'GET', url: `/api/v1/scoring-rounds/${round.id}/results`, as: m2.userId })
    ).json()
    expect(after.items.find((i: { claimId: string }) => i.claimId === c1.id)).toMatchObject({
      result: '4.00',
      status: 'scored',
    })
  })
})

describe('POST /api/v1/scoring-rounds/{id}/finalize', () => {
  it('waits for publicity to end and for every objection to be answered', async () => {
    const { w, m2, c1, round } = await closedRound()
    const early = await finalize(t, w.secretaryA, round.id)
    expect(early.statusCode).toBe(409)
    expect(early.json().code).toBe('invalid_state')
    const objection = (await object(m2.userId, c1.id)).json().id
    await endPublicity(t.db, round.id)
    const blocked = await finalize(t, w.secretaryA, round.id)
    expect(blocked.json()).toMatchObject({ code: 'invalid_state', objectionIds: [objection] })
    const openList = (as: string) =>
      t.call({ method: 'GET', url: `/api/v1/objections?roundId=${round.id}&status=open`, as })
    expect((await openList(w.secretaryA)).json().items.map((o: { id: string }) => o.id)).toEqual([objection])
    expect((await openList(w.secretaryB)).statusCode).toBe(404)
    await resolve(w.secretaryA, objection, 'upheld')
    expect((await openList(w.secretaryA)).json().items).toEqual([])
    expect((await finalize(t, w.panelistA, round.id)).statusCode).toBe(403)
    expect((await finalize(t, w.secretaryB, round.id)).statusCode).toBe(404)
    expect(await countRows(t.db, 'claims', sql`round_id = ${round.id} and status = 'posted'`)).toBe(0)
    const res = await finalize(t, w.secretaryA, round.id)
    expect(res.statusCode, res.body).toBe(200)
    expect(res.json()).toEqual({ posted: 2, totalPoints: '8.00' })
  })

  it('posts each result once to the ledger; the same key replays, another key is refused', async () => {
    const { w, m2, c1, c2, round } = await closedRound()
    await endPublicity(t.db, round.id)
    const first = await finalize(t, w.secretaryA, round.id, 'fin-1')
    expect(first.json()).toEqual({ posted: 2, totalPoints: '8.00' })
    const replay = await finalize(t, w.secretaryA, round.id, 'fin-1')
    expect(replay.statusCode).toBe(200)
    expect(replay.body).toBe(first.body)
    const noKey = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/finalize`,
      as: w.secretaryA,
    })
    expect(noKey.statusCode).toBe(400)
    const other = await finalize(t, w.secretaryA, round.id, 'fin-2')
    expect(other.statusCode).toBe(409)
    expect(await balance(w.secretaryA, w.memberA.memberId)).toMatchObject({
      balance: '3.00',
      lifetimeEarned: '3.00',
    })
    expect(await balance(m2.userId, m2.memberId)).toMatchObject({ balance: '5.00', available: '5.00' })
    const claimRow = (
      await t.call({ method: 'GET', url: `/api/v1/claims/${c1.id}`, as: w.memberA.userId })
    ).json()
    expect(claimRow).toMatchObject({
      status: 'posted',
      result: '3.00',
      awarded: '3.00',
      cappedAmount: '0.00',
      capReason: null,
    })
    expect(claimRow.ledgerTransactionId).toEqual(expect.any(String))
    const state = await one<{ status: string }>(
      t.db,
      sql`select status from scoring_rounds where id = ${round.id}`,
    )
    expect(state!.status).toBe('finalized')
    expect(
      await countRows(
        t.db,
        'audit_events',
        sql`target_id in (${c1.id}, ${c2.id}) and action = 'claim.posted'`,
      ),
    ).toBe(2)
    // A finalized round is over: no close, no objection, no score.
    const closeAgain = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(closeAgain.json().code).toBe('invalid_state')
    expect((await object(m2.userId, c1.id)).statusCode).toBe(409)
    const lateScore = await t.call({
      method: 'PUT',
      url: `/api/v1/scoring-rounds/${round.id}/claims/${c2.id}/score`,
      as: w.panelistA,
      payload: { time: 1, content: 1, quality: 1, points: '1.00' },
    })
    expect(lateScore.statusCode).toBe(409)
    // Posted claims are history, in SQL too.
    expect(await refusal(t.db.execute(sql`update claims set awarded = 1 where id = ${c1.id}`))).toMatchObject(
      { code: 'P0001', message: expect.stringMatching(/is posted and cannot change/) },
    )
    expect(
      await refusal(t.db.execute(sql`update scoring_rounds set status = 'scoring' where id = ${round.id}`)),
    ).toMatchObject({ code: 'P0001', message: expect.stringMatching(/is finalized and cannot change/) })
    await expect(
      t.db.execute(
        sql`insert into claim_scores (claim_id, attempt, panelist_user_id, time, content, quality, points)
            values (${c2.id}, 1, ${w.admin}, 1, 1, 1, 100)`,
      ),
    ).rejects.toMatchObject({ cause: { message: expect.stringContaining('not being scored') } })
    expect(
      await refusal(t.db.execute(sql`delete from claim_scores where claim_id = ${c2.id}`)),
    ).toMatchObject({ code: 'P0001', message: expect.stringMatching(/panel scores are never deleted/) })
  })

  it('two finalizes racing through two processes post every result exactly once', async () => {
    const { w, round, c1, c2 } = await closedRound()
    await endPublicity(t.db, round.id)
    const other = await buildTestApp()
    const results = await Promise.all([
      finalize(t, w.secretaryA, round.id, 'race-a'),
      finalize(other, w.secretaryA, round.id, 'race-b'),
      finalize(t, w.secretaryA, round.id, 'race-c'),
      finalize(other, w.secretaryA, round.id, 'race-d'),
    ])
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409])
    const postings = await rows<{ n: string }>(
      t.db,
      sql`select count(*) as n from claims where id in (${c1.id}, ${c2.id}) and ledger_transaction_id is not null`,
    )
    expect(postings[0]!.n).toBe('2')
    // The ledger itself holds one transaction per claim.
    const ledger = await countRows(
      t.db,
      'ledger_transactions',
      sql`reference_type = 'claim' and reference_id in (${c1.id}, ${c2.id})`,
    )
    expect(ledger).toBe(2)
    expect(await balance(w.secretaryA, w.memberA.memberId)).toMatchObject({ balance: '3.00' })
    await other.app.close()
  })

  it('applies capPerYear per member and item: awards what is left and records the cut and why', async () => {
    const w = await createWorld(t.db)
    const rubricId = await cappedRubric(t, w, { absenceCapPerYear: '3.00' })
    const m = w.memberA
    const ids = [
      (await claim(t, m.userId, { memberId: m.memberId, rubricId, itemCode: 'CARE', quantity: 2 })).id,
      (await claim(t, m.userId, { memberId: m.memberId, rubricId, itemCode: 'CARE', quantity: 2 })).id,
      (await claim(t, w.secretaryA, { memberId: m.memberId, rubricId, itemCode: 'ABSENCE', quantity: 1 })).id,
      (await claim(t, w.secretaryA, { memberId: m.memberId, rubricId, itemCode: 'ABSENCE', quantity: 1 })).id,
    ]
    const panelUserIds = await panel(t.db, w)
    const round = await openRound(t, w, { rubricId, panelUserIds, publicityDays: 0, quorum: 1 })
    for (const [i, id] of ids.entries())
      await scoreOk(t, w.secretaryA, round.id, id, i < 2 ? '4.00' : '-2.00')
    await t.call({ method: 'POST', url: `/api/v1/scoring-rounds/${round.id}/close`, as: w.secretaryA })
    const res = await finalize(t, w.secretaryA, round.id)
    expect(res.json()).toEqual({ posted: 4, totalPoints: '3.00' }) // 4 + 2 - 2 - 1
    const got = await rows<{
      itemCode: string
      awarded: string
      cappedAmount: string
      capReason: string | null
    }>(
      t.db,
      sql`select item_code as "itemCode", awarded, capped_amount as "cappedAmount", cap_reason as "capReason"
          from claims where round_id = ${round.id} order by id`,
    )
    const care = got.filter((g) => g.itemCode === 'CARE')
    expect(care.map((c) => c.awarded).sort()).toEqual(['200', '400'])
    expect(care.find((c) => c.awarded === '200')).toMatchObject({
      cappedAmount: '200',
      capReason: expect.stringContaining('capPerYear 6.00 of CARE'),
    })
    expect(
      got
        .filter((g) => g.itemCode === 'ABSENCE')
        .map((c) => c.awarded)
        .sort(),
    ).toEqual(['-100', '-200'])
    expect(await balance(m.userId, m.memberId)).toMatchObject({ balance: '3.00' })

    // A later round of the same year: the cap is already used up, nothing more is posted for CARE.
    const late = (await claim(t, m.userId, { memberId: m.memberId, rubricId, itemCode: 'CARE', quantity: 1 }))
      .id
    const round2 = await openRound(t, w, { rubricId, panelUserIds, publicityDays: 0, quorum: 1 })
    await scoreOk(t, w.secretaryA, round2.id, late, '2.00')
    await t.call({ method: 'POST', url: `/api/v1/scoring-rounds/${round2.id}/close`, as: w.secretaryA })
    expect((await finalize(t, w.secretaryA, round2.id)).json()).toEqual({ posted: 0, totalPoints: '0.00' })
    const lateClaim = (await t.call({ method: 'GET', url: `/api/v1/claims/${late}`, as: m.userId })).json()
    expect(lateClaim).toMatchObject({
      status: 'posted',
      result: '2.00',
      awarded: '0.00',
      cappedAmount: '2.00',
      ledgerTransactionId: null,
    })
  })
})
