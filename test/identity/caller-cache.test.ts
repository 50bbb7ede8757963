import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createUser, createWorld, type World } from '../helpers/factories'

// The grants cache of a process (src/plugins/auth/caller-cache.ts; without a database: caller-cache-unit.test.ts):
// entries are used for at most 2 s after the read that filled them, and callers in use are re-read in the
// background. Changes made by another process (here: SQL straight to the database, no forgetCaller) must still
// apply within 2 s, also for a caller who keeps calling.
let t: TestApp
let w: World

beforeAll(async () => {
  t = await buildTestApp()
  w = await createWorld(t.db)
})
afterAll(async () => {
  await t.app.close()
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Calls /me as the user every 100 ms until `done` says so or `ms` pass; the time it took. */
async function callUntil(token: string, done: (status: number, body: unknown) => boolean, ms: number) {
  const start = Date.now()
  while (Date.now() - start < ms) {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${token}` },
    })
    if (done(res.statusCode, res.json())) return Date.now() - start
    await sleep(100)
  }
  return Number.POSITIVE_INFINITY
}

describe('grants cached per process', () => {
  it('a grant revoked elsewhere stops working within 2 s for a caller who keeps calling', async () => {
    const userId = await createUser(t.db, { grants: [['clerk', w.branchA]] })
    const token = t.token(userId)
    const hasGrant = (body: unknown) => ((body as { roles?: unknown[] }).roles ?? []).length > 0
    // Keep calling for a while first, so the background re-read has the caller in hand.
    expect(await callUntil(token, (s, b) => s !== 200 || !hasGrant(b), 1500)).toBe(Number.POSITIVE_INFINITY)
    await t.db.execute(sql`delete from role_grants where user_id = ${userId}`)
    const took = await callUntil(token, (s, b) => s === 200 && !hasGrant(b), 4000)
    expect(took).toBeLessThanOrEqual(2300)
  })

  it('a user disabled elsewhere gets 401 within 2 s', async () => {
    const userId = await createUser(t.db, { grants: [['clerk', w.branchA]] })
    const token = t.token(userId)
    expect(await callUntil(token, (s) => s !== 200, 1200)).toBe(Number.POSITIVE_INFINITY)
    await t.db.execute(sql`update users set disabled_at = now() where id = ${userId}`)
    expect(await callUntil(token, (s) => s === 401, 4000)).toBeLessThanOrEqual(2300)
  })

  it('a grant made elsewhere applies within 2 s', async () => {
    const userId = await createUser(t.db)
    const token = t.token(userId)
    expect(await callUntil(token, (s) => s !== 200, 1200)).toBe(Number.POSITIVE_INFINITY)
    await t.db.execute(
      sql`insert into role_grants (user_id, role, org_unit_id) values (${userId}, 'clerk', ${w.branchA})`,
    )
    const took = await callUntil(
      token,
      (s, b) => s === 200 && ((b as { roles: unknown[] }).roles ?? []).length > 0,
      4000,
    )
    expect(took).toBeLessThanOrEqual(2300)
  })
})
