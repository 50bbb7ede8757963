import autocannon from 'autocannon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TEST_PASSWORD } from '../helpers/factories'
import {
  ADMIN_PASSWORD,
  type Cluster,
  call,
  heapAfterGc,
  killAllServers,
  login,
  median,
  report,
  type Seeded,
  type ServerProcess,
  seed,
  sleep,
  startCluster,
  startServer,
} from './harness'

const CLUSTER_PORT = 4230
const SERVER_PORT = 4231
const INSPECT_PORT = 4232
const DB = 'vp_rel_load'
const CONNECTIONS = 200
const WARMUP_S = 5
// REL_LOAD_SECONDS runs it longer (a leak shows better over minutes); 30 s is what issue 10 asks for.
const DURATION_S = Number(process.env.REL_LOAD_SECONDS ?? 30)
const MEMBERS = 6
/**
 * Memory is judged after a full collection at both ends of the run (forced through the inspector): RSS then may
 * grow at most AFTER_GC_RSS_MARGIN, and the heap that survives at most HEAP_MARGIN_BYTES. The RSS sampled each
 * second during the run also climbs with garbage between major collections (about 200 -> 285 MiB, then drops),
 * so its last-5-s median may exceed its first-5-s median by at most the looser SAWTOOTH_MARGIN.
 */
const AFTER_GC_RSS_MARGIN = 0.1
const SAWTOOTH_MARGIN = 0.5
/** Heap kept after a full GC may grow this much over the run (JIT code, warmed caches), not more. */
const HEAP_MARGIN_BYTES = 8 * 1024 * 1024

let cluster: Cluster | undefined
let server: ServerProcess
let world: Seeded

beforeAll(async () => {
  cluster = await startCluster(CLUSTER_PORT)
  const dbUrl = await cluster.createDatabase(DB)
  server = await startServer({
    port: SERVER_PORT,
    databaseUrl: dbUrl,
    name: 'load',
    inspectPort: INSPECT_PORT,
    // A handful of tokens make all the traffic: the per-caller request budget would answer most of it 429,
    // and this test is about the server under load, not about the budget (tested in the normal suite).
    env: { RATE_LIMIT_MAX: '1000000' },
  })
  world = await seed(dbUrl, MEMBERS)
})

afterAll(async () => {
  await killAllServers()
  await cluster?.destroy()
})

describe(`load: ${CONNECTIONS} concurrent connections for ${DURATION_S} s`, () => {
  it(
    'answers no 5xx but deliberate 503, applies every keyed write once, and its memory stays flat',
    async () => {
      const admin = await login(server.base, 'admin', ADMIN_PASSWORD)
      const members: (Seeded['members'][number] & { token: string })[] = []
      for (const m of world.members)
        members.push({ ...m, token: await login(server.base, m.username, TEST_PASSWORD) })
      // Every write sent, by key, with its answer (0 while unanswered: autocannon cuts off what is in flight at the end).
      const sent = new Map<string, { memberId: string; status: number }>()
      let keys = 0
      // Why each 503 was answered: load shedding (under-pressure) or no database connection free in time.
      const why503 = new Map<string, number>()
      const tally = (status: number, body: string) => {
        if (status !== 503) return
        let detail = body
        try {
          detail = JSON.parse(body).detail
        } catch {}
        why503.set(detail, (why503.get(detail) ?? 0) + 1)
      }

      // Each connection cycles: a member's balance, that member's ledger page, an adjustment of one cent to them.
      const run = (seconds: number) => {
        const requests = members.flatMap((m) => [
          {
            method: 'GET' as const,
            path: `/api/v1/members/${m.memberId}/balance`,
            headers: { authorization: `Bearer ${m.token}` },
            onResponse: tally,
          },
          {
            method: 'GET' as const,
            path: `/api/v1/members/${m.memberId}/ledger?limit=20`,
            headers: { authorization: `Bearer ${m.token}` },
            onResponse: tally,
          },
          {
            method: 'POST' as const,
            path: '/api/v1/ledger/adjustments',
            headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
            // The context is the connection's: it carries the key from the request to its answer.
            setupRequest: (req: autocannon.Request, context: { key?: string }) => {
              const key = `load-${keys++}`
              context.key = key
              sent.set(key, { memberId: m.memberId, status: 0 })
              return {
                ...req,
                headers: { ...req.headers, 'idempotency-key': key },
                body: JSON.stringify({ memberId: m.memberId, amount: '0.01', reason: 'load test' }),
              }
            },
            onResponse: (status: number, body: string, context: { key?: string }) => {
              sent.get(context.key!)!.status = status
              tally(status, body)
            },
          },
        ])
        return autocannon({
          url: server.base,
          connections: CONNECTIONS,
          duration: seconds,
          timeout: 10,
          requests,
        })
      }

      await run(WARMUP_S)
      const heapBefore = await heapAfterGc(INSPECT_PORT)
      await sleep(500) // let the collector hand freed pages back before reading RSS
      const rssAfterGcBefore = server.rssKiB()
      const rss: number[] = []
      const sampler = setInterval(() => rss.push(server.rssKiB()), 1000)
      let result: autocannon.Result
      try {
        result = await run(DURATION_S)
      } finally {
        clearInterval(sampler)
      }

      const byStatus = Object.fromEntries(
        Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0]),
      )
      const fiveXX = Object.entries(byStatus).filter(([code]) => code.startsWith('5') && code !== '503')
      expect(fiveXX).toEqual([])
      expect(Object.keys(byStatus).filter((c) => !['200', '201', '503'].includes(c))).toEqual([])
      expect(result.errors).toBe(0)
      expect(result.timeouts).toBe(0)
      expect(server.alive()).toBe(true)

      // A client retries, with its key, every write that was refused for now (503) or cut off unanswered.
      // Then each key must be applied exactly once: one cent per key sent, nothing lost, nothing twice.
      const unanswered = [...sent.values()].filter((w) => w.status === 0).length
      let retried = 0
      for (const [key, w] of sent) {
        if (w.status === 201) continue
        retried++
        let r = { status: 0 }
        for (let i = 0; i < 10 && r.status !== 201; i++)
          r = await call(server.base, 'POST', '/api/v1/ledger/adjustments', {
            token: admin,
            key,
            body: { memberId: w.memberId, amount: '0.01', reason: 'load test' },
          })
        expect(r.status).toBe(201)
      }
      for (const m of members) {
        const b = await call(server.base, 'GET', `/api/v1/members/${m.memberId}/balance`, { token: admin })
        const cents = [...sent.values()].filter((w) => w.memberId === m.memberId).length
        expect((b.body as { balance: string }).balance).toBe(
          `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
        )
      }
      const verify = await call(server.base, 'GET', `/api/v1/ledger/verify?orgUnitId=${world.branch}`, {
        token: admin,
      })
      expect(verify.body).toMatchObject({ ok: true, problems: [] })

      const first = median(rss.slice(0, 5))
      const last = median(rss.slice(-5))
      // RSS rises and falls with the collector; what survives a full collection is what the process keeps.
      const heapAfter = await heapAfterGc(INSPECT_PORT)
      await sleep(500)
      const rssAfterGcAfter = server.rssKiB()

      report('load', {
        connections: CONNECTIONS,
        seconds: DURATION_S,
        requests: result.requests.total,
        reqPerSec: Math.round(result.requests.average),
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        latencyMaxMs: result.latency.max,
        byStatus,
        why503: Object.fromEntries(why503),
        writesSent: sent.size,
        writesUnansweredAtEnd: unanswered,
        writesRetried: retried,
        rssFirst5sMedianMiB: Math.round(first / 1024),
        rssLast5sMedianMiB: Math.round(last / 1024),
        rssMaxMiB: Math.round(Math.max(...rss) / 1024),
        rssGrowthPct: Math.round(((last - first) / first) * 1000) / 10,
        heapAfterGcBeforeMiB: Math.round((heapBefore / 1048576) * 10) / 10,
        heapAfterGcAfterMiB: Math.round((heapAfter / 1048576) * 10) / 10,
        rssAfterFullGcMiB: [Math.round(rssAfterGcBefore / 1024), Math.round(rssAfterGcAfter / 1024)],
        rssSeriesMiB: rss.map((k) => Math.round(k / 1024)),
      })
      expect(rss.length).toBeGreaterThanOrEqual(DURATION_S - 2)
      expect(rssAfterGcAfter).toBeLessThanOrEqual(rssAfterGcBefore * (1 + AFTER_GC_RSS_MARGIN))
      expect(heapAfter - heapBefore).toBeLessThan(HEAP_MARGIN_BYTES)
      expect(last).toBeLessThanOrEqual(first * (1 + SAWTOOTH_MARGIN))
    },
    (WARMUP_S + DURATION_S) * 1000 + 90_000,
  )
})
