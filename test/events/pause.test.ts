import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows } from '../../src/db/client'
import { backoffMs, runDeliveries, workerSettings } from '../../src/modules/events/worker'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import { startReceiver } from './receiver'

let t: TestApp
let w: World

beforeAll(async () => {
  // No worker: this file drives the delivery steps itself, with a retry window of a few milliseconds.
  t = await buildTestApp({ webhookAllowPrivateNetworks: true })
  w = await createWorld(t.db)
})
afterAll(() => t.app.close())

describe('a webhook that keeps failing', () => {
  it('fails each delivery after the retry window, then pauses itself after repeated failures, audited', async () => {
    const rx = await startReceiver(() => 500)
    try {
      const hook = (
        await t.call({
          method: 'POST',
          url: '/api/v1/webhooks',
          as: w.secretaryA,
          payload: { orgUnitId: w.branchA, url: rx.url, eventTypes: ['points.posted'] },
        })
      ).json()
      const m = await createMemberUser(t.db, w.branchA)
      for (const amount of ['1.00', '2.00', '3.00']) {
        const r = await t.call({
          method: 'POST',
          url: '/api/v1/ledger/adjustments',
          as: w.secretaryA,
          headers: { 'idempotency-key': crypto.randomUUID() },
          payload: { memberId: m.memberId, amount, reason: '补记' },
        })
        expect(r.statusCode).toBe(201)
      }
      const s = workerSettings({
        retryBaseMs: 1,
        retryMaxMs: 1,
        retryWindowMs: 0,
        pauseAfterFailures: 2,
        allowPrivateNetworks: true,
      })
      for (let i = 0; i < 6; i++) await runDeliveries(t.db, t.app.pii, s)
      const statuses = await rows<{ status: string; attempts: number }>(
        t.db,
        sql`select status, attempts from webhook_deliveries where webhook_id = ${hook.id} order by seq`,
      )
      // Two failed (one attempt each, the window being over at once), then the webhook paused: the third waits.
      expect(statuses).toEqual([
        { status: 'failed', attempts: 1 },
        { status: 'failed', attempts: 1 },
        { status: 'pending', attempts: 0 },
      ])
      const got = await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, as: w.secretaryA })
      expect(got.json()).toMatchObject({
        status: 'paused',
        consecutiveFailures: 2,
        pausedReason: expect.any(String),
      })
      const audit = await one<{ actor: string | null; after: { status: string } }>(
        t.db,
        sql`select actor_user_id as actor, after from audit_events where target_id = ${hook.id} and action = 'webhook.paused'`,
      )
      expect(audit).toMatchObject({ actor: null, after: { status: 'paused' } })
      expect(rx.received).toHaveLength(2)
    } finally {
      await rx.close()
    }
  })

  it('backs off exponentially with jitter, capped', () => {
    const s = { retryBaseMs: 1000, retryMaxMs: 60_000 }
    expect(backoffMs(1, s, () => 0)).toBe(500)
    expect(backoffMs(1, s, () => 1)).toBe(1000)
    expect(backoffMs(4, s, () => 1)).toBe(8000)
    expect(backoffMs(20, s, () => 1)).toBe(60_000)
  })
})
