import { sql } from 'drizzle-orm'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Database } from '../../src/db/client'
import { one } from '../../src/db/client'
import { recordAudit } from '../../src/modules/audit/writer'
import { idempotent } from '../../src/plugins/idempotency'
import type { Caller } from '../../src/shared/authz'
import { DomainError } from '../../src/shared/errors'
import { openTestDatabase } from '../helpers/db'
import { createWorld, type World } from '../helpers/factories'

let a: Database
let b: Database
let w: World
let caller: Caller

beforeAll(async () => {
  a = await openTestDatabase({ poolSize: 10 })
  b = await openTestDatabase({ poolSize: 10 })
  w = await createWorld(a.db)
  caller = { userId: w.admin, username: 'admin', memberId: null, residentId: null, grants: [] }
})

async function count(targetId: string): Promise<number> {
  const row = await one<{ n: string }>(
    a.db,
    sql`select count(*) as n from audit_events where target_id = ${targetId}`,
  )
  return Number(row!.n)
}

/** The guarded work: writes one audit row, returns a fresh random answer so replays are visible. */
function work(targetId: string) {
  return async (tx: Database['db']) => {
    await new Promise((r) => setTimeout(r, 20))
    await recordAudit(tx, caller, { action: 'test.work', targetType: 'reward', targetId })
    return { status: 201, body: { targetId, nonce: Math.random().toString(36) } }
  }
}

describe('idempotent()', () => {
  it('10 concurrent requests with one key through two pools do the work once and answer identically', async () => {
    const target = crypto.randomUUID()
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        idempotent((i % 2 ? a : b).db, caller, `k-${target}`, 'op', { x: 1 }, work(target)),
      ),
    )
    expect(await count(target)).toBe(1)
    expect(new Set(results.map((r) => JSON.stringify([r.status, r.body]))).size).toBe(1)
    expect(results.filter((r) => !r.replayed)).toHaveLength(1)
  })

  it('the same key with another body is 409 idempotency_key_reused and does nothing', async () => {
    const target = crypto.randomUUID()
    await idempotent(a.db, caller, `k-${target}`, 'op', { x: 1 }, work(target))
    await expect(idempotent(a.db, caller, `k-${target}`, 'op', { x: 2 }, work(target))).rejects.toMatchObject(
      {
        code: 'idempotency_key_reused',
        status: 409,
      },
    )
    expect(await count(target)).toBe(1)
  })

  it('key order in the body does not matter; keys are per user', async () => {
    const target = crypto.randomUUID()
    const first = await idempotent(a.db, caller, `k-${target}`, 'op', { x: 1, y: 2 }, work(target))
    const again = await idempotent(a.db, caller, `k-${target}`, 'op', { y: 2, x: 1 }, work(target))
    expect(again).toEqual({ ...first, replayed: true })
    const other = { ...caller, userId: w.secretaryA }
    await idempotent(a.db, other, `k-${target}`, 'op', { x: 1, y: 2 }, work(target))
    expect(await count(target)).toBe(2)
  })

  it('a refusal is stored and replayed; the work it began is rolled back', async () => {
    const target = crypto.randomUUID()
    let calls = 0
    const refuse = async (tx: Database['db']) => {
      calls++
      await recordAudit(tx, caller, { action: 'test.half', targetType: 'reward', targetId: target })
      throw new DomainError('insufficient_points', 'short')
    }
    await expect(idempotent(a.db, caller, `k-${target}`, 'op', {}, refuse)).rejects.toMatchObject({
      code: 'insufficient_points',
    })
    await expect(idempotent(a.db, caller, `k-${target}`, 'op', {}, refuse)).rejects.toMatchObject({
      code: 'insufficient_points',
    })
    expect(calls).toBe(1)
    expect(await count(target)).toBe(0)
  })

  it('an unexpected failure leaves no key, so a retry does the work', async () => {
    const target = crypto.randomUUID()
    await expect(
      idempotent(a.db, caller, `k-${target}`, 'op', {}, async (tx) => {
        await recordAudit(tx, caller, { action: 'test.crash', targetType: 'reward', targetId: target })
        throw new Error('crash')
      }),
    ).rejects.toThrow('crash')
    expect(await count(target)).toBe(0)
    const retry = await idempotent(a.db, caller, `k-${target}`, 'op', {}, work(target))
    expect(retry.replayed).toBe(false)
    expect(await count(target)).toBe(1)
  })
})

describe('recordAudit()', () => {
  it('stores who, what, where and the before/after images', async () => {
    const target = crypto.randomUUID()
    await recordAudit(a.db, caller, {
      action: 'member.update',
      targetType: 'member',
      targetId: target,
      orgUnitId: w.branchA,
      before: { name: 'a' },
      after: { name: 'b' },
    })
    const row = await one<Record<string, unknown>>(
      a.db,
      sql`select e.actor_user_id as actor, e.action, e.before, e.after, e.org_path = u.path as "pathOk"
          from audit_events e join org_units u on u.id = e.org_unit_id where e.target_id = ${target}`,
    )
    expect(row).toEqual({
      actor: w.admin,
      action: 'member.update',
      before: { name: 'a' },
      after: { name: 'b' },
      pathOk: true,
    })
  })
})
