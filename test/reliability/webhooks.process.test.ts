import http from 'node:http'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_PASSWORD,
  type Cluster,
  call,
  killAllServers,
  login,
  type Seeded,
  type ServerProcess,
  seed,
  sleep,
  startCluster,
  startServer,
} from './harness'

const CLUSTER_PORT = 4250
const SERVER_PORT = 4251
const DB = 'vp_rel_webhooks'
const MEMBERS = 8
const EVENTS = 80
const ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_WORKER_INTERVAL_MS: '50',
}

let cluster: Cluster | undefined
let dbUrl: string
let server: ServerProcess
let world: Seeded

interface Arrival {
  id: string
  headers: Record<string, string>
  body: string
  at: number
  answeredAt?: number
}

/** A receiver that takes its time (150 ms) over each answer, so deliveries are in flight when the server dies. */
async function slowReceiver() {
  const arrivals: Arrival[] = []
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const a: Arrival = {
        id: String(req.headers['webhook-id']),
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      }
      arrivals.push(a)
      setTimeout(() => {
        a.answeredAt = Date.now()
        res.writeHead(200).end('ok')
      }, 150)
    })
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/hook`,
    arrivals,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections()
        srv.close(() => r())
      }),
  }
}

beforeAll(async () => {
  cluster = await startCluster(CLUSTER_PORT)
  dbUrl = await cluster.createDatabase(DB)
  server = await startServer({ port: SERVER_PORT, databaseUrl: dbUrl, name: 'webhooks', env: ENV })
  world = await seed(dbUrl, MEMBERS)
})

afterAll(async () => {
  await killAllServers()
  await cluster?.destroy()
})

describe('webhooks survive kill -9 of the server in the middle of deliveries', () => {
  it('after a restart every event is delivered; duplicates only of deliveries in flight, with the same webhook-id', async () => {
    const rx = await slowReceiver()
    try {
      const admin = await login(server.base, 'admin', ADMIN_PASSWORD)
      const created = await call(server.base, 'POST', '/api/v1/webhooks', {
        token: admin,
        body: { orgUnitId: world.branch, url: rx.url, eventTypes: ['points.posted'] },
      })
      expect(created.status, JSON.stringify(created.body)).toBe(201)
      const hook = created.body as { id: string; secret: string }
      // Paused while the events are made, so that the deliveries start all at once.
      const paused = await call(server.base, 'PATCH', `/api/v1/webhooks/${hook.id}`, {
        token: admin,
        body: { status: 'paused' },
      })
      expect(paused.status).toBe(200)
      for (let i = 0; i < EVENTS; i++) {
        const r = await call(server.base, 'POST', '/api/v1/ledger/adjustments', {
          token: admin,
          key: `wh-${i}`,
          body: { memberId: world.members[i % MEMBERS]!.memberId, amount: '1.00', reason: `event ${i}` },
        })
        expect(r.status, JSON.stringify(r.body)).toBe(201)
      }
      const resumed = await call(server.base, 'PATCH', `/api/v1/webhooks/${hook.id}`, {
        token: admin,
        body: { status: 'active' },
      })
      expect(resumed.status).toBe(200)

      // kill -9 once a quarter has arrived: several deliveries are then waiting for their answer.
      for (let waited = 0; rx.arrivals.length < EVENTS / 4; waited += 10) {
        if (waited > 30_000) throw new Error(`only ${rx.arrivals.length} deliveries arrived in 30 s`)
        await sleep(10)
      }
      const killedAt = Date.now()
      await server.kill9()
      // The killed process's last requests may still be read from their sockets after killedAt: this process records
      // an arrival when its event loop gets to it. Once those are read, whatever arrives was sent by the restart.
      await sleep(200)
      const restartedAt = Date.now()
      const beforeKill = rx.arrivals.length
      expect(beforeKill).toBeLessThan(EVENTS)

      server = await startServer({
        port: SERVER_PORT,
        databaseUrl: dbUrl,
        name: 'webhooks-restart',
        env: ENV,
      })
      const client = new pg.Client({ connectionString: dbUrl })
      await client.connect()
      let eventIds: string[]
      try {
        eventIds = (
          await client.query<{ id: string }>(`select id from events where type = 'points.posted'`)
        ).rows.map((r) => r.id)
        expect(eventIds).toHaveLength(EVENTS + 0)
        // In-flight leases end 15 s (timeout + margin) after they were taken; then every delivery is made.
        for (let waited = 0; ; waited += 100) {
          const { rows } = await client.query<{ n: number }>(
            `select count(*)::int as n from webhook_deliveries where webhook_id = $1 and status = 'delivered'`,
            [hook.id],
          )
          if (rows[0]!.n === EVENTS) break
          if (waited > 60_000) throw new Error(`${rows[0]!.n} of ${EVENTS} delivered 60 s after the restart`)
          await sleep(100)
        }
      } finally {
        await client.end()
      }
      // Every event arrived, each signed and verifiable; by webhook-id the receiver has each exactly once.
      const unique = new Map<string, Arrival>()
      for (const a of rx.arrivals) {
        const payload = new Webhook(hook.secret).verify(a.body, a.headers) as { id: string }
        expect(payload.id).toBe(a.id)
        if (!unique.has(a.id)) unique.set(a.id, a)
      }
      expect([...unique.keys()].sort()).toEqual([...eventIds].sort())
      // A duplicate is only of a delivery in flight at the kill: the killed process sent it, and its answer was not
      // back (or only just back, not yet recorded) when the server died.
      const counts = new Map<string, number>()
      for (const a of rx.arrivals) counts.set(a.id, (counts.get(a.id) ?? 0) + 1)
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([id]) => id)
      for (const id of duplicated) {
        expect(counts.get(id)).toBe(2)
        const first = unique.get(id)!
        expect(first.at).toBeLessThan(restartedAt)
        expect(first.answeredAt ?? Number.POSITIVE_INFINITY).toBeGreaterThan(killedAt - 1_000)
      }
      // At most the deliveries one process takes at a time (one per subject: the members).
      expect(duplicated.length).toBeLessThanOrEqual(MEMBERS)
      console.log(
        `webhooks kill -9: ${beforeKill} of ${EVENTS} arrived before the kill, ${duplicated.length} delivered twice (in flight), all ${EVENTS} after the restart`,
      )
    } finally {
      await rx.close()
    }
  })
})
