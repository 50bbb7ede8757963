import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ADMIN_PASSWORD,
  type Cluster,
  call,
  killAllServers,
  type ServerProcess,
  sleep,
  startCluster,
  startServer,
} from './harness'

// Throttling shared by real server processes (security issue 15): two servers (src/server.ts as child processes)
// on one database, with the counters in PostgreSQL (the default) and in Redis (TEST_REDIS_URL). N processes must
// not mean N times the attempts. The in-suite version with two app instances is test/identity/login-throttle.test.ts.

const CLUSTER_PORT = 4230
let cluster: Cluster | undefined

beforeAll(async () => {
  cluster = await startCluster(CLUSTER_PORT)
})
afterAll(async () => {
  await killAllServers()
  await cluster?.destroy()
})

const redisUrl = process.env.TEST_REDIS_URL
const redisUnavailable = await (async () => {
  if (!redisUrl) return 'TEST_REDIS_URL is not set'
  const probe = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 })
  probe.on('error', () => {})
  try {
    await probe.connect()
    await probe.ping()
    return undefined
  } catch (err) {
    return `Redis at TEST_REDIS_URL is unreachable (${(err as Error).message})`
  } finally {
    probe.disconnect()
  }
})()
if (redisUnavailable) console.warn(`throttle.process.test.ts: skipping the Redis store: ${redisUnavailable}`)

function scenarios(name: string, firstPort: number, env: () => Record<string, string>) {
  let a: ServerProcess
  let b: ServerProcess

  beforeAll(async () => {
    const databaseUrl = await cluster!.createDatabase(`vp_rel_throttle_${name}`)
    const common = { databaseUrl, env: { RATE_LIMIT_MAX: '20', ...env() } }
    // One after the other: both migrate the same database (serialised by an advisory lock anyway).
    a = await startServer({ ...common, port: firstPort, name: `throttle-${name}-a` })
    b = await startServer({ ...common, port: firstPort + 1, name: `throttle-${name}-b` })
  })

  const login = (server: ServerProcess, password: string) =>
    call(server.base, 'POST', '/api/v1/auth/login', { body: { username: 'admin', password } })

  it('the per-caller budget of every request is one budget for both processes', async () => {
    // As a signed-in user (the budget key is the user, not the address the logins below count under).
    const token = (
      (await login(a, ADMIN_PASSWORD)).body as {
        accessToken: string
      }
    ).accessToken
    const health = async (server: ServerProcess) =>
      (await call(server.base, 'GET', '/api/v1/me', { token })).status
    const onA = []
    for (let i = 0; i < 12; i++) onA.push(await health(a))
    expect(onA.every((s) => s === 200)).toBe(true)
    await sleep(2500) // a has flushed (12 > half the budget: within 250 ms; at the latest the 2 s full flush)
    const onB = []
    for (let i = 0; i < 12; i++) onB.push(await health(b))
    await sleep(800)
    // b has flushed too and sees 24 of 20: refused. With per-process budgets b would be at 13 of 20.
    expect(await health(b)).toBe(429)
    expect(await health(a)).toBe(200) // a's last view is 12: the bounded overshoot (CallerBudgets)
    await sleep(800)
    expect(await health(a)).toBe(429)
  })

  it('failed logins through one process delay the attempts through the other', async () => {
    // 127.0.0.1 becomes a known address of admin; its failures are then judged on their own.
    expect((await login(a, ADMIN_PASSWORD)).status).toBe(200)
    const codes = []
    for (let i = 0; i < 5; i++) codes.push((await login(i % 2 ? a : b, 'wrong-password')).status)
    expect(codes).toEqual([401, 401, 401, 401, 401])
    // Per-process memory would allow each server five failures of its own: both refuse now.
    const refusedA = await login(a, 'wrong-password')
    const refusedB = await login(b, 'wrong-password')
    expect([refusedA.status, refusedB.status]).toEqual([429, 429])
    expect(Number(refusedB.headers.get('retry-after'))).toBeGreaterThan(0)
  })
}

describe('two server processes, counters in PostgreSQL', () => {
  scenarios('pg', 4231, () => ({}))
})

describe.skipIf(redisUnavailable !== undefined)('two server processes, counters in Redis', () => {
  const prefix = `vp-rel-${randomBytes(4).toString('hex')}:`
  scenarios('redis', 4233, () => ({ REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix }))

  afterAll(async () => {
    const redis = new Redis(redisUrl!)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length) await redis.del(...keys)
    redis.disconnect()
  })
})
