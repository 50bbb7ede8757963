import { sql } from 'drizzle-orm'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMember, createWorld, uniq, type World } from '../helpers/factories'
import { award } from '../helpers/ledger'
import { balance, endRedemption, reserveFor } from '../helpers/rewards'

/**
 * Model-based property test: random sequences of award, deduct, adjust, reverse, hold, post and void run
 * against the real service on real PostgreSQL, each through the path production runs it (a claim result
 * as finalize posts it, the HTTP corrections, a redemption at the counter and its fulfil or cancel), and
 * against a few lines of in-memory arithmetic. After every step the member's balance, held and
 * lifetimeEarned equal the model, and a hold never leaves available below zero; after every run each
 * transaction sums to zero and verifyLedger finds nothing.
 */

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

interface Account {
  balance: number
  held: number
  earned: number
}
interface Model {
  accounts: Account[]
  holds: { member: number; amount: number; redemptionId: string; state: 'held' | 'post' | 'void' }[]
  postings: { member: number; amount: number; id: string; reversed: boolean }[]
}
interface Real {
  members: string[]
}

async function expectMatches(m: Model, r: Real, member: number) {
  const real = await balance(t.db, r.members[member]!)
  const model = m.accounts[member]!
  expect(real).toEqual({
    balance: model.balance,
    held: model.held,
    available: model.balance - model.held,
    lifetimeEarned: model.earned,
  })
}

class Score implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly member: number,
    readonly amount: number,
  ) {}
  check = () => true
  async run(m: Model, r: Real) {
    const transactionId = await award(t.db, r.members[this.member]!, this.amount, 'score')
    const a = m.accounts[this.member]!
    a.balance += this.amount
    a.earned += this.amount
    m.postings.push({ member: this.member, amount: this.amount, id: transactionId, reversed: false })
    await expectMatches(m, r, this.member)
  }
  toString = () => `${this.amount > 0 ? 'award' : 'deduct'}(${this.member}, ${this.amount})`
}

class Adjust implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly member: number,
    readonly amount: number,
  ) {}
  check = () => true
  async run(m: Model, r: Real) {
    const res = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': uniq('adj') },
      payload: { memberId: r.members[this.member], amount: (this.amount / 100).toFixed(2), reason: 'model' },
    })
    expect(res.statusCode).toBe(201)
    const a = m.accounts[this.member]!
    a.balance += this.amount
    a.earned += this.amount
    m.postings.push({ member: this.member, amount: this.amount, id: res.json().id, reversed: false })
    await expectMatches(m, r, this.member)
  }
  toString = () => `adjust(${this.member}, ${this.amount})`
}

class Reverse implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  check = (m: Readonly<Model>) => m.postings.length > 0
  async run(m: Model, r: Real) {
    const p = m.postings[this.pick % m.postings.length]!
    const res = await t.call({
      method: 'POST',
      url: `/api/v1/ledger/transactions/${p.id}/reverse`,
      as: w.secretaryA,
      headers: { 'idempotency-key': uniq('rev') },
      payload: { reason: 'model' },
    })
    if (p.reversed) {
      expect(res.statusCode).toBe(409)
    } else {
      expect(res.statusCode).toBe(201)
      p.reversed = true
      const a = m.accounts[p.member]!
      a.balance -= p.amount
      a.earned -= p.amount
    }
    await expectMatches(m, r, p.member)
  }
  toString = () => `reverse(#${this.pick})`
}

class Hold implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly member: number,
    readonly amount: number,
  ) {}
  check = () => true
  async run(m: Model, r: Real) {
    const a = m.accounts[this.member]!
    const res = await reserveFor(t, w.clerkA, w.communityA, r.members[this.member]!, this.amount)
    if (a.earned < 0) {
      // The counter's threshold (lifetime earned >= 0.00 by default) answers before the hold is tried.
      expect([res.statusCode, res.json().code]).toEqual([422, 'below_threshold'])
    } else if (a.balance - a.held >= this.amount) {
      expect(res.statusCode, res.body).toBe(201)
      a.held += this.amount
      m.holds.push({ member: this.member, amount: this.amount, redemptionId: res.json().id, state: 'held' })
      // A hold never leaves available below zero.
      expect((await balance(t.db, r.members[this.member]!)).available).toBeGreaterThanOrEqual(0)
    } else {
      expect([res.statusCode, res.json().code]).toEqual([422, 'insufficient_points'])
    }
    await expectMatches(m, r, this.member)
  }
  toString = () => `hold(${this.member}, ${this.amount})`
}

class Settle implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly kind: 'post' | 'void',
    readonly pick: number,
  ) {}
  check = (m: Readonly<Model>) => m.holds.length > 0
  async run(m: Model, r: Real) {
    const h = m.holds[this.pick % m.holds.length]!
    const res = await endRedemption(t, w.clerkA, h.redemptionId, this.kind === 'post' ? 'fulfil' : 'cancel')
    if (h.state !== 'held') {
      expect([res.statusCode, res.json().code]).toEqual([409, 'invalid_state'])
    } else {
      expect(res.statusCode, res.body).toBe(200)
      h.state = this.kind
      const a = m.accounts[h.member]!
      a.held -= h.amount
      if (this.kind === 'post') a.balance -= h.amount
    }
    await expectMatches(m, r, h.member)
  }
  toString = () => `${this.kind}(#${this.pick})`
}

const member = fc.integer({ min: 0, max: 1 })
const cents = fc.integer({ min: 1, max: 3000 })
const commands = [
  fc.tuple(member, cents).map(([i, a]) => new Score(i, a)),
  fc.tuple(member, cents).map(([i, a]) => new Score(i, -a)),
  fc.tuple(member, cents, fc.boolean()).map(([i, a, neg]) => new Adjust(i, neg ? -a : a)),
  fc.nat().map((n) => new Reverse(n)),
  fc.tuple(member, cents).map(([i, a]) => new Hold(i, a)),
  fc.nat().map((n) => new Settle('post', n)),
  fc.nat().map((n) => new Settle('void', n)),
]

describe('ledger model', () => {
  it('random postings agree with an in-memory model; every transaction sums to zero; verify stays ok', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 30, size: 'max' }), async (cmds) => {
        const members = [await createMember(t.db, w.branchA), await createMember(t.db, w.gridA)]
        const model: Model = {
          accounts: members.map(() => ({ balance: 0, held: 0, earned: 0 })),
          holds: [],
          postings: [],
        }
        await fc.asyncModelRun(() => ({ model, real: { members } }), cmds)
        const unbalanced = await one<{ n: string }>(
          t.db,
          sql`select count(*) as n from (
                select t.id from ledger_transactions t join ledger_entries e on e.transaction_id = t.id
                where t.member_id in (${members[0]}, ${members[1]}) group by t.id having sum(e.amount) <> 0) x`,
        )
        expect(unbalanced!.n).toBe('0')
      }),
      { numRuns: 30 },
    )
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/ledger/verify?orgUnitId=${w.branchA}`,
      as: w.secretaryA,
    })
    expect(res.json()).toMatchObject({ ok: true, problems: [] })
    expect(res.json().checkedTransactions).toBeGreaterThan(0)
  })
})
