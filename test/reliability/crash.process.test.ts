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
  key: string
  cents: number
  body: { memberId: string; amount: string; reason: string }
  outcome: 'unsent' | 'acked' | 'refused' | 'unanswered'
  firstAnswer?: Answer
  transactionId?: string
}

describe('crash: kill -9 of the server during a stream of point-moving requests', () => {
  it('after a restart and a retry of every unanswered request with its key, nothing acknowledged is lost and nothing is applied twice', async () => {
    const memberId = world.members[0]!.memberId
    const admin = await login(server.base, 'admin', ADMIN_PASSWORD)
    const TOTAL = 400
    const KILL_AFTER_ACKS = 120
    const WORKERS = 8
    // Distinct amounts, some negative (adjustments may leave a debt): a duplicate or a loss changes the sum.
    const ops: Op[] = Array.from({ length: TOTAL }, (_, i) => {
      const cents = (i % 4 === 3 ? -1 : 1) * (i + 1)
      return {
        i,
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
          const r = await call(server.base, 'POST', '/api/v1/ledger/adjustments', {
            token: admin,
            key: op.key,
            body: op.body,
          })
          op.firstAnswer = r
          if (r.status === 201) {
            op.outcome = 'acked'
            op.transactionId = (r.body as { id: string }).id
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
        r = await call(server.base, 'POST', '/api/v1/ledger/adjustments', {
          token: admin,
          key: op.key,
          body: op.body,
        })
      }
      expect(r?.status).toBe(201)
      op.transactionId = (r!.body as { id: string }).id
      if (r!.headers.get('idempotent-replayed') === 'true') replayedUnanswered++
    }

    // Every acknowledged request, sent again, replays its first answer and applies nothing.
    for (const op of ops.filter((o) => o.outcome === 'acked')) {
      const r = await call(server.base, 'POST', '/api/v1/ledger/adjustments', {
        token: admin,
        key: op.key,
        body: op.body,
      })
      expect(r.status).toBe(201)
      expect(r.headers.get('idempotent-replayed')).toBe('true')
      expect((r.body as { id: string }).id).toBe(op.transactionId)
    }

    const applied = ops.filter((o) => o.outcome === 'acked' || o.outcome === 'unanswered')
    const c = new pg.Client({ connectionString: dbUrl })
    await c.connect()
    try {
      const found = await c.query<{ reason: string; n: string; id: string }>(
        `select reason, count(*) as n, min(id::text) as id from ledger_transactions
         where member_id = $1 and kind = 'adjustment' group by reason`,
        [memberId],
      )
      const byReason = new Map(found.rows.map((r) => [r.reason, r]))
      for (const op of ops) {
        const row = byReason.get(op.body.reason)
        if (op.outcome === 'unsent') expect(row, `op ${op.i} never sent`).toBeUndefined()
        else {
          expect(Number(row?.n), `op ${op.i} (${op.outcome}) applied once`).toBe(1)
          expect(row?.id).toBe(op.transactionId)
        }
      }
      expect(found.rows.length).toBe(applied.length)
      // A key claimed by a transaction the crash rolled back must not linger half-written.
      const pending = await c.query(`select 1 from idempotency_keys where status_code = 0`)
      expect(pending.rowCount).toBe(0)
    } finally {
      await c.end()
    }

    const expected = applied.reduce((s, o) => s + o.cents, 0)
    const balance = await call(server.base, 'GET', `/api/v1/members/${memberId}/balance`, { token: admin })
    expect(balance.status).toBe(200)
    expect((balance.body as { balance: string }).balance).toBe(decimal(expected))

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
      balance: decimal(expected),
      verifiedTransactions: (verify.body as { checkedTransactions: number }).checkedTransactions,
    })
  })
})
