import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_PASSWORD,
  type Answer,
  type Cluster,
  call,
  killAllServers,
  login,
  report,
  type Seeded,
  type ServerProcess,
  seed,
  startCluster,
  startServer,
} from './harness'

const CLUSTER_PORT = 4210
const SERVER_PORT = 4211
const DB = 'vp_rel_crash'

let cluster: Cluster | undefined
let dbUrl: string
let server: ServerProcess
let world: Seeded

beforeAll(async () => {
  cluster = await startCluster(CLUSTER_PORT)
  dbUrl = await cluster.createDatabase(DB)
  server = await startServer({ port: SERVER_PORT, databaseUrl: dbUrl, name: 'crash' })
  world = await seed(dbUrl, 1)
})

afterAll(async () => {
  await killAllServers()
  await cluster?.destroy()
})

/** Integer cents as the API's decimal text: no float ever touches an amount. */
function decimal(cents: number): string {
  const abs = Math.abs(cents)
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

interface Op {
  i: number
  kind: 'adjustment' | 'redemption'
  key: string
  /** Points the adjustment moves (0 for a redemption: it holds 1.00 instead). */
  cents: number
  body: Record<string, string | number>
  outcome: 'unsent' | 'acked' | 'refused' | 'unanswered'
  firstAnswer?: Answer
  /** The adjustment's transaction id or the redemption's id, from the answer that acknowledged it. */
  id?: string
}

const PATH = { adjustment: '/api/v1/ledger/adjustments', redemption: '/api/v1/redemptions' } as const

describe('crash: kill -9 of the server during a stream of point-moving requests', () => {
  it('after a restart and a retry of every unanswered request with its key, nothing acknowledged is lost and nothing is applied twice', async () => {
    const memberId = world.members[0]!.memberId
    const admin = await login(server.base, 'admin', ADMIN_PASSWORD)
    const opening = await call(server.base, 'POST', PATH.adjustment, {
      token: admin,
      key: 'crash-opening',
      body: { memberId, amount: '100.00', reason: 'opening points' },
    })
    expect(opening.status).toBe(201)
    const reward = await call(server.base, 'POST', '/api/v1/rewards', {
      token: admin,
      body: { orgUnitId: world.community, name: '毛巾', pointsCost: '1.00' },
    })
    expect(reward.status, JSON.stringify(reward.body)).toBe(201)
    const rewardId = (reward.body as { id: string }).id
    const stocked = await call(server.base, 'POST', `/api/v1/rewards/${rewardId}/stock`, {
      token: admin,
      key: 'crash-stock',
      body: { quantity: 1000 },
    })
    expect(stocked.status, JSON.stringify(stocked.body)).toBe(201)

    const TOTAL = 400
    const KILL_AFTER_ACKS = 120
    const WORKERS = 8
    // Every fifth operation reserves a reward (1.00 held); the others adjust by distinct amounts, some negative:
    // a duplicate or a loss changes the balance, the held points or the count of redemptions.
    const ops: Op[] = Array.from({ length: TOTAL }, (_, i): Op => {
      if (i % 5 === 4)
        return {
          i,
          kind: 'redemption',
          key: `crash-op-${i}`,
          cents: 0,
          body: { memberId, rewardId, quantity: 1 },
          outcome: 'unsent',
        }
      const cents = (i % 4 === 3 ? -1 : 1) * (i + 1)
      return {
        i,
        kind: 'adjustment',
        key: `crash-op-${i}`,
        cents,
        body: { memberId, amount: decimal(cents), reason: `crash op ${i}` },
        outcome: 'unsent',
      }
    })

    let next = 0
    let acked = 0
    let inFlight = 0
    let inFlightAtKill = -1
    let killedAt = 0
    let killing: Promise<void> | undefined
    const worker = async () => {
      while (!killing && next < TOTAL) {
        const op = ops[next++]!
        inFlight++
        try {
          const r = await call(server.base, 'POST', PATH[op.kind], {
            token: admin,
            key: op.key,
            body: op.body,
          })
          op.firstAnswer = r
          if (r.status === 201) {
            op.outcome = 'acked'
            op.id = (r.body as { id: string }).id
            acked++
          } else op.outcome = 'refused'
        } catch {
          // Connection reset or refused: the client cannot know whether it was applied.
          op.outcome = 'unanswered'
        } finally {
          inFlight--
        }
        if (acked >= KILL_AFTER_ACKS && !killing) {
          inFlightAtKill = inFlight
          killedAt = Date.now()
          killing = server.kill9()
        }
      }
    }
    await Promise.all(Array.from({ length: WORKERS }, worker))
    await killing
    expect(server.alive()).toBe(false)
    const refused = ops.filter((o) => o.outcome === 'refused')
    expect(refused.map((o) => [o.i, o.firstAnswer?.status, o.firstAnswer?.body])).toEqual([])
    expect(inFlightAtKill).toBeGreaterThan(0)

    server = await startServer({ port: SERVER_PORT, databaseUrl: dbUrl, name: 'crash-restart' })
    const restartMs = Date.now() - killedAt

    // Retry every request that got no answer, with the same key and body, until it is answered (bounded).
    const unanswered = ops.filter((o) => o.outcome === 'unanswered')
    expect(unanswered.length).toBeGreaterThan(0)
    let replayedUnanswered = 0
    for (const op of unanswered) {
      let r: Answer | undefined
      for (let attempt = 0; attempt < 10 && r?.status !== 201; attempt++) {
        r = await call(server.base, 'POST', PATH[op.kind], { token: admin, key: op.key, body: op.body })
      }
      expect(r?.status).toBe(201)
      op.id = (r!.body as { id: string }).id
      if (r!.headers.get('idempotent-replayed') === 'true') replayedUnanswered++
    }

    // Every acknowledged request, sent again, replays its first answer and applies nothing.
    for (const op of ops.filter((o) => o.outcome === 'acked')) {
      const r = await call(server.base, 'POST', PATH[op.kind], { token: admin, key: op.key, body: op.body })
      expect(r.status).toBe(201)
      expect(r.headers.get('idempotent-replayed')).toBe('true')
      expect((r.body as { id: string }).id).toBe(op.id)
    }

    const applied = ops.filter((o) => o.outcome === 'acked' || o.outcome === 'unanswered')
    const adjustments = applied.filter((o) => o.kind === 'adjustment')
    const redemptions = applied.filter((o) => o.kind === 'redemption')
    expect(redemptions.length).toBeGreaterThan(0)
    const c = new pg.Client({ connectionString: dbUrl })
    await c.connect()
    try {
      const found = await c.query<{ reason: string; n: string; id: string }>(
        `select reason, count(*) as n, min(id::text) as id from ledger_transactions
         where member_id = $1 and kind = 'adjustment' and reason like 'crash op %' group by reason`,
        [memberId],
      )
      const byReason = new Map(found.rows.map((r) => [r.reason, r]))
      for (const op of ops.filter((o) => o.kind === 'adjustment')) {
        const row = byReason.get(String(op.body.reason))
        if (op.outcome === 'unsent') expect(row, `op ${op.i} never sent`).toBeUndefined()
        else {
          expect(Number(row?.n), `op ${op.i} (${op.outcome}) applied once`).toBe(1)
          expect(row?.id).toBe(op.id)
        }
      }
      expect(found.rows.length).toBe(adjustments.length)
      const reserved = await c.query<{ id: string }>(
        `select id::text as id from redemptions where member_id = $1`,
        [memberId],
      )
      expect(reserved.rows.map((r) => r.id).sort()).toEqual(redemptions.map((o) => o.id).sort())
      // A key claimed by a transaction the crash rolled back must not linger half-written.
      const pending = await c.query(`select 1 from idempotency_keys where status_code = 0`)
      expect(pending.rowCount).toBe(0)
    } finally {
      await c.end()
    }

    const expected = 10_000 + adjustments.reduce((s, o) => s + o.cents, 0)
    const held = 100 * redemptions.length
    const balance = await call(server.base, 'GET', `/api/v1/members/${memberId}/balance`, { token: admin })
    expect(balance.status).toBe(200)
    expect(balance.body).toMatchObject({
      balance: decimal(expected),
      held: decimal(held),
      available: decimal(expected - held),
    })

    const verify = await call(server.base, 'GET', `/api/v1/ledger/verify?orgUnitId=${world.branch}`, {
      token: admin,
    })
    expect(verify.status).toBe(200)
    expect(verify.body).toMatchObject({ ok: true, problems: [] })

    report('crash', {
      sent: ops.filter((o) => o.outcome !== 'unsent').length,
      ackedBeforeKill: ops.filter((o) => o.outcome === 'acked').length,
      inFlightAtKill,
      unansweredRetried: unanswered.length,
      unansweredThatHadCommitted: replayedUnanswered,
      killToReadyMs: restartMs,
      adjustmentsApplied: adjustments.length,
      redemptionsApplied: redemptions.length,
      balance: decimal(expected),
      held: decimal(held),
      verifiedTransactions: (verify.body as { checkedTransactions: number }).checkedTransactions,
    })
  })
})
