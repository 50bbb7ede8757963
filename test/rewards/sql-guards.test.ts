import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { pgErrorCode, rows } from '../../src/db/client'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createWorld, type World } from '../helpers/factories'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})

describe('rewards in the database itself', () => {
  const insert = (unitId: string) =>
    t.db.execute(sql`insert into rewards (org_unit_id, name, points_cost) values (${unitId}, 'cup', 1000)`)

  it('accepts a reward kept by a community office', async () => {
    await expect(insert(w.communityA)).resolves.toBeDefined()
  })

  it('refuses a reward on a branch or a street, whatever path wrote it', async () => {
    for (const unit of [w.branchA, w.street]) {
      const err = await insert(unit).then(
        () => null,
        (e: unknown) => e,
      )
      expect(pgErrorCode(err)).toBe('23514')
    }
  })

  it('refuses moving a reward to a branch', async () => {
    const err = await t.db
      .execute(sql`update rewards set org_unit_id = ${w.branchA} where org_unit_id = ${w.communityA}`)
      .then(
        () => null,
        (e: unknown) => e,
      )
    expect(pgErrorCode(err)).toBe('23514')
  })

  // Issue 16: the redemption functions own stock, points, the yearly limit and "still reserved", and answer a
  // refusal as a row. One signature each: the positional ones they had before are dropped (rewards.sql).
  it('the redemption functions take one jsonb command each; no older overload lingers', async () => {
    const found = await rows<{ f: string }>(
      t.db,
      sql`select p.oid::regprocedure::text as f from pg_proc p
          where p.proname in ('redemption_reserve', 'redemption_end') order by 1`,
    )
    expect(found.map((r) => r.f)).toEqual(['redemption_end(jsonb)', 'redemption_reserve(jsonb)'])
  })

  it('a refusal is a row, not an error, and writes nothing', async () => {
    const missing = '00000000-0000-7000-8000-00000000dead'
    const ended = await rows(
      t.db,
      sql`select * from redemption_end(${JSON.stringify({ id: missing, ending: 'cancel', status: 'cancelled' })}::jsonb)`,
    )
    expect(ended).toEqual([{ outcome: 'refused', code: 'invalid_state', detail: { status: 'missing' } }])
    const before = await rows<{ n: string }>(t.db, sql`select count(*) as n from idempotency_keys`)
    const reserved = await rows(
      t.db,
      sql`select * from redemption_reserve(${JSON.stringify({
        userId: missing,
        key: 'never-stored',
        memberId: w.memberA.memberId,
        rewardId: missing,
        quantity: 1,
        amount: 100,
      })}::jsonb)`,
    )
    expect(reserved).toEqual([
      { outcome: 'refused', code: 'out_of_stock', detail: { available: 0 }, stored: null },
    ])
    expect(await rows(t.db, sql`select count(*) as n from idempotency_keys`)).toEqual(before)
  })
})
