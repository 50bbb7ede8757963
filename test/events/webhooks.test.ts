import { sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { one, rows, transaction } from '../../src/db/client'
import { recordEvent, startEventWorker } from '../../src/modules/events'
import { buildTestApp, type TestApp } from '../helpers/app'
import { createMemberUser, createWorld, type World } from '../helpers/factories'
import { startReceiver, until } from './receiver'

let t: TestApp
let strict: TestApp
let w: World
const BASE_MS = 5

beforeAll(async () => {
  t = await buildTestApp({
    webhookAllowPrivateNetworks: true,
    beforeReady: (app) =>
      startEventWorker(app, {
        intervalMs: 20,
        retryBaseMs: BASE_MS,
        retryMaxMs: 5_000,
        allowPrivateNetworks: true,
      }),
  })
  // The same database, as a server without WEBHOOK_ALLOW_PRIVATE_NETWORKS (and no worker).
  strict = await buildTestApp()
  w = await createWorld(t.db)
})

afterAll(async () => {
  await t.app.close()
  await strict.app.close()
})

async function createHook(
  as: string,
  body: { orgUnitId: string; url: string; eventTypes: string[]; description?: string },
  app = t,
) {
  return app.call({ method: 'POST', url: '/api/v1/webhooks', as, payload: body })
}

async function adjust(memberId: string, amount: string) {
  const res = await t.call({
    method: 'POST',
    url: '/api/v1/ledger/adjustments',
    as: w.secretaryA,
    headers: { 'idempotency-key': crypto.randomUUID() },
    payload: { memberId, amount, reason: '补记' },
  })
  expect(res.statusCode, res.body).toBe(201)
  return res.json().id as string
}

async function deliveries(hookId: string, as = w.secretaryA) {
  const res = await t.call({ method: 'GET', url: `/api/v1/webhooks/${hookId}/deliveries`, as })
  expect(res.statusCode, res.body).toBe(200)
  return res.json().items as {
    eventId: string
    status: string
    attempts: number
    nextAttemptAt: string | null
    lastStatusCode: number | null
    attemptLog: { attempt: number; at: string; statusCode: number | null }[]
  }[]
}

describe('webhooks', () => {
  it('create answers the secret once; deliveries are signed the Standard Webhooks way and verify with standardwebhooks', async () => {
    const rx = await startReceiver()
    try {
      const created = await createHook(w.secretaryA, {
        orgUnitId: w.branchA,
        url: rx.url,
        eventTypes: ['points.posted'],
        description: '积分到账',
      })
      expect(created.statusCode, created.body).toBe(201)
      const hook = created.json()
      expect(hook.secret).toMatch(/^whsec_/)
      const got = await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, as: w.secretaryA })
      expect(got.json()).not.toHaveProperty('secret')
      // Stored sealed, never in clear; the audit trail does not have it either.
      const stored = await one<{ s: string }>(
        t.db,
        sql`select secret_sealed as s from webhooks where id = ${hook.id}`,
      )
      expect(stored!.s).toMatch(/^pii1\./)
      const audit = await rows(
        t.db,
        sql`select after::text as a from audit_events where target_id = ${hook.id}`,
      )
      expect(JSON.stringify(audit)).not.toContain(hook.secret.slice(6))

      const m = await createMemberUser(t.db, w.branchA)
      const txId = await adjust(m.memberId, '3.00')
      const [r] = await until(async () => rx.received.length > 0 && rx.received)
      const payload = new Webhook(hook.secret).verify(r!.body, r!.headers) as Record<string, unknown>
      expect(payload).toMatchObject({
        type: 'points.posted',
        orgUnitId: w.branchA,
        subject: { type: 'member', id: m.memberId },
        data: { transactionId: txId, amount: '3.00', kind: 'adjustment' },
      })
      expect(r!.headers['webhook-id']).toBe(payload.id)
      // A wrong secret or an altered body does not verify.
      expect(() =>
        new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(r!.body, r!.headers),
      ).toThrow()
      expect(() => new Webhook(hook.secret).verify(r!.body.replace('3.00', '9.00'), r!.headers)).toThrow()

      // Rotation: a new secret, shown once; the next delivery verifies with it and not with the old one.
      const rotated = await t.call({
        method: 'POST',
        url: `/api/v1/webhooks/${hook.id}/rotate-secret`,
        as: w.secretaryA,
      })
      expect(rotated.statusCode, rotated.body).toBe(200)
      expect(rotated.json().secret).not.toBe(hook.secret)
      await adjust(m.memberId, '1.00')
      const second = await until(async () => rx.received.length > 1 && rx.received[1])
      expect(new Webhook(rotated.json().secret).verify(second.body, second.headers)).toMatchObject({
        data: { amount: '1.00' },
      })
      expect(() => new Webhook(hook.secret).verify(second.body, second.headers)).toThrow()
    } finally {
      await rx.close()
    }
  })

  it('a receiver answering 500 ten times then 200 gets the event on the 11th try, with the backoff visible', async () => {
    const rx = await startReceiver((_r, n) => (n <= 10 ? 500 : 200))
    try {
      const hook = (
        await createHook(w.secretaryA, { orgUnitId: w.branchA, url: rx.url, eventTypes: ['points.posted'] })
      ).json()
      const m = await createMemberUser(t.db, w.branchA)
      await adjust(m.memberId, '2.00')
      const pendingSeen = await until(async () => {
        const [d] = await deliveries(hook.id)
        return d && d.status === 'pending' && d.lastStatusCode === 500 && d
      })
      expect(pendingSeen.nextAttemptAt).toEqual(expect.any(String))
      expect(pendingSeen.lastStatusCode).toBe(500)
      const done = await until(async () => {
        const [d] = await deliveries(hook.id)
        return d?.status === 'delivered' && d
      }, 60_000)
      expect(done.attempts).toBe(11)
      expect(done.nextAttemptAt).toBeNull()
      expect(done.attemptLog.map((a) => a.statusCode)).toEqual([...Array(10).fill(500), 200])
      // Each wait is at least half of base * 2^(n-1) (exponential, with up to 50 % jitter off), so they grow.
      const at = done.attemptLog.map((a) => new Date(a.at).getTime())
      for (let i = 1; i < at.length; i++) {
        expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(Math.floor(0.5 * BASE_MS * 2 ** (i - 1)))
      }
      expect(at[10]! - at[9]!).toBeGreaterThan(at[2]! - at[1]!)
      expect(rx.received).toHaveLength(11)
      expect(new Set(rx.received.map((r) => r.headers['webhook-id'])).size).toBe(1)
    } finally {
      await rx.close()
    }
  }, 90_000)

  it('events about one subject arrive in order, even when the first must be retried', async () => {
    let firstId: string | undefined
    const rx = await startReceiver((r) => {
      const id = JSON.parse(r.body).id as string
      firstId ??= id
      // The first event fails twice; the second would be due long before its retry.
      return id === firstId && rx.received.filter((x) => JSON.parse(x.body).id === id).length <= 2 ? 503 : 200
    })
    try {
      const hook = (
        await createHook(w.secretaryA, { orgUnitId: w.branchA, url: rx.url, eventTypes: ['points.posted'] })
      ).json()
      const m = await createMemberUser(t.db, w.branchA)
      await adjust(m.memberId, '1.00')
      await adjust(m.memberId, '2.00')
      await until(
        async () => (await deliveries(hook.id)).filter((d) => d.status === 'delivered').length === 2,
      )
      const ok = rx.received.filter((_r, i) => i >= 2).map((r) => JSON.parse(r.body).data.amount)
      expect(rx.received.map((r) => JSON.parse(r.body).data.amount)).toEqual(['1.00', '1.00', '1.00', '2.00'])
      expect(ok).toEqual(['1.00', '2.00'])
    } finally {
      await rx.close()
    }
  })

  it('a subscription on a unit receives only events of its subtree', async () => {
    const rxA = await startReceiver()
    const rxB = await startReceiver()
    try {
      const a = await createHook(w.admin, {
        orgUnitId: w.communityA,
        url: rxA.url,
        eventTypes: ['points.posted'],
      })
      const b = await createHook(w.secretaryB, {
        orgUnitId: w.branchB,
        url: rxB.url,
        eventTypes: ['points.posted'],
      })
      expect([a.statusCode, b.statusCode]).toEqual([201, 201])
      // A secretary of a branch cannot subscribe to the community above it.
      const above = await createHook(w.secretaryA, {
        orgUnitId: w.communityA,
        url: rxA.url,
        eventTypes: ['points.posted'],
      })
      expect(above.statusCode).toBe(404)
      const m = await createMemberUser(t.db, w.branchA)
      await adjust(m.memberId, '4.00')
      await until(async () => rxA.received.length > 0)
      // The dispatcher has passed the event: B got nothing of it.
      await new Promise((r) => setTimeout(r, 300))
      expect(rxA.events().map((e) => e.subject)).toEqual([{ type: 'member', id: m.memberId }])
      expect(rxB.received).toHaveLength(0)
    } finally {
      await rxA.close()
      await rxB.close()
    }
  })

  it('an event written in a transaction that rolls back is never delivered nor listed', async () => {
    const m = await createMemberUser(t.db, w.branchA)
    await expect(
      transaction(t.db, async (tx) => {
        await recordEvent(tx, {
          type: 'points.posted',
          orgUnitId: w.branchA,
          subject: { type: 'member', id: m.memberId },
          memberId: m.memberId,
          data: { amount: '1.00' },
        })
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    expect(await rows(t.db, sql`select id from events where subject_id = ${m.memberId}`)).toEqual([])
  })

  it('refuses URLs resolving to loopback, private or link-local addresses unless allowed', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://10.1.2.3/hook',
      'http://192.168.1.10/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://[::1]/hook',
      'http://[fe80::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
    ]) {
      const res = await createHook(
        w.secretaryA,
        { orgUnitId: w.branchA, url, eventTypes: ['points.posted'] },
        strict,
      )
      expect(res.statusCode, url).toBe(400)
      expect(res.json().errors[0].field, url).toBe('url')
    }
    expect(
      (
        await createHook(
          w.secretaryA,
          { orgUnitId: w.branchA, url: 'ftp://example.org/x', eventTypes: ['points.posted'] },
          strict,
        )
      ).statusCode,
    ).toBe(400)
    // Allowed, then checked again at delivery: a server without the setting refuses to connect.
    const created = await createHook(w.secretaryA, {
      orgUnitId: w.branchA,
      url: 'http://127.0.0.1:9/hook',
      eventTypes: ['points.posted'],
    })
    expect(created.statusCode).toBe(201)
    const { postEvent } = await import('../../src/modules/events/delivery')
    const refused = await postEvent(
      'http://127.0.0.1:9/hook',
      created.json().secret,
      {
        id: crypto.randomUUID(),
        type: 'points.posted',
        occurredAt: '',
        orgUnitId: w.branchA,
        subject: { type: 'member', id: w.memberA.memberId },
        data: {},
      },
      { timeoutMs: 1000, allowPrivateNetworks: false },
    )
    expect(refused).toMatchObject({ ok: false, statusCode: null })
    expect(refused.error).toMatch(/loopback, private or link-local/)
    await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${created.json().id}`, as: w.secretaryA })
  })

  it('manages webhooks by unit subtree: pause and resume, list, redeliver, delete', async () => {
    const rx = await startReceiver()
    try {
      const hook = (
        await createHook(w.secretaryA, { orgUnitId: w.branchA, url: rx.url, eventTypes: ['points.posted'] })
      ).json()
      // Outside the subtree: 404; without the role: 403.
      expect(
        (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, as: w.secretaryB })).statusCode,
      ).toBe(404)
      expect(
        (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, as: w.clerkA })).statusCode,
      ).toBe(403)
      expect(
        (await createHook(w.secretaryB, { orgUnitId: w.branchA, url: rx.url, eventTypes: ['points.posted'] }))
          .statusCode,
      ).toBe(404)
      const listB = await t.call({ method: 'GET', url: '/api/v1/webhooks', as: w.secretaryB })
      expect(listB.json().items.map((x: { id: string }) => x.id)).not.toContain(hook.id)
      const listA = await t.call({ method: 'GET', url: '/api/v1/webhooks?limit=200', as: w.secretaryA })
      expect(listA.json().items.map((x: { id: string }) => x.id)).toContain(hook.id)

      const paused = await t.call({
        method: 'PATCH',
        url: `/api/v1/webhooks/${hook.id}`,
        as: w.secretaryA,
        payload: { status: 'paused' },
      })
      expect(paused.json()).toMatchObject({ status: 'paused' })
      const m = await createMemberUser(t.db, w.branchA)
      await adjust(m.memberId, '1.00')
      await until(async () => (await deliveries(hook.id)).length === 1)
      await new Promise((r) => setTimeout(r, 200))
      expect(rx.received).toHaveLength(0)
      const resumed = await t.call({
        method: 'PATCH',
        url: `/api/v1/webhooks/${hook.id}`,
        as: w.secretaryA,
        payload: { status: 'active' },
      })
      expect(resumed.json()).toMatchObject({ status: 'active' })
      await until(async () => rx.received.length === 1)
      const eventId = rx.events()[0]!.id
      await until(async () => (await deliveries(hook.id))[0]?.status === 'delivered')

      const again = await t.call({
        method: 'POST',
        url: `/api/v1/webhooks/${hook.id}/events/${eventId}/redeliver`,
        as: w.secretaryA,
      })
      expect(again.statusCode, again.body).toBe(202)
      expect(again.json()).toMatchObject({ eventId, status: 'pending' })
      await until(async () => rx.received.length === 2)
      expect(rx.received[1]!.headers['webhook-id']).toBe(eventId)
      // An event of another branch is not this webhook's to redeliver: branch B's secretary adjusts member B,
      // which writes a points.posted event of branch B.
      const adjusted = await t.call({
        method: 'POST',
        url: '/api/v1/ledger/adjustments',
        as: w.secretaryB,
        headers: { 'idempotency-key': crypto.randomUUID() },
        payload: { memberId: w.memberB.memberId, amount: '1.00', reason: '补记' },
      })
      expect(adjusted.statusCode, adjusted.body).toBe(201)
      const foreign = await one<{ id: string }>(
        t.db,
        sql`select id from events where org_path not like (select path from org_units where id = ${w.branchA}) || '%' limit 1`,
      )
      expect(foreign, 'an event outside branch A').toBeTruthy()
      const r = await t.call({
        method: 'POST',
        url: `/api/v1/webhooks/${hook.id}/events/${foreign!.id}/redeliver`,
        as: w.secretaryA,
      })
      expect(r.statusCode).toBe(404)

      const del = await t.call({ method: 'DELETE', url: `/api/v1/webhooks/${hook.id}`, as: w.secretaryA })
      expect(del.statusCode).toBe(204)
      expect(
        (await t.call({ method: 'GET', url: `/api/v1/webhooks/${hook.id}`, as: w.secretaryA })).statusCode,
      ).toBe(404)
      const actions = await rows<{ action: string }>(
        t.db,
        sql`select action from audit_events where target_id = ${hook.id} order by at, id`,
      )
      expect(actions.map((a) => a.action)).toEqual([
        'webhook.create',
        'webhook.paused',
        'webhook.resumed',
        'webhook.redeliver',
        'webhook.delete',
      ])
    } finally {
      await rx.close()
    }
  })
})
