import { beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, uniq, type World } from '../helpers/factories'
import { endRedemption, givePoints, idemKey, redeem, stockedReward } from '../helpers/rewards'
import { activeRubric, claim, endPublicity, finalize, openRound, scoreOk } from '../helpers/scoring'

/**
 * Issue 17: ledger memos are written in the service's language, one wording per kind of posting, and what a
 * program needs (kind, the claim, redemption or transaction referred to) is in fields of its own on every
 * ledger answer: the member's ledger rows and the transaction.
 */

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

interface Row {
  transactionId: string
  kind: string
  memo: string
  referenceType: string | null
  referenceId: string | null
}

async function ledgerOf(memberId: string): Promise<Row[]> {
  const res = await t.call({
    method: 'GET',
    url: `/api/v1/members/${memberId}/ledger?limit=200`,
    as: w.secretaryA,
  })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items
}

async function transaction(id: string) {
  const res = await t.call({ method: 'GET', url: `/api/v1/ledger/transactions/${id}`, as: w.secretaryA })
  expect(res.statusCode, res.body).toBe(200)
  return res.json()
}

describe('ledger memos (issue 17)', () => {
  it('a scoring result names the rubric item in Chinese; the claim is the reference', async () => {
    const rubricId = await activeRubric(t, w)
    const rubric = (
      await t.call({ method: 'GET', url: `/api/v1/rubrics/${rubricId}`, as: w.secretaryA })
    ).json()
    const item = rubric.items.find((i: { kind: string }) => i.kind !== 'deduction') as {
      code: string
      name: string
    }
    const c = await claim(t, w.memberA.userId, {
      memberId: w.memberA.memberId,
      rubricId,
      itemCode: item.code,
      quantity: '1',
    })
    const round = await openRound(t, w, {
      rubricId,
      panelUserIds: [w.secretaryA],
      publicityDays: 0,
      quorum: 1,
    })
    await scoreOk(t, w.secretaryA, round.id, c.id, c.ceiling)
    const closed = await t.call({
      method: 'POST',
      url: `/api/v1/scoring-rounds/${round.id}/close`,
      as: w.secretaryA,
    })
    expect(closed.statusCode, closed.body).toBe(200)
    await endPublicity(t.db, round.id)
    expect((await finalize(t, w.secretaryA, round.id)).statusCode).toBe(200)

    const [row] = (await ledgerOf(w.memberA.memberId)).filter((r) => r.referenceId === c.id)
    expect(row).toMatchObject({
      kind: 'award',
      referenceType: 'claim',
      memo: `评分结果：${item.name}（${item.code}）`,
    })
    expect(row!.memo).not.toMatch(/[A-Za-z]{3,} [a-z]/) // no English sentence around the item code
    expect(await transaction(row!.transactionId)).toMatchObject({
      kind: 'award',
      memo: row!.memo,
      referenceType: 'claim',
      referenceId: c.id,
    })
  })

  it('an adjustment says 调整 with its reason; its reversal says 冲正 with what it takes back', async () => {
    const adjusted = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { memberId: w.memberA.memberId, amount: '2.00', reason: '补记楼道消毒' },
    })
    expect(adjusted.statusCode, adjusted.body).toBe(201)
    expect(adjusted.json()).toMatchObject({
      kind: 'adjustment',
      memo: '调整：补记楼道消毒',
      reason: '补记楼道消毒',
      referenceType: null,
      referenceId: null,
    })
    const reversed = await t.call({
      method: 'POST',
      url: `/api/v1/ledger/transactions/${adjusted.json().id}/reverse`,
      as: w.secretaryA,
      headers: { 'idempotency-key': idemKey() },
      payload: { reason: '重复计分' },
    })
    expect(reversed.statusCode, reversed.body).toBe(201)
    expect(reversed.json()).toMatchObject({
      kind: 'reversal',
      memo: '冲正：调整：补记楼道消毒',
      reason: '重复计分',
      referenceType: 'transaction',
      referenceId: adjusted.json().id,
    })
    const ids = [adjusted.json().id, reversed.json().id]
    const rows = (await ledgerOf(w.memberA.memberId)).filter((r) => ids.includes(r.transactionId))
    expect(rows.map((r) => [r.kind, r.memo, r.referenceType, r.referenceId])).toEqual([
      ['reversal', '冲正：调整：补记楼道消毒', 'transaction', adjusted.json().id],
      ['adjustment', '调整：补记楼道消毒', null, null],
    ])
  })

  it('a redemption reserves, hands out and releases in Chinese, each posting referring to the redemption', async () => {
    const m = w.memberA.memberId
    await givePoints(t.db, m, 10_000)
    const name = uniq('大米 5kg')
    const reward = await stockedReward(t, w.clerkA, w.communityA, { pointsCost: '5.00', stock: 5, name })
    const fulfilled = (await redeem(t, w.clerkA, { memberId: m, rewardId: reward.id, quantity: 2 })).json()
    const cancelled = (await redeem(t, w.clerkA, { memberId: m, rewardId: reward.id })).json()
    expect((await endRedemption(t, w.clerkA, fulfilled.id, 'fulfil')).statusCode).toBe(200)
    expect((await endRedemption(t, w.clerkA, cancelled.id, 'cancel')).statusCode).toBe(200)

    const rows = (await ledgerOf(m)).filter((r) => r.referenceType === 'redemption')
    const of = (id: string) => rows.filter((r) => r.referenceId === id).map((r) => [r.kind, r.memo])
    expect(of(fulfilled.id)).toEqual([
      ['post', `兑换领取：${name} × 2`],
      ['hold', `兑换预留：${name} × 2`],
    ])
    expect(of(cancelled.id)).toEqual([
      ['void', `兑换取消：${name} × 1`],
      ['hold', `兑换预留：${name} × 1`],
    ])
    const post = rows.find((r) => r.kind === 'post')!
    expect(await transaction(post.transactionId)).toMatchObject({
      kind: 'post',
      memo: `兑换领取：${name} × 2`,
      referenceType: 'redemption',
      referenceId: fulfilled.id,
    })
  })
})
