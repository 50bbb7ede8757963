import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { rows } from '../../src/db/client'
import { newId } from '../../src/shared/ids'
import { buildTestApp, type TestApp } from '../helpers/app'

// Rows written on every command get time-ordered ids (UUID version 7), so their indexes take new keys on the
// rightmost page instead of a random one (migration 0027 has the WAL measurement). These guard the ordering.
const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

let t: TestApp
beforeAll(async () => {
  t = await buildTestApp()
})

describe('time-ordered ids', () => {
  it("the service's ids are RFC 9562 version 7 and sort in the order they were made", async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      ids.push(newId())
      await new Promise((r) => setTimeout(r, 2))
    }
    for (const id of ids) expect(id).toMatch(V7)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("the database's uuid_v7() default does the same for audit events and stock movements", async () => {
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      ids.push((await rows<{ id: string }>(t.db, sql`select uuid_v7()::text as id`))[0]!.id)
      await new Promise((r) => setTimeout(r, 2))
    }
    for (const id of ids) expect(id).toMatch(V7)
    expect([...ids].sort()).toEqual(ids)
    const defaults = await rows<{ table: string; def: string }>(
      t.db,
      sql`select table_name as "table", column_default as def from information_schema.columns
          where column_name = 'id' and table_name in ('audit_events', 'reward_stock_movements') order by 1`,
    )
    expect(defaults).toEqual([
      { table: 'audit_events', def: 'uuid_v7()' },
      { table: 'reward_stock_movements', def: 'uuid_v7()' },
    ])
  })
})
