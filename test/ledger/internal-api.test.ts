import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Database, one, transaction } from '../../src/db/client'
import {
  captureHold,
  getBalanceCents,
  holdPoints,
  postClaimResult,
  releaseHold,
} from '../../src/modules/ledger/service'
import { openTestDatabase } from '../helpers/db'
import { createMember, createWorld, type World } from '../helpers/factories'
import { accountState, award, countTransactions, unbalancedTransactions } from '../helpers/ledger'
import { refusal } from '../helpers/refusal'

let database: Database
let w: World

beforeAll(async () => {
  database = await openTestDatabase()
  w = await createWorld(database.db)
})

const hold = (memberId: string, redemptionId: string, amountCents: number) =>
  transaction(database.db, (tx) =>
    holdPoints(tx, null, { memberId, redemptionId, amountCents, memo: 'hold' }),
  )

describe('ledger internal API', () => {
  it('a member with no postings has zero everywhere', async () => {
    const m = await createMember(database.db, w.branchA)
    expect(await getBalanceCents(database.db, m)).toEqual({
      balance: 0,
      held: 0,
      available: 0,
      lifetimeEarned: 0,
    })
  })

  it('posts a claim result once: a second call returns the first transaction with created=false', async () => {
    const m = await createMember(database.db, w.branchA)
    const claimId = crypto.randomUUID()
    const p = { memberId: m, claimId, amountCents: 1250, memo: 'claim', effectiveDate: '2026-03-01' }
    const first = await transaction(database.db, (tx) => postClaimResult(tx, null, p))
    const again = await transaction(database.db, (tx) => postClaimResult(tx, null, p))
    expect(first.created).toBe(true)
    expect(again).toEqual({ transactionId: first.transactionId, created: false })
    expect(await getBalanceCents(database.db, m)).toEqual({
      balance: 1250,
      held: 0,
      available: 1250,
      lifetimeEarned: 1250,
    })
    // The branch issuance account is the other side.
    const issuance = await one<{ amount: string; unit: string }>(
      database.db,
      sql`select e.amount, a.org_unit_id as unit from ledger_entries e join ledger_accounts a on a.id = e.account_id
          where e.transaction_id = ${first.transactionId} and a.kind = 'issuance'`,
    )
    expect(issuance).toEqual({ amount: '-1250', unit: w.branchA })
  })

  it('the same claim posted 10 times at once through two pools: one transaction, the others created=false', async () => {
    const other = await openTestDatabase({ poolSize: 5 })
    const m = await createMember(database.db, w.branchA)
    const p = {
      memberId: m,
      claimId: crypto.randomUUID(),
      amountCents: 400,
      memo: 'c',
      effectiveDate: '2026-03-01',
    }
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        transaction((i % 2 ? other : database).db, (tx) => postClaimResult(tx, null, p)),
      ),
    )
    expect(results.filter((r) => r.created)).toHaveLength(1)
    expect(new Set(results.map((r) => r.transactionId)).size).toBe(1)
    expect(await getBalanceCents(database.db, m)).toMatchObject({ balance: 400 })
  })

  it('a deduction may take the balance below zero; then holds fail with insufficient_points', async () => {
    const m = await createMember(database.db, w.gridA)
    await award(database.db, m, 500)
    await award(database.db, m, -800)
    expect(await getBalanceCents(database.db, m)).toMatchObject({
      balance: -300,
      available: -300,
      lifetimeEarned: -300,
    })
    await expect(hold(m, crypto.randomUUID(), 1)).rejects.toMatchObject({
      code: 'insufficient_points',
      status: 422,
    })
    expect(await countTransactions(database.db, m, 'hold')).toBe(0)
  })

  it('hold, then capture: points leave for the community redemption account; lifetimeEarned unchanged', async () => {
    const m = await createMember(database.db, w.branchA)
    await award(database.db, m, 1000)
    const r = crypto.randomUUID()
    await hold(m, r, 600)
    expect(await getBalanceCents(database.db, m)).toEqual({
      balance: 1000,
      held: 600,
      available: 400,
      lifetimeEarned: 1000,
    })
    await expect(hold(m, crypto.randomUUID(), 401)).rejects.toMatchObject({ code: 'insufficient_points' })
    await transaction(database.db, (tx) =>
      captureHold(tx, null, { redemptionId: r, communityUnitId: w.communityA, memo: 'cup' }),
    )
    expect(await getBalanceCents(database.db, m)).toEqual({
      balance: 400,
      held: 0,
      available: 400,
      lifetimeEarned: 1000,
    })
    await expect(
      transaction(database.db, (tx) =>
        captureHold(tx, null, { redemptionId: r, communityUnitId: w.communityA, memo: 'x' }),
      ),
    ).rejects.toMatchObject({ code: 'invalid_state' })
    await expect(
      transaction(database.db, (tx) => releaseHold(tx, null, { redemptionId: r, memo: 'x' })),
    ).rejects.toMatchObject({ code: 'invalid_state' })
    const state = await accountState(database.db, m)
    expect(state).toMatchObject({ balance: 400, held: 0, sumAmount: 400, sumHeld: 0 })
    expect(await unbalancedTransactions(database.db, m)).toEqual([])
  })

  it('a deduction while points are held may leave available negative; the hold can still be posted', async () => {
    const m = await createMember(database.db, w.branchA)
    await award(database.db, m, 1000)
    const r = crypto.randomUUID()
    await hold(m, r, 800)
    await award(database.db, m, -500)
    expect(await getBalanceCents(database.db, m)).toMatchObject({ balance: 500, held: 800, available: -300 })
    await expect(hold(m, crypto.randomUUID(), 1)).rejects.toMatchObject({ code: 'insufficient_points' })
    await transaction(database.db, (tx) =>
      captureHold(tx, null, { redemptionId: r, communityUnitId: w.communityA, memo: 'hand-over' }),
    )
    expect(await getBalanceCents(database.db, m)).toMatchObject({ balance: -300, held: 0, available: -300 })
    expect(await accountState(database.db, m)).toMatchObject({ sumAmount: -300, sumHeld: 0 })
  })

  it('hold, then release: points are available again, once', async () => {
    const m = await createMember(database.db, w.branchA)
    await award(database.db, m, 300)
    const r = crypto.randomUUID()
    await hold(m, r, 300)
    expect(await refusal(hold(m, r, 0.5 as unknown as number))).toMatchObject({
      code: undefined,
      message: 'a hold must be a positive integer of hundredths',
    })
    await transaction(database.db, (tx) => releaseHold(tx, null, { redemptionId: r, memo: 'cancel' }))
    expect(await getBalanceCents(database.db, m)).toEqual({
      balance: 300,
      held: 0,
      available: 300,
      lifetimeEarned: 300,
    })
    await expect(
      transaction(database.db, (tx) => releaseHold(tx, null, { redemptionId: r, memo: 'again' })),
    ).rejects.toMatchObject({ code: 'invalid_state' })
    await expect(
      transaction(database.db, (tx) =>
        releaseHold(tx, null, { redemptionId: crypto.randomUUID(), memo: 'none' }),
      ),
    ).rejects.toMatchObject({ code: 'invalid_state' })
  })

  it('a second hold for the same redemption is refused and changes nothing', async () => {
    const m = await createMember(database.db, w.branchA)
    await award(database.db, m, 1000)
    const r = crypto.randomUUID()
    await hold(m, r, 100)
    await expect(hold(m, r, 100)).rejects.toMatchObject({ code: 'invalid_state' })
    expect(await getBalanceCents(database.db, m)).toMatchObject({ held: 100 })
  })

  it('a posting rolls back with the caller transaction', async () => {
    const m = await createMember(database.db, w.branchA)
    await expect(
      transaction(database.db, async (tx) => {
        await postClaimResult(tx, null, {
          memberId: m,
          claimId: crypto.randomUUID(),
          amountCents: 100,
          memo: 'x',
          effectiveDate: '2026-01-01',
        })
        throw new Error('caller failed')
      }),
    ).rejects.toThrow('caller failed')
    expect(await getBalanceCents(database.db, m)).toMatchObject({ balance: 0 })
    expect(await countTransactions(database.db, m)).toBe(0)
  })
})
