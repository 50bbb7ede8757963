/**
 * Events (issue 20) in `npm run bench` (--only events), or alone: `npx tsx bench/events.ts`.
 *
 * Measures, in one process against a fresh database (vp_bench_events) on BENCH_DATABASE_URL's server:
 * - events written per posting (an adjustment, a redemption cycle, a finalized claim), counted in the outbox;
 * - what the outbox adds to the redemption cycle (create + cancel) and to finalizing a 2,000-claim round: the same
 *   work with recording on and off (setEventRecordingForBenchmark, a switch only this file uses), interleaved in
 *   blocks so that drift of the machine hits both alike. Requests go through app.inject: the whole application
 *   and the database, without the network, so the ratio is the outbox's share of the work itself;
 * - deliveries per second of one process's worker to a local receiver answering 200 at once.
 */

import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { buildApp } from '../src/app'
import { openDatabase, rows, sql } from '../src/db/client'
import { migrate } from '../src/db/migrate'
import { recordEvents, setEventRecordingForBenchmark } from '../src/modules/events'
import { runDeliveries, workerSettings } from '../src/modules/events/worker'
import { parsePiiKey } from '../src/shared/pii'
import { createMemberUser, createUser, createWorld } from '../test/helpers/factories'
import { award } from '../test/helpers/ledger'

export interface EventsBench {
  eventsPerAdjustment: number
  eventsPerRedemptionCycle: number
  eventsPerFinalizedClaim: number
  redemption: { onCyclesPerSec: number; offCyclesPerSec: number; slowdownPct: number }
  finalize: { claims: number; onSeconds: number; offSeconds: number; slowdownPct: number }
  deliveriesPerSec: number
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

export async function eventsBench(adminUrl: string): Promise<EventsBench> {
  const name = 'vp_bench_events'
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ databaseUrl: url.href, timezone: 'Asia/Shanghai', poolSize: 10 })
  await migrate(database)
  const app = await buildApp({
    database,
    jwtSecret: 'bench-events-secret-bench-events-secret-0123',
    piiKeys: [parsePiiKey('7e57'.repeat(16))],
    maxEventLoopDelayMs: 0,
    rateLimitMax: 1_000_000_000,
    webhookAllowPrivateNetworks: true,
  })
  await app.ready()
  const db = database.db
  const call = async (as: string, method: string, path: string, payload?: unknown, key?: string) => {
    const res = await app.inject({
      method: method as 'GET',
      url: `/api/v1${path}`,
      headers: {
        authorization: `Bearer ${app.signAccessToken(as)}`,
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    })
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const count = async () => (await rows<{ n: number }>(db, sql`select count(*)::int as n from events`))[0]!.n
  try {
    const w = await createWorld(db)
    const members = await Promise.all(Array.from({ length: 20 }, () => createMemberUser(db, w.branchA)))
    for (const m of members) await award(db, m.memberId, 10_000_000)

    // Events per posting.
    let before = await count()
    await call(
      w.secretaryA,
      'POST',
      '/ledger/adjustments',
      { memberId: members[0]!.memberId, amount: '1.00', reason: 'bench' },
      randomUUID(),
    )
    const eventsPerAdjustment = (await count()) - before
    const reward = await call(w.clerkA, 'POST', '/rewards', {
      orgUnitId: w.communityA,
      name: '毛巾',
      pointsCost: '1.00',
    })
    await call(w.clerkA, 'POST', `/rewards/${reward.id}/stock`, { quantity: 100_000 }, randomUUID())
    let turn = 0
    const cycle = async () => {
      const m = members[turn++ % members.length]!
      const r = await call(
        m.userId,
        'POST',
        '/redemptions',
        { memberId: m.memberId, rewardId: reward.id },
        randomUUID(),
      )
      await call(m.userId, 'POST', `/redemptions/${r.id}/cancel`, {})
    }
    before = await count()
    await cycle()
    const eventsPerRedemptionCycle = (await count()) - before

    // The redemption cycle with and without the outbox, interleaved blocks of 200 cycles (8 concurrent).
    const block = async (on: boolean) => {
      setEventRecordingForBenchmark(on)
      const n = 200
      const t = performance.now()
      let left = n
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (left-- > 0) await cycle()
        }),
      )
      return n / ((performance.now() - t) / 1000)
    }
    await block(true)
    await block(false)
    const on: number[] = []
    const off: number[] = []
    for (let i = 0; i < 5; i++) {
      on.push(await block(true))
      off.push(await block(false))
    }
    setEventRecordingForBenchmark(true)
    const redemption = {
      onCyclesPerSec: median(on),
      offCyclesPerSec: median(off),
      slowdownPct: (median(off) / median(on) - 1) * 100,
    }

    // Finalize of 2,000 claims, with and without the outbox (two rounds each, alternating).
    const rubric = await rows<{ id: string }>(
      db,
      sql`insert into rubrics (org_unit_id, year, name, status, activated_at, created_by)
          values (${w.branchA}, extract(year from now())::int, 'Bench rubric', 'draft', null, ${w.secretaryA}) returning id`,
    )
    const rubricId = rubric[0]!.id
    await db.execute(sql`insert into rubric_items (rubric_id, code, position, name, kind, unit, points_per_unit,
                           max_per_claim, cap_per_year)
                         values (${rubricId}, 'B01', 1, 'Volunteer service', 'award', 'occurrence', 500, 500, 1000000000)`)
    await db.execute(sql`update rubrics set status = 'active', activated_at = now() where id = ${rubricId}`)
    const roundMembers: string[] = []
    for (let i = 0; i < 2000; i++) roundMembers.push((await createMemberUser(db, w.gridA)).memberId)
    const finalizeOnce = async (recording: boolean) => {
      await db.execute(sql`
        insert into claims (member_id, org_unit_id, rubric_id, item_code, kind, occurred_on, quantity, ceiling, description, created_by)
        select m, ${w.gridA}::uuid, ${rubricId}::uuid, 'B01', 'award', (now() at time zone 'Asia/Shanghai')::date, 1, 500, 'Bench claim', ${w.secretaryA}::uuid
          from unnest(${`{${roundMembers.join(',')}}`}::uuid[]) m`)
      const today = new Date().toISOString().slice(0, 10)
      const round = await call(w.secretaryA, 'POST', '/scoring-rounds', {
        orgUnitId: w.branchA,
        rubricId,
        periodStart: `${today.slice(0, 4)}-01-01`,
        periodEnd: `${today.slice(0, 4)}-12-31`,
        panelUserIds: [w.panelistA],
        quorum: 1,
        publicityDays: 1,
      })
      const ids = (round.claims as { claimId: string }[]).map((c) => c.claimId)
      let next = 0
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < ids.length) {
            const id = ids[next++]!
            await call(w.panelistA, 'PUT', `/scoring-rounds/${round.id}/claims/${id}/score`, {
              time: 4,
              content: 4,
              quality: 4,
              points: '4.00',
            })
          }
        }),
      )
      await call(w.secretaryA, 'POST', `/scoring-rounds/${round.id}/close`)
      await db.execute(
        sql`update scoring_rounds set publicity_ends_at = now() - interval '1 second' where id = ${round.id}`,
      )
      setEventRecordingForBenchmark(recording)
      const b = await count()
      const t = performance.now()
      const fin = await call(
        w.secretaryA,
        'POST',
        `/scoring-rounds/${round.id}/finalize`,
        undefined,
        randomUUID(),
      )
      const seconds = (performance.now() - t) / 1000
      const written = (await count()) - b
      setEventRecordingForBenchmark(true)
      return { seconds, posted: fin.posted as number, written, claims: ids.length }
    }
    const finOn: number[] = []
    const finOff: number[] = []
    let eventsPerFinalizedClaim = 0
    let claims = 0
    for (let i = 0; i < 2; i++) {
      const a = await finalizeOnce(true)
      eventsPerFinalizedClaim = a.written / a.posted
      claims = a.claims
      finOn.push(a.seconds)
      finOff.push((await finalizeOnce(false)).seconds)
    }
    const finalize = {
      claims,
      onSeconds: Math.min(...finOn),
      offSeconds: Math.min(...finOff),
      slowdownPct: (Math.min(...finOn) / Math.min(...finOff) - 1) * 100,
    }

    // Deliveries per second: 2,000 events of 200 subjects to a local receiver answering 200 at once.
    const rx = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => res.writeHead(200).end())
    })
    await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r))
    const hookUser = await createUser(db, { grants: [['secretary', w.communityB]] })
    await call(hookUser, 'POST', '/webhooks', {
      orgUnitId: w.communityB,
      url: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`,
      eventTypes: ['points.posted'],
    })
    const subjects = await Promise.all(Array.from({ length: 200 }, () => createMemberUser(db, w.branchB)))
    await db.transaction(async (tx) => {
      await recordEvents(
        tx as never,
        Array.from({ length: 2000 }, (_, i) => {
          const m = subjects[i % subjects.length]!
          return {
            type: 'points.posted' as const,
            orgUnitId: w.branchB,
            subject: { type: 'member', id: m.memberId },
            memberId: m.memberId,
            data: { memberId: m.memberId, amount: '1.00', kind: 'adjustment' },
          }
        }),
      )
    })
    const s = workerSettings({ batchSize: 100, allowPrivateNetworks: true })
    const t = performance.now()
    let delivered = 0
    while (delivered < 2000) {
      await runDeliveries(db, app.pii, s)
      delivered = (
        await rows<{ n: number }>(
          db,
          sql`select count(*)::int as n from webhook_deliveries where status = 'delivered'`,
        )
      )[0]!.n
    }
    const deliveriesPerSec = 2000 / ((performance.now() - t) / 1000)
    await new Promise<void>((r) => rx.close(() => r()))

    const out = {
      eventsPerAdjustment,
      eventsPerRedemptionCycle,
      eventsPerFinalizedClaim,
      redemption,
      finalize,
      deliveriesPerSec,
    }
    console.log('events', out)
    return out
  } finally {
    setEventRecordingForBenchmark(true)
    await app.close()
    await database.close()
    const a = new pg.Client({ connectionString: adminUrl })
    await a.connect()
    await a.query(`drop database if exists ${name} with (force)`)
    await a.end()
  }
}

/** The section of BENCHMARKS.md. */
export function eventsMarkdown(e: EventsBench): string[] {
  const f = (n: number, d = 0) => n.toFixed(d)
  return [
    '### Events (issue 20)',
    '',
    `Events written: ${e.eventsPerAdjustment} per adjustment, ${e.eventsPerRedemptionCycle} per redemption cycle (reserved, cancelled; written inside the same single statement), ${f(e.eventsPerFinalizedClaim, 4)} per finalized claim (one points.posted each and one round.finalized, one insert).`,
    `Redemption cycle in process, 8 concurrent: ${f(e.redemption.onCyclesPerSec)} cycles/s with the outbox, ${f(e.redemption.offCyclesPerSec)} without (${f(e.redemption.slowdownPct, 1)} % slower with events; goal at most 10 %).`,
    `finalizeRound of ${e.finalize.claims} claims: ${f(e.finalize.onSeconds, 2)} s with the outbox, ${f(e.finalize.offSeconds, 2)} s without (${f(e.finalize.slowdownPct, 1)} %).`,
    `Webhook deliveries from one process to a local receiver: ${f(e.deliveriesPerSec)} per second (2,000 events, 200 subjects, batches of 100).`,
    '',
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  eventsBench(adminUrl)
    .then((e) => {
      console.log(eventsMarkdown(e).join('\n'))
      process.exit(0)
    })
    .catch((err) => {
      console.error(err)
      process.exit(1)
    })
}
