import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one, rows, transaction } from '../../src/db/client'
import * as repo from '../../src/modules/ledger/repo'
import { postClaimResults, prepareHold } from '../../src/modules/ledger/service'
import { buildTestApp, type TestApp } from '../helpers/app'
import { openTestDatabase } from '../helpers/db'
import { createMember, createWorld, type World } from '../helpers/factories'
import { accountState, award, countTransactions, postClaims, unbalancedTransactions } from '../helpers/ledger'
import { refusal } from '../helpers/refusal'
import { balance, endRedemption, reserveFor } from '../helpers/rewards'

/**
 * The ledger as production posts to it: claim results through postClaimResults (a round's finalize), holds and
 * their settlement through the redemption counter (redemption_reserve / redemption_end, which call
 * ledger_post), and ledger_post's own guards where no API reaches them.
 */

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const claim = (memberId: string, amountCents: number, claimId = crypto.randomUUID()) => ({
  memberId,
  claimId,
  amountCents,
  memo: 'claim',
  effectiveDate: '2026-03-01',
})

/** A hold as the clerk's counter makes it; answers the redemption id. */
async function hold(memberId: string, cents: number): Promise<string> {
  const res = await reserveFor(t, w.clerkA, w.communityA, memberId, cents)
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id
}

describe('claim results (postClaimResults, as finalize posts them)', () => {
  it('a member with no postings has zero everywhere', async () => {
    const m = await createMember(t.db, w.branchA)
    expect(await balance(t.db, m)).toEqual({ balance: 0, held: 0, available: 0, lifetimeEarned: 0 })
  })

  it('posts a claim result once: a second call returns the first transaction with created=false', async () => {
    const m = await createMember(t.db, w.branchA)
    const c = claim(m, 1250)
    const first = (await postClaims(t.db, [c])).get(c.claimId)!
    const again = (await postClaims(t.db, [c])).get(c.claimId)!
    expect(first.created).toBe(true)
    expect(again).toEqual({ transactionId: first.transactionId, created: false })
    expect(await balance(t.db, m)).toEqual({ balance: 1250, held: 0, available: 1250, lifetimeEarned: 1250 })
    // The branch issuance account is the other side.
    const issuance = await one<{ amount: string; unit: string }>(
      t.db,
      sql`select e.amount, a.org_unit_id as unit from ledger_entries e join ledger_accounts a on a.id = e.account_id
          where e.transaction_id = ${first.transactionId} and a.kind = 'issuance'`,
    )
    expect(issuance).toEqual({ amount: '-1250', unit: w.branchA })
  })

  it('the same claim posted 10 times at once through two pools: one transaction, the others created=false', async () => {
    const other = await openTestDatabase({ poolSize: 5 })
    const m = await createMember(t.db, w.branchA)
    const c = claim(m, 400)
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        postClaims((i % 2 ? other : t.database).db, [c]).then((r) => r.get(c.claimId)!),
      ),
    )
    expect(results.filter((r) => r.created)).toHaveLength(1)
    expect(new Set(results.map((r) => r.transactionId)).size).toBe(1)
    expect(await balance(t.db, m)).toMatchObject({ balance: 400 })
  })

  it('a batch posts every claim in one statement: each member chain steps once per claim, in the given order', async () => {
    const [a, b] = [await createMember(t.db, w.branchA), await createMember(t.db, w.gridA)]
    const claims = [claim(b, 100), claim(a, 200), claim(b, -30), claim(a, 5), claim(b, 7)]
    const posted = await postClaims(t.db, claims)
    expect([...posted.values()].every((p) => p.created)).toBe(true)
    expect(await balance(t.db, a)).toMatchObject({ balance: 205, lifetimeEarned: 205 })
    expect(await balance(t.db, b)).toMatchObject({ balance: 77, lifetimeEarned: 77 })
    const chain = await rows<{ id: string; seq: string; balanceAfter: string }>(
      t.db,
      sql`select t.id, t.chain_seq as seq, e.balance_after as "balanceAfter"
          from ledger_transactions t join ledger_entries e on e.transaction_id = t.id and e.account_id = t.account_id
          where t.member_id = ${b} order by t.chain_seq`,
    )
    expect(chain).toEqual([
      { id: posted.get(claims[0]!.claimId)!.transactionId, seq: '1', balanceAfter: '100' },
      { id: posted.get(claims[2]!.claimId)!.transactionId, seq: '2', balanceAfter: '70' },
      { id: posted.get(claims[4]!.claimId)!.transactionId, seq: '3', balanceAfter: '77' },
    ])
    // Posted again with one new claim: the old ones are found (created=false), only the new one is written.
    const more = claim(a, 1)
    const again = await postClaims(t.db, [...claims, more])
    expect([...again.values()].filter((p) => p.created)).toHaveLength(1)
    expect(again.get(more.claimId)!.created).toBe(true)
    expect(await accountState(t.db, a)).toMatchObject({ balance: 206, sumAmount: 206 })
    const verify = await t.call({
      method: 'GET',
      url: `/api/v1/ledger/verify?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
    })
    expect(verify.json()).toMatchObject({ ok: true, problems: [] })
  })

  it('refuses a zero or fractional result before writing anything; an unknown member is not_found', async () => {
    const m = await createMember(t.db, w.branchA)
    for (const cents of [0, 0.5]) {
      expect(await refusal(postClaims(t.db, [claim(m, 100), claim(m, cents)]))).toMatchObject({
        code: undefined,
        message: 'a claim result must be a non-zero integer of hundredths',
      })
    }
    expect(await refusal(postClaims(t.db, [claim(m, 100), claim(crypto.randomUUID(), 100)]))).toMatchObject({
      code: 'not_found',
    })
    expect(await countTransactions(t.db, m)).toBe(0)
  })

  it('a posting rolls back with the caller transaction', async () => {
    const m = await createMember(t.db, w.branchA)
    await expect(
      transaction(t.db, async (tx) => {
        await postClaimResults(tx, null, [claim(m, 100)])
        throw new Error('caller failed')
      }),
    ).rejects.toThrow('caller failed')
    expect(await balance(t.db, m)).toMatchObject({ balance: 0 })
    expect(await countTransactions(t.db, m)).toBe(0)
  })
})

describe('holds and their settlement (the redemption counter)', () => {
  it('a deduction may take the balance below zero; then the counter holds nothing, nor does ledger_post', async () => {
    const m = await createMember(t.db, w.gridA)
    await award(t.db, m, 500)
    await award(t.db, m, -800)
    expect(await balance(t.db, m)).toMatchObject({ balance: -300, available: -300, lifetimeEarned: -300 })
    // The counter answers below_threshold first (lifetime earned under the default threshold of 0.00) ...
    const res = await reserveFor(t, w.clerkA, w.communityA, m, 1)
    expect(res.statusCode).toBe(422)
    expect(res.json().code).toBe('below_threshold')
    // ... and ledger_post's conditional update would refuse the hold anyway: no row, nothing written.
    const prepared = prepareHold(null, {
      memberId: m,
      redemptionId: crypto.randomUUID(),
      amountCents: 1,
      memo: 'x',
    })
    expect(await transaction(t.db, (tx) => repo.post(tx, prepared))).toBeUndefined()
    expect(await countTransactions(t.db, m, 'hold')).toBe(0)
  })

  it('hold, then fulfil: points leave for the community redemption account; lifetimeEarned unchanged', async () => {
    const m = await createMember(t.db, w.branchA)
    await award(t.db, m, 1000)
    const r = await hold(m, 600)
    expect(await balance(t.db, m)).toEqual({ balance: 1000, held: 600, available: 400, lifetimeEarned: 1000 })
    const short = await reserveFor(t, w.clerkA, w.communityA, m, 401)
    expect([short.statusCode, short.json().code]).toEqual([422, 'insufficient_points'])
    const fulfilled = await endRedemption(t, w.clerkA, r, 'fulfil')
    expect(fulfilled.statusCode, fulfilled.body).toBe(200)
    expect(await balance(t.db, m)).toEqual({ balance: 400, held: 0, available: 400, lifetimeEarned: 1000 })
    const counter = await one<{ amount: string; kind: string; unit: string }>(
      t.db,
      sql`select e.amount, a.kind, a.org_unit_id as unit
          from ledger_transactions p join ledger_entries e on e.transaction_id = p.id
          join ledger_accounts a on a.id = e.account_id
          where p.reference_id = ${r} and p.kind = 'post' and a.member_id is null`,
    )
    expect(counter).toEqual({ amount: '600', kind: 'redemption', unit: w.communityA })
    for (const action of ['fulfil', 'cancel'] as const) {
      const again = await endRedemption(t, w.clerkA, r, action)
      expect([again.statusCode, again.json().code]).toEqual([409, 'invalid_state'])
    }
    expect(await accountState(t.db, m)).toMatchObject({ balance: 400, held: 0, sumAmount: 400, sumHeld: 0 })
    expect(await unbalancedTransactions(t.db, m)).toEqual([])
  })

  it('a deduction while points are held may leave available negative; the hold can still be fulfilled', async () => {
    const m = await createMember(t.db, w.branchA)
    await award(t.db, m, 1000)
    const r = await hold(m, 800)
    await award(t.db, m, -500)
    expect(await balance(t.db, m)).toMatchObject({ balance: 500, held: 800, available: -300 })
    const short = await reserveFor(t, w.clerkA, w.communityA, m, 1)
    expect([short.statusCode, short.json().code]).toEqual([422, 'insufficient_points'])
    expect((await endRedemption(t, w.clerkA, r, 'fulfil')).statusCode).toBe(200)
    expect(await balance(t.db, m)).toMatchObject({ balance: -300, held: 0, available: -300 })
    expect(await accountState(t.db, m)).toMatchObject({ sumAmount: -300, sumHeld: 0 })
  })

  it('hold, then cancel: points are available again, once', async () => {
    const m = await createMember(t.db, w.branchA)
    await award(t.db, m, 300)
    const r = await hold(m, 300)
    expect(
      await refusal(
        Promise.resolve().then(() =>
          prepareHold(null, { memberId: m, redemptionId: r, amountCents: 0.5, memo: 'x' }),
        ),
      ),
    ).toMatchObject({ code: undefined, message: 'a hold must be a positive integer of hundredths' })
    expect((await endRedemption(t, w.clerkA, r, 'cancel')).statusCode).toBe(200)
    expect(await balance(t.db, m)).toEqual({ balance: 300, held: 0, available: 300, lifetimeEarned: 300 })
    const again = await endRedemption(t, w.clerkA, r, 'cancel')
    expect([again.statusCode, again.json().code]).toEqual([409, 'invalid_state'])
    const none = await endRedemption(t, w.clerkA, crypto.randomUUID(), 'cancel')
    expect([none.statusCode, none.json().code]).toEqual([404, 'not_found'])
    expect(await countTransactions(t.db, m, 'void')).toBe(1)
  })

  it('a second hold for the same redemption is refused by ledger_post (ledger_transactions_hold_uq)', async () => {
    const m = await createMember(t.db, w.branchA)
    await award(t.db, m, 1000)
    const r = await hold(m, 100)
    const again = prepareHold(null, { memberId: m, redemptionId: r, amountCents: 100, memo: 'again' })
    expect(await refusal(transaction(t.db, (tx) => repo.post(tx, again)))).toMatchObject({
      code: '23505',
      constraint: 'ledger_transactions_hold_uq',
    })
    expect(await balance(t.db, m)).toMatchObject({ held: 100 })
  })
})
