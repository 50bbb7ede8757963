import { randomUUID } from 'node:crypto'
import { sql } from 'drizzle-orm'
import { expect } from 'vitest'
import { type Db, one, rows } from '../../src/db/client'
import { readBalanceCents } from '../../src/modules/ledger/queries'
import type { TestApp } from './app'
import { uniq } from './factories'
import { postClaims } from './ledger'

/** Gives a member points the way scoring does: the posted result of a fresh claim, dated today. */
export async function givePoints(db: Db, memberId: string, cents: number): Promise<void> {
  await postClaims(db, [
    {
      memberId,
      claimId: randomUUID(),
      amountCents: cents,
      memo: 'test points',
      effectiveDate: new Date().toISOString().slice(0, 10),
    },
  ])
}

/** The member's balance, held, available and lifetimeEarned in cents, read as GET .../balance reads them. */
export async function balance(db: Db, memberId: string) {
  return readBalanceCents(db, memberId)
}

let keys = 0
export const idemKey = () => `rk-${process.pid}-${++keys}-${randomUUID()}`

/** A reward made and stocked through the API, as a clerk would. */
export async function stockedReward(
  t: TestApp,
  clerk: string,
  orgUnitId: string,
  opts: { pointsCost?: string; stock?: number; perMemberLimit?: number | null; name?: string } = {},
): Promise<{ id: string }> {
  const created = await t.call({
    method: 'POST',
    url: '/api/v1/rewards',
    as: clerk,
    payload: {
      orgUnitId,
      name: opts.name ?? uniq('毛巾'),
      pointsCost: opts.pointsCost ?? '10.00',
      ...(opts.perMemberLimit !== undefined ? { perMemberLimit: opts.perMemberLimit } : {}),
    },
  })
  expect(created.statusCode, created.body).toBe(201)
  const id = created.json().id as string
  if (opts.stock) {
    const r = await t.call({
      method: 'POST',
      url: `/api/v1/rewards/${id}/stock`,
      as: clerk,
      headers: { 'idempotency-key': idemKey() },
      payload: { quantity: opts.stock },
    })
    expect(r.statusCode, r.body).toBe(201)
  }
  return { id }
}

export function redeem(t: TestApp, as: string, body: Record<string, unknown>, key = idemKey()) {
  return t.call({
    method: 'POST',
    url: '/api/v1/redemptions',
    as,
    headers: { 'idempotency-key': key },
    payload: body,
  })
}

/**
 * Holds `cents` of a member's points the way production does: the clerk reserves for the member a reward of
 * their community priced at exactly that (one unit in stock), POST /redemptions (redemption_reserve, whose
 * ledger_post holds the points). Answers the response: 201 with the redemption, or the refusal.
 */
export async function reserveFor(
  t: TestApp,
  clerk: string,
  communityId: string,
  memberId: string,
  cents: number,
) {
  const { id: rewardId } = await stockedReward(t, clerk, communityId, {
    pointsCost: (cents / 100).toFixed(2),
    stock: 1,
  })
  return redeem(t, clerk, { memberId, rewardId })
}

/** Fulfils (the held points are posted to the community) or cancels (the hold is voided) a redemption. */
export function endRedemption(t: TestApp, as: string, id: string, action: 'fulfil' | 'cancel') {
  return t.call({ method: 'POST', url: `/api/v1/redemptions/${id}/${action}`, as })
}

export interface StockRow {
  stockOnHand: number
  reserved: number
  available: number
  received: number
  handedOut: number
  writtenOff: number
}

/** The cached counters, after checking they equal what the movement ledger says. */
export async function stockOf(db: Db, rewardId: string): Promise<StockRow> {
  const cached = await one<StockRow>(
    db,
    sql`select stock_on_hand as "stockOnHand", stock_reserved as reserved, stock_available as available,
               stock_received as received, stock_handed_out as "handedOut", stock_written_off as "writtenOff"
        from rewards where id = ${rewardId}`,
  )
  const sums = await one<Record<string, string>>(
    db,
    sql`select coalesce(sum(quantity) filter (where kind = 'received'), 0) as received,
               coalesce(sum(quantity) filter (where kind = 'handed_out'), 0) as "handedOut",
               coalesce(sum(quantity) filter (where kind = 'written_off'), 0) as "writtenOff",
               coalesce(sum(case kind when 'reserved' then quantity when 'released' then -quantity
                                      when 'handed_out' then -quantity else 0 end), 0) as reserved
        from reward_stock_movements where reward_id = ${rewardId}`,
  )
  expect(cached).toBeDefined()
  expect({
    received: cached!.received,
    handedOut: cached!.handedOut,
    writtenOff: cached!.writtenOff,
    reserved: cached!.reserved,
  }).toEqual({
    received: Number(sums!.received),
    handedOut: Number(sums!.handedOut),
    writtenOff: Number(sums!.writtenOff),
    reserved: Number(sums!.reserved),
  })
  return cached!
}

export async function redemptionStatuses(db: Db, rewardId: string): Promise<Record<string, number>> {
  const found = await rows<{ status: string; n: string }>(
    db,
    sql`select status, count(*) as n from redemptions where reward_id = ${rewardId} group by status`,
  )
  return Object.fromEntries(found.map((r) => [r.status, Number(r.n)]))
}

export async function auditCount(db: Db, targetId: string, action?: string): Promise<number> {
  const row = await one<{ n: string }>(
    db,
    sql`select count(*) as n from audit_events where target_id = ${targetId}
        ${action ? sql`and action = ${action}` : sql``}`,
  )
  return Number(row!.n)
}
