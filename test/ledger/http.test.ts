import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { one } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createUser, createWorld, uniq, type World } from '../helpers/factories'
import { accountState, award, countTransactions } from '../helpers/ledger'
import { endRedemption, reserveFor } from '../helpers/rewards'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

const key = () => uniq('key')

function adjust(as: string, memberId: string, amount: unknown, reason: unknown = 'correction', k = key()) {
  return t.call({
    method: 'POST',
    url: '/api/v1/ledger/adjustments',
    as,
    headers: { 'idempotency-key': k },
    payload: { memberId, amount, reason },
  })
}

function reverse(as: string, id: string, reason: unknown = 'mistake', k = key()) {
  return t.call({
    method: 'POST',
    url: `/api/v1/ledger/transactions/${id}/reverse`,
    as,
    headers: { 'idempotency-key': k },
    payload: { reason },
  })
}

async function auditCount(targetId: string) {
  const row = await one<{ n: string }>(
    t.db,
    sql`select count(*) as n from audit_events where target_id = ${targetId}`,
  )
  return Number(row!.n)
}

describe('GET /api/v1/members/{id}/balance', () => {
  it('shows the member and staff in scope balance, held, available and lifetimeEarned as decimals', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await award(t.db, m.memberId, 1250)
    for (const as of [m.userId, w.secretaryA, w.clerkA, w.gridWorkerA, w.admin]) {
      const res = await t.call({ method: 'GET', url: `/api/v1/members/${m.memberId}/balance`, as })
      expect(res.statusCode, as).toBe(200)
      expect(res.json()).toEqual({
        memberId: m.memberId,
        balance: '12.50',
        held: '0.00',
        available: '12.50',
        lifetimeEarned: '12.50',
        volunteerStar: null,
      })
    }
  })

  it('answers 404 outside the caller scope and for another member, 403 without any role', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    for (const as of [w.secretaryB, w.clerkB, w.memberB.userId]) {
      const res = await t.call({ method: 'GET', url: `/api/v1/members/${m.memberId}/balance`, as })
      expect(res.statusCode, as).toBe(404)
      expect(res.json().code).toBe('not_found')
    }
    const nobody = await createUser(t.db)
    const res = await t.call({ method: 'GET', url: `/api/v1/members/${m.memberId}/balance`, as: nobody })
    expect(res.statusCode).toBe(403)
  })
})

describe('POST /api/v1/ledger/adjustments', () => {
  it('a secretary adjusts with a reason: 201 with the entries, balance moves, audit written', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const res = await adjust(w.secretaryA, m.memberId, '5.5', '补录 2026 年 3 月活动')
    expect(res.statusCode).toBe(201)
    const body = res.json()
    expect(body).toMatchObject({
      kind: 'adjustment',
      memberId: m.memberId,
      reason: '补录 2026 年 3 月活动',
      reversedBy: null,
      actorUserId: w.secretaryA,
    })
    expect(body.entries).toHaveLength(2)
    expect(body.entries.map((e: { amount: string }) => e.amount).sort()).toEqual(['-5.50', '5.50'])
    expect(body.entries.find((e: { accountKind: string }) => e.accountKind === 'member').balanceAfter).toBe(
      '5.50',
    )
    expect(body.entries.find((e: { accountKind: string }) => e.accountKind === 'issuance').orgUnitId).toBe(
      w.branchA,
    )
    expect(await accountState(t.db, m.memberId)).toMatchObject({ balance: 550, sumAmount: 550, earned: 550 })
    expect(await auditCount(body.id)).toBe(1)
  })

  it('the same key and body replays the same answer; another body is 409 idempotency_key_reused', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const k = key()
    const first = await adjust(w.secretaryA, m.memberId, 3, 'x', k)
    const again = await adjust(w.secretaryA, m.memberId, 3, 'x', k)
    expect(again.statusCode).toBe(201)
    expect(again.json()).toEqual(first.json())
    expect(again.headers['idempotent-replayed']).toBe('true')
    const other = await adjust(w.secretaryA, m.memberId, 4, 'x', k)
    expect(other.statusCode).toBe(409)
    expect(other.json().code).toBe('idempotency_key_reused')
    expect(await countTransactions(t.db, m.memberId)).toBe(1)
  })

  it('a reason is required (missing, empty or blank is 400) and nothing is written', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    for (const reason of [undefined, '', '   ']) {
      const res = await t.call({
        method: 'POST',
        url: '/api/v1/ledger/adjustments',
        as: w.secretaryA,
        headers: { 'idempotency-key': key() },
        payload:
          reason === undefined
            ? { memberId: m.memberId, amount: '1.00' }
            : { memberId: m.memberId, amount: '1.00', reason },
      })
      expect(res.statusCode, String(reason)).toBe(400)
      expect(res.json().code).toBe('validation_failed')
    }
    expect(await countTransactions(t.db, m.memberId)).toBe(0)
  })

  it('rejects zero, three decimals and unknown fields with 400', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    expect((await adjust(w.secretaryA, m.memberId, '0.00')).statusCode).toBe(400)
    expect((await adjust(w.secretaryA, m.memberId, '1.005')).statusCode).toBe(400)
    const extra = await t.call({
      method: 'POST',
      url: '/api/v1/ledger/adjustments',
      as: w.secretaryA,
      headers: { 'idempotency-key': key() },
      payload: { memberId: m.memberId, amount: 1, reason: 'x', balance: 5 },
    })
    expect(extra.statusCode).toBe(400)
    expect(await countTransactions(t.db, m.memberId)).toBe(0)
  })

  it('members cannot adjust (403, even themselves); other staff roles neither', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    for (const as of [m.userId, w.clerkA, w.gridWorkerA, w.panelistA]) {
      const res = await adjust(as, m.memberId, 100)
      expect(res.statusCode, as).toBe(403)
      expect(res.json().code).toBe('forbidden')
    }
    expect(await countTransactions(t.db, m.memberId)).toBe(0)
  })

  it('a secretary of a community the member only registered with (双报到) sees the balance but cannot adjust', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await t.db.execute(
      sql`insert into member_registrations (member_id, org_unit_id, status, decided_at) values (${m.memberId}, ${w.communityB}, 'accepted', now())`,
    )
    const residential = await createUser(t.db, { grants: [['secretary', w.communityB]] })
    const seen = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/balance`,
      as: residential,
    })
    expect(seen.statusCode).toBe(200)
    const res = await adjust(residential, m.memberId, 100)
    expect(res.statusCode).toBe(404)
    expect(await countTransactions(t.db, m.memberId)).toBe(0)
  })

  it('a secretary of another branch gets 404 for a member outside their scope and writes nothing', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const res = await adjust(w.secretaryB, m.memberId, 100)
    expect(res.statusCode).toBe(404)
    expect(await countTransactions(t.db, m.memberId)).toBe(0)
  })
})

describe('POST /api/v1/ledger/transactions/{id}/reverse', () => {
  it('reverses once with a reason; the second time is 409 invalid_state; lifetimeEarned follows', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const original = await award(t.db, m.memberId, 2000)
    const res = await reverse(w.secretaryA, original, '重复计分')
    expect(res.statusCode).toBe(201)
    expect(res.json()).toMatchObject({
      kind: 'reversal',
      referenceType: 'transaction',
      referenceId: original,
      reason: '重复计分',
    })
    const again = await reverse(w.secretaryA, original, 'again')
    expect(again.statusCode).toBe(409)
    expect(again.json().code).toBe('invalid_state')
    const view = await t.call({
      method: 'GET',
      url: `/api/v1/ledger/transactions/${original}`,
      as: w.secretaryA,
    })
    expect(view.json().reversedBy).toBe(res.json().id)
    const balance = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/balance`,
      as: m.userId,
    })
    expect(balance.json()).toMatchObject({ balance: '0.00', lifetimeEarned: '0.00' })
    expect(await countTransactions(t.db, m.memberId, 'reversal')).toBe(1)
  })

  it('needs a reason, a secretary, and the transaction in scope', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const original = await award(t.db, m.memberId, 100)
    expect((await reverse(w.secretaryA, original, '')).statusCode).toBe(400)
    expect((await reverse(w.secretaryA, original, ' ')).statusCode).toBe(400)
    expect((await reverse(m.userId, original)).statusCode).toBe(403)
    expect((await reverse(w.secretaryB, original)).statusCode).toBe(404)
    expect((await reverse(w.secretaryA, crypto.randomUUID())).statusCode).toBe(404)
    expect(await countTransactions(t.db, m.memberId, 'reversal')).toBe(0)
  })

  it('a reversal itself cannot be reversed', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const original = await award(t.db, m.memberId, 100)
    const reversal = (await reverse(w.secretaryA, original)).json().id
    const res = await reverse(w.secretaryA, reversal)
    expect(res.statusCode).toBe(409)
    expect(res.json().code).toBe('invalid_state')
  })
})

describe('GET /api/v1/members/{id}/ledger', () => {
  it('lists newest first with balanceAfter, pages by cursor, and exports CSV', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await award(t.db, m.memberId, 1000, 'first')
    await award(t.db, m.memberId, -250, 'second')
    await adjust(w.secretaryA, m.memberId, '0.75', 'third')
    const page1 = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger?limit=2`,
      as: m.userId,
    })
    expect(page1.statusCode).toBe(200)
    const p1 = page1.json()
    expect(
      p1.items.map((r: { memo: string; amount: string; balanceAfter: string }) => [
        r.memo,
        r.amount,
        r.balanceAfter,
      ]),
    ).toEqual([
      ['调整：third', '0.75', '8.25'],
      ['second', '-2.50', '7.50'],
    ])
    expect(p1.nextCursor).toEqual(expect.any(String))
    const page2 = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger?limit=2&cursor=${p1.nextCursor}`,
      as: m.userId,
    })
    expect(page2.json().items.map((r: { memo: string }) => r.memo)).toEqual(['first'])
    expect(page2.json().nextCursor).toBeNull()

    const csv = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger`,
      as: w.secretaryA,
      headers: { accept: 'text/csv' },
    })
    expect(csv.statusCode).toBe(200)
    expect(csv.headers['content-type']).toContain('text/csv')
    const lines = csv.body.replace('\uFEFF', '').trim().split('\r\n')
    expect(lines[0]).toBe(
      'createdAt,effectiveDate,kind,amount,balanceAfter,heldChange,heldAfter,memo,transactionId',
    )
    expect(lines).toHaveLength(4)
    expect(lines[1]).toContain(',adjustment,0.75,8.25,')

    // The file operation gives the same file; paging does not apply to it (limit is an unknown parameter there).
    const file = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger.csv?limit=2`,
      as: w.secretaryA,
    })
    expect(file.statusCode, file.body).toBe(200)
    expect(file.headers['content-type']).toBe(csv.headers['content-type'])
    expect(file.headers['content-disposition']).toBe(`attachment; filename="ledger-${m.memberId}.csv"`)
    expect(file.body).toBe(csv.body)
    // from/to apply as on the JSON operation: a period before every row gives the header alone.
    const none = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger.csv?to=2001-01-01`,
      as: m.userId,
    })
    expect(none.body).toBe(
      '\uFEFFcreatedAt,effectiveDate,kind,amount,balanceAfter,heldChange,heldAfter,memo,transactionId\r\n',
    )
  })

  it('shows holds and their settlement as held changes, with the balance untouched until the hand-over', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await award(t.db, m.memberId, 1000)
    const reserved = await reserveFor(t, w.clerkA, w.communityA, m.memberId, 300)
    expect(reserved.statusCode, reserved.body).toBe(201)
    expect((await endRedemption(t, w.clerkA, reserved.json().id, 'fulfil')).statusCode).toBe(200)
    const res = await t.call({ method: 'GET', url: `/api/v1/members/${m.memberId}/ledger`, as: m.userId })
    const rows = res
      .json()
      .items.map((r: Record<string, string>) => [r.kind, r.amount, r.balanceAfter, r.heldChange, r.heldAfter])
    expect(rows).toEqual([
      ['post', '-3.00', '7.00', '-3.00', '0.00'],
      ['hold', '0.00', '10.00', '3.00', '3.00'],
      ['award', '10.00', '10.00', '0.00', '0.00'],
    ])
    const balance = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/balance`,
      as: m.userId,
    })
    expect(balance.json()).toMatchObject({ balance: '7.00', lifetimeEarned: '10.00' })
  })

  it('filters by date and refuses a foreign cursor; 404 outside scope', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await award(t.db, m.memberId, 100)
    const future = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger?from=2099-01-01`,
      as: m.userId,
    })
    expect(future.json().items).toEqual([])
    const today = new Date().toISOString().slice(0, 10)
    const around = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger?from=2000-01-01&to=${today.slice(0, 4)}-12-31`,
      as: m.userId,
    })
    expect(around.json().items).toHaveLength(1)
    const bad = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger?cursor=nope`,
      as: m.userId,
    })
    expect(bad.statusCode).toBe(400)
    const other = await t.call({
      method: 'GET',
      url: `/api/v1/members/${m.memberId}/ledger`,
      as: w.memberB.userId,
    })
    expect(other.statusCode).toBe(404)
  })
})

describe('GET /api/v1/ledger/transactions/{id}', () => {
  it('shows the member their own transaction with all entries; 404 to others out of scope', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    const id = await award(t.db, m.memberId, 300)
    const mine = await t.call({ method: 'GET', url: `/api/v1/ledger/transactions/${id}`, as: m.userId })
    expect(mine.statusCode).toBe(200)
    expect(mine.json()).toMatchObject({ id, kind: 'award', memberId: m.memberId, referenceType: 'claim' })
    expect(mine.json().entries).toHaveLength(2)
    for (const as of [w.memberB.userId, w.secretaryB]) {
      const res = await t.call({ method: 'GET', url: `/api/v1/ledger/transactions/${id}`, as })
      expect(res.statusCode, as).toBe(404)
    }
    const missing = await t.call({
      method: 'GET',
      url: `/api/v1/ledger/transactions/${crypto.randomUUID()}`,
      as: w.admin,
    })
    expect(missing.statusCode).toBe(404)
  })
})

describe('GET /api/v1/ledger/verify', () => {
  it('a sound ledger verifies ok for the secretary of the unit; others get 403 or 404', async () => {
    const world = await createWorld(t.db)
    const m = await createMemberUser(t.db, world.branchA)
    await award(t.db, m.memberId, 1000)
    await adjust(world.secretaryA, m.memberId, -3, 'fix')
    const res = await t.call({
      method: 'GET',
      url: `/api/v1/ledger/verify?orgUnitId=${world.branchA}`,
      as: world.secretaryA,
    })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({
      ok: true,
      checkedTransactions: 2,
      checkedAccounts: 1,
      problemCount: 0,
      problems: [],
    })
    const byDefault = await t.call({ method: 'GET', url: '/api/v1/ledger/verify', as: world.secretaryA })
    expect(byDefault.json()).toMatchObject({ ok: true, checkedTransactions: 2 })
    expect(
      (
        await t.call({
          method: 'GET',
          url: `/api/v1/ledger/verify?orgUnitId=${world.branchA}`,
          as: world.secretaryB,
        })
      ).statusCode,
    ).toBe(404)
    const other = await t.call({ method: 'GET', url: '/api/v1/ledger/verify', as: world.secretaryB })
    expect(other.json()).toMatchObject({ ok: true, checkedTransactions: 0, checkedAccounts: 0 })
    expect((await t.call({ method: 'GET', url: '/api/v1/ledger/verify', as: m.userId })).statusCode).toBe(403)
    expect((await t.call({ method: 'GET', url: '/api/v1/ledger/verify', as: world.clerkA })).statusCode).toBe(
      403,
    )
  })
})
