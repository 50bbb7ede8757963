import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Database, type Db, one, pgConstraint, pgErrorCode, transaction } from '../../src/db/client'
import { canonicalContent } from '../../src/modules/ledger/domain'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { reserveFor } from '../helpers/rewards'

let t: TestApp
let database: Database
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  database = t.database
})

/** A fresh unit with one member and a few postings, so each test verifies only its own data. */
async function ledgerWithPostings() {
  w = await createWorld(database.db)
  const memberId = await createMember(database.db, w.branchA)
  const first = await award(database.db, memberId, 1000)
  const second = await award(database.db, memberId, -200)
  const third = await award(database.db, memberId, 50)
  return { memberId, first, second, third }
}

async function refusal(work: (tx: Db) => Promise<unknown>) {
  try {
    await transaction(database.db, work)
  } catch (err) {
    return {
      code: pgErrorCode(err),
      constraint: pgConstraint(err),
      message: String((err as Error).cause ?? err),
    }
  }
  throw new Error('the database accepted the change')
}

/** Changes data with every ordinary trigger (append-only, deferred checks) switched off, as a DBA could. */
function tamper(work: (tx: Db) => Promise<unknown>) {
  return transaction(database.db, async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`)
    await work(tx)
  })
}

async function verify() {
  const res = await t.call({
    method: 'GET',
    url: `/api/v1/ledger/verify?orgUnitId=${w.branchA}`,
    as: w.secretaryA,
  })
  expect(res.statusCode).toBe(200)
  return res.json() as { ok: boolean; problems: { type: string; transactionId?: string }[] }
}

describe('the database refuses changes to the ledger', () => {
  it('UPDATE and DELETE on entries and transactions, and TRUNCATE, are refused', async () => {
    const { first } = await ledgerWithPostings()
    for (const statement of [
      sql`update ledger_entries set amount = amount + 1 where transaction_id = ${first}`,
      sql`delete from ledger_entries where transaction_id = ${first}`,
      sql`update ledger_transactions set memo = 'edited' where id = ${first}`,
      sql`delete from ledger_transactions where id = ${first}`,
      sql`truncate ledger_entries cascade`,
    ]) {
      const r = await refusal((tx) => tx.execute(statement))
      expect(r.message).toMatch(/append-only/)
    }
    const row = await one<{ n: string }>(
      database.db,
      sql`select count(*) as n from ledger_entries where transaction_id = ${first}`,
    )
    expect(row!.n).toBe('2')
  })

  it('a cached balance changed without an entry is refused at commit', async () => {
    const { memberId } = await ledgerWithPostings()
    const r = await refusal((tx) =>
      tx.execute(sql`update ledger_accounts set balance = balance + 100 where member_id = ${memberId}`),
    )
    expect(r.constraint).toBe('ledger_accounts_cache_justified')
  })

  it('raising held beyond the balance is refused by the hold guard, whatever the TypeScript does', async () => {
    const { memberId } = await ledgerWithPostings()
    const r = await refusal((tx) =>
      tx.execute(sql`update ledger_accounts set held = balance + 1 where member_id = ${memberId}`),
    )
    expect(r).toMatchObject({ code: '23514', constraint: 'ledger_accounts_hold_covered' })
  })

  it('an entry that holds more than is available violates ledger_entries_hold_covered_chk', async () => {
    const { memberId, first } = await ledgerWithPostings()
    const r = await refusal((tx) =>
      tx.execute(sql`insert into ledger_entries (transaction_id, account_id, amount, held_change, account_version, balance_after, held_after)
          select ${first}, id, 0, 900, 99, 850, 900 from ledger_accounts where member_id = ${memberId}`),
    )
    expect(r).toMatchObject({ code: '23514', constraint: 'ledger_entries_hold_covered_chk' })
  })

  it('a transaction whose entries do not sum to zero is refused at commit', async () => {
    const { memberId } = await ledgerWithPostings()
    const r = await refusal(async (tx) => {
      const id = crypto.randomUUID()
      await tx.execute(sql`insert into ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, effective_date)
          select ${id}, 'award', ${memberId}, id, 1000, 'x', 'forged', current_date from ledger_accounts where member_id = ${memberId}`)
      await tx.execute(sql`insert into ledger_entries (transaction_id, account_id, amount)
          select ${id}, id, 100 from ledger_accounts where member_id = ${memberId}`)
    })
    expect(r.constraint).toBe('ledger_transactions_balanced')
  })

  it('a posting through the API still works after all those refusals (a hold within available)', async () => {
    const { memberId } = await ledgerWithPostings()
    const res = await reserveFor(t, w.clerkA, w.communityA, memberId, 850)
    expect(res.statusCode, res.body).toBe(201)
    expect((await verify()).ok).toBe(true)
  })
})

describe('GET /api/v1/ledger/verify finds tampering done with triggers disabled', () => {
  it('an entry amount changed: unbalanced, cached balance, running balance and the hash chain all report it', async () => {
    const { memberId, second } = await ledgerWithPostings()
    expect(await verify()).toMatchObject({ ok: true, problems: [] })
    await tamper((tx) =>
      tx.execute(sql`update ledger_entries set amount = amount + 10000
          where transaction_id = ${second} and account_id = (select id from ledger_accounts where member_id = ${memberId})`),
    )
    const result = await verify()
    expect(result.ok).toBe(false)
    const types = result.problems.map((p) => p.type).sort()
    expect(types).toEqual([
      'balance_mismatch',
      'chain_broken',
      'earned_mismatch',
      'running_balance_mismatch',
      'unbalanced',
    ])
    expect(result.problems.find((p) => p.type === 'chain_broken')?.transactionId).toBe(second)
    expect(result.problems.find((p) => p.type === 'unbalanced')?.transactionId).toBe(second)
  })

  it('a memo rewritten: only the hash chain notices, at exactly that transaction', async () => {
    const { first } = await ledgerWithPostings()
    await tamper((tx) =>
      tx.execute(sql`update ledger_transactions set memo = 'something else' where id = ${first}`),
    )
    const result = await verify()
    expect(result.problems).toEqual([expect.objectContaining({ type: 'chain_broken', transactionId: first })])
  })

  it('a transaction deleted with its entries, and the cache fixed up to hide it: the chain has a gap', async () => {
    const { memberId, second, third } = await ledgerWithPostings()
    await tamper(async (tx) => {
      await tx.execute(sql`delete from ledger_entries where transaction_id = ${second}`)
      await tx.execute(sql`delete from ledger_transactions where id = ${second}`)
      await tx.execute(sql`update ledger_accounts set balance = balance + 200, lifetime_earned = lifetime_earned + 200
          where member_id = ${memberId}`)
    })
    const result = await verify()
    expect(result.ok).toBe(false)
    expect(result.problems).toContainEqual(
      expect.objectContaining({ type: 'chain_broken', transactionId: third }),
    )
    expect(result.problems.map((p) => p.type)).toContain('running_balance_mismatch')
  })
})

describe('one link of the hash chain: ledger_chain_link, the formula ledger_post writes and verify recomputes', () => {
  const content = canonicalContent({
    id: 'A0000000-0000-4000-8000-000000000001',
    kind: 'award',
    memberId: 'b0000000-0000-4000-8000-000000000002',
    memo: '志愿服务',
    reason: null,
    referenceType: 'claim',
    referenceId: 'c0000000-0000-4000-8000-000000000003',
    actorUserId: null,
    amount: 1250,
    heldChange: 0,
    counterAccountId: 'd0000000-0000-4000-8000-000000000004',
    counterAmount: -1250,
  })
  const link = async (previous: string, text: string, date: string) => {
    const row = await one<{ hash: string }>(
      database.db,
      sql`select ledger_chain_link(${previous}, ${text}, ${date}::date) as hash`,
    )
    return row!.hash
  }

  it('depends on the previous hash, the content and the date', async () => {
    const base = await link('', content, '2026-05-01')
    expect(base).toMatch(/^[0-9a-f]{64}$/)
    expect(await link('', content, '2026-05-01')).toBe(base)
    expect(await link('x', content, '2026-05-01')).not.toBe(base)
    expect(await link('', content, '2026-05-02')).not.toBe(base)
    expect(await link('', content.replace('1250', '1251'), '2026-05-01')).not.toBe(base)
    expect(await link('', content.replace('志愿服务', '志愿服务 '), '2026-05-01')).not.toBe(base)
  })
})
