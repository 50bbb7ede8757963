import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import { pgErrorCode } from '../../src/db/client'
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
})
