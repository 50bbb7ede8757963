import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createUser, createWorld, type World } from '../helpers/factories'
import { award, countTransactions } from '../helpers/ledger'
import { refusal } from '../helpers/refusal'

/**
 * Security issue 15, medium: a secretary could credit their own member record through createAdjustment (and
 * reverse their own deductions). Nobody corrects their own points: 403 recused, as verification and scoring
 * already do; another secretary over the member still may.
 */
let t: TestApp
let w: World
let selfSecretary: string
let selfMember: string

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
  // A branch secretary who is also a party member of that branch, with one login for both.
  selfMember = await createMember(t.db, w.branchA, { name: '王书记' })
  selfSecretary = await createUser(t.db, {
    memberId: selfMember,
    grants: [
      ['secretary', w.branchA],
      ['member', w.branchA],
    ],
  })
})

const adjust = (as: string, memberId: string, amount: string) =>
  t.call({
    method: 'POST',
    url: '/api/v1/ledger/adjustments',
    as,
    headers: { 'idempotency-key': crypto.randomUUID() },
    payload: { memberId, amount, reason: '补录' },
  })

describe('nobody adjusts or reverses their own points', () => {
  it('an adjustment of one’s own member record is 403 recused and posts nothing', async () => {
    const before = await countTransactions(t.db, selfMember)
    const res = await adjust(selfSecretary, selfMember, '100.00')
    expect(res.statusCode, res.body).toBe(403)
    expect(res.json().code).toBe('recused')
    expect(await countTransactions(t.db, selfMember)).toBe(before)
    // The same secretary adjusts someone else's, and another secretary over the branch adjusts theirs.
    const other = await createMember(t.db, w.branchA)
    expect((await adjust(selfSecretary, other, '1.00')).statusCode).toBe(201)
    expect((await adjust(w.secretaryA, selfMember, '1.00')).statusCode).toBe(201)
  })

  it('reversing a deduction of one’s own record is 403 recused; another secretary may', async () => {
    await award(t.db, selfMember, 500)
    const deduction = await adjust(w.secretaryA, selfMember, '-3.00')
    expect(deduction.statusCode).toBe(201)
    const reverse = (as: string) =>
      t.call({
        method: 'POST',
        url: `/api/v1/ledger/transactions/${deduction.json().id}/reverse`,
        as,
        headers: { 'idempotency-key': crypto.randomUUID() },
        payload: { reason: '撤销扣分' },
      })
    const own = await reverse(selfSecretary)
    expect(own.statusCode, own.body).toBe(403)
    expect(own.json().code).toBe('recused')
    expect(await countTransactions(t.db, selfMember, 'reversal')).toBe(0)
    expect((await reverse(w.secretaryA)).statusCode).toBe(201)
  })
})

describe('getLedgerTransaction checks scope in the same read', () => {
  it('a transaction outside the caller’s scope answers exactly like a random id', async () => {
    const txId = await award(t.db, w.memberB.memberId, 100)
    const outside = await t.call({
      method: 'GET',
      url: `/api/v1/ledger/transactions/${txId}`,
      as: w.secretaryA,
    })
    const random = await t.call({
      method: 'GET',
      url: `/api/v1/ledger/transactions/${crypto.randomUUID()}`,
      as: w.secretaryA,
    })
    expect(outside.statusCode).toBe(404)
    expect(outside.json()).toEqual(random.json())
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/ledger/transactions/${txId}`, as: w.secretaryB }))
        .statusCode,
    ).toBe(200)
    expect(
      (await t.call({ method: 'GET', url: `/api/v1/ledger/transactions/${txId}`, as: w.memberB.userId }))
        .statusCode,
    ).toBe(200)
  })
})

describe('the database refuses a correction by the member it moves', () => {
  it('an adjustment row whose actor is the member’s own login: 23514, whoever writes it', async () => {
    const insert = sql`insert into ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, reason,
                         effective_date, actor_user_id)
                       values (gen_random_uuid(), 'adjustment', ${selfMember}, gen_random_uuid(), 1, 'x', 'x', 'x',
                               current_date, ${selfSecretary})`
    expect(await refusal(t.db.execute(insert))).toMatchObject({
      code: '23514',
      constraint: 'ledger_transactions_recused_chk',
    })
  })
})
