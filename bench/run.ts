/**
 * `npm run bench`: loads a fresh benchmark database, starts the real server and the bare baseline (each
 * pinned to core 0, loaded one at a time), drives them from this process pinned to core 1, prints a table
 * and writes it to BENCHMARKS.md (only this scale's section; the other scale's section and the analysis
 * below the marker are kept).
 *
 * Options: --scale default|city, --repeats N (3), --seconds S (10), --reuse (keep using an existing
 * vp_bench / vp_bench_city database instead of loading a new one), --keep (do not drop the city database
 * afterwards), --only a,b (run some benchmarks: balance, rate, ledger, reports, redemption, hot, checkin, finalize,
 * events),
 * --cpu-prof (V8 profile of the server in /tmp/vp-bench-profiles), --runtime bundle|tsx (how the server runs:
 * by default `npm run build`'s dist/server.mjs as production runs it; tsx: src/server.ts through tsx, as npm start),
 * --server-flags "..." (V8 flags for the server), --out FILE (BENCHMARKS.md).
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHmac, randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import type autocannon from 'autocannon'
import pg from 'pg'
import { checkInCodeAt, checkInKey, timeStepAt } from '../src/modules/activities/check-in-codes'
import { type EventsBench, eventsBench, eventsMarkdown } from './events'
import {
  type BenchMember,
  describe,
  type Generated,
  generate,
  rebuildRollups,
  SCALES,
  withDatabase,
} from './generate'
import {
  fmt,
  interleaved,
  load,
  median,
  opt,
  type Proc,
  type Sample,
  startPinned,
  summarise,
  withCpu,
} from './lib'

const args = process.argv.slice(2)
const flag = (name: string) => args.includes(`--${name}`)

const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789'
const SERVER_PORT = Number(process.env.BENCH_SERVER_PORT ?? 4101)
const BASELINE_PORT = Number(process.env.BENCH_BASELINE_PORT ?? 4102)

function b64url(s: string | Buffer): string {
  return Buffer.from(s).toString('base64url')
}

/** The same HS256 token the server signs (iss, aud, sub = user id). */
function token(userId: string): string {
  const now = Math.floor(Date.now() / 1000)
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const body = b64url(
    JSON.stringify({
      sub: userId,
      iat: now,
      // The server refuses a token whose exp - iat exceeds its access-token lifetime (15 min, ACCESS_TOKEN_SECONDS):
      // a run longer than that from here would need fresh tokens.
      exp: now + 900,
      iss: 'volunteer-points',
      aud: 'volunteer-points-api',
    }),
  )
  const sig = createHmac('sha256', JWT_SECRET).update(`${head}.${body}`).digest('base64url')
  return `${head}.${body}.${sig}`
}

type Ctx = { auth?: string; rid?: string }
type Member = BenchMember & { auth: string }

function cycling(members: Member[], make: (m: Member) => autocannon.Request): autocannon.Request[] {
  let i = 0
  return [
    {
      setupRequest: (req) => {
        const m = members[i++ % members.length]!
        return { ...req, ...make(m) }
      },
    },
  ]
}

export interface Results {
  scale: string
  at: string
  command: string
  members: number
  entries: number
  loadSeconds: number | null
  loadTimings: Record<string, number>
  activeMembers: number
  repeats: number
  seconds: number
  connections: number
  balance?: ReturnType<typeof summarise> & {
    baseP50: number
    baseP99: number
    cpuUs: number[]
    baseCpuUs: number[]
  }
  rate?: { rate: number; real: Sample; base: Sample }
  ledger?: ReturnType<typeof summarise>
  ledgerPage?: ReturnType<typeof summarise>
  redemption?: ReturnType<typeof summarise> & { baseP50: number; baseP99: number }
  createAlone?: ReturnType<typeof summarise>
  walPerCycleKb?: number
  walPerBareWriteKb?: number
  hot?: ReturnType<typeof summarise>
  ranking?: { ms: number[]; rows: number; failures: string[] }
  summary?: { ms: number[]; body: unknown; failures: string[] }
  finalize?: { claims: number; seconds: number; posted: number; setupSeconds: number }
  /** The outbox's cost and the webhook worker's throughput (bench/events.ts). */
  events?: EventsBench
  /** 签到 burst: every active member checks in to one activity, at an offered rate and all at once. */
  checkIn?: {
    members: number
    rate: number
    atRate: ReturnType<typeof summarise>
    burst: ReturnType<typeof summarise>
    /** The server's CPU time per check-in (/proc), arriving at random and all at once, in microseconds. */
    cpuUs?: { atRate: number; burst: number }
    stored: number[]
  }
  runtime: string
  /** Server peak RSS (VmHWM, MB) measured after each phase. */
  peakAfter: Record<string, number>
  rssMb: number
  baselineRssMb: number
  idleRssMb: number
  load: string
}

async function timed(n: number, f: () => Promise<void>): Promise<number[]> {
  await f() // warm-up, not counted
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    await f()
    out.push(performance.now() - t)
  }
  return out
}

async function api(
  base: string,
  auth: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  // biome-ignore lint/suspicious/noExplicitAny: answers of several operations, read field by field
): Promise<{ status: number; json: any; text: string }> {
  const r = await fetch(base + path, {
    method,
    headers: {
      authorization: auth,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await r.text()
  // biome-ignore lint/suspicious/noExplicitAny: as above
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: r.status, json, text }
}

async function main() {
  const scaleName = opt('scale', 'default')
  const scale = SCALES[scaleName]
  if (!scale) throw new Error(`unknown --scale ${scaleName} (only: ${Object.keys(SCALES).join(', ')})`)
  const repeats = Number(opt('repeats', '3'))
  const seconds = Number(opt('seconds', '10'))
  const only = new Set(
    opt('only', 'balance,rate,ledger,reports,redemption,hot,checkin,finalize,events').split(','),
  )
  const connections = 50
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const dbName = scaleName === 'default' ? 'vp_bench' : `vp_bench_${scaleName}`

  let g: Generated
  let loadSeconds: number | null = null
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  const exists = (await admin.query('select 1 from pg_database where datname = $1', [dbName])).rowCount
  await admin.end()
  if (flag('reuse') && exists) {
    g = await describe(withDatabase(adminUrl, dbName))
    console.log(`reusing ${dbName}: ${g.members.length} members, ${g.entries} ledger entries`)
  } else {
    const t0 = Date.now()
    g = await generate(adminUrl, dbName, scale)
    loadSeconds = (Date.now() - t0) / 1000
    console.log(
      `loaded ${g.members.length} members, ${g.entries} ledger entries in ${fmt(loadSeconds, 1)} s`,
      g.timings,
    )
  }
  // The load cycles over 2,000 members at every scale, spread evenly over the whole organisation, so the
  // figures of the two scales differ by the size of the data, not by how many distinct callers there are.
  const step = Math.max(1, Math.floor(g.members.length / 2000))
  const active: Member[] = g.members
    .filter((_, i) => i % step === 0)
    .slice(0, 2000)
    .map((m) => ({ ...m, auth: `Bearer ${token(m.userId)}` }))
  const secretary = `Bearer ${token(g.secretaryUserId)}`

  const runtime = serverRuntime()
  const server = await startPinned(
    'server',
    runtime.script,
    {
      DATABASE_URL: g.url,
      JWT_SECRET,
      PII_KEY: 'cGlpLWtleS1mb3ItdGhlLWJlbmNobWFyay1ydW5zLTA=',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      // The per-caller limit still runs on every request (its cost is measured); it is only raised so that
      // the benchmark's one secretary (2,000 scores in a few seconds) and hot members are not refused.
      RATE_LIMIT_MAX: '1000000',
    },
    {
      cpu: 0,
      port: SERVER_PORT,
      readyPath: '/healthz',
      // --cpu-prof: write a V8 profile of the server to /tmp/vp-bench-profiles/ (open in Chrome DevTools).
      // --server-flags "--max-old-space-size=160": V8 flags for the server only (memory experiments).
      nodeArgs: [
        ...runtime.nodeArgs,
        ...(flag('cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir=/tmp/vp-bench-profiles'] : []),
        ...opt('server-flags', '').split(' ').filter(Boolean),
      ],
      tsx: runtime.tsx,
    },
  )
  const baseline = await startPinned(
    'baseline',
    'bench/baseline.ts',
    {
      DATABASE_URL: g.url,
      BASELINE_READ_SQL:
        'select id, member_id, balance, held, lifetime_earned from ledger_accounts where member_id = $1',
      // The ledger page's 51 rows (50 and one to know there is more) straight from the database, no formatting:
      // the ceiling of what any server can make of that page on this machine.
      BASELINE_PAGE_SQL: `select t.id, t.kind, t.reference_type, t.reference_id, e.amount, e.balance_after,
          e.held_change, e.held_after, t.memo, t.effective_date::text, t.created_at::text, t.chain_seq
        from ledger_accounts a join ledger_transactions t on t.account_id = a.id
          join ledger_entries e on e.account_id = a.id and e.account_version = t.chain_seq and e.transaction_id = t.id
        where a.member_id = $1 order by t.chain_seq desc limit 51`,
      BASELINE_WRITE_SQL:
        'insert into bench_baseline_entries (account_id, amount) values ($1, -100);' +
        'update bench_baseline_accounts set held = held + 100 where id = $1 and balance - held >= 100',
    },
    { cpu: 0, port: BASELINE_PORT, readyPath: '/healthz' },
  )
  const idleRssMb = server.peakRssMb()
  if (loadSeconds === null) {
    // A reused database may just have been migrated by the server (new rollup tables): fill them.
    const c = new pg.Client({ connectionString: g.url })
    await c.connect()
    const t = Date.now()
    const built = await c.query(`select to_regclass('bench_rollups_built') is not null as built`)
    const rebuilt = built.rows[0].built ? [] : await rebuildRollups(c)
    await c.end()
    if (rebuilt.length) console.log(`rebuilt ${rebuilt.join(', ')} in ${fmt((Date.now() - t) / 1000, 1)} s`)
  }

  const r: Results = {
    scale: scaleName,
    at: new Date().toISOString(),
    command: `npm run bench -- ${args.join(' ')}`.trim(),
    members: g.members.length,
    entries: g.entries,
    loadSeconds,
    loadTimings: g.timings,
    activeMembers: active.length,
    repeats,
    seconds,
    connections,
    runtime: runtime.name,
    peakAfter: {},
    rssMb: Number.NaN,
    baselineRssMb: Number.NaN,
    idleRssMb,
    load: `load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} at start`,
  }
  try {
    const run = (url: string, requests: autocannon.Request[], secs = seconds, rate?: number) =>
      load({ url, connections, seconds: secs, requests, rate })

    // --- balance read ---------------------------------------------------------------------------
    const balanceReal = (secs?: number, rate?: number) =>
      run(
        server.url,
        cycling(active, (m) => ({
          method: 'GET',
          path: `/api/v1/members/${m.memberId}/balance`,
          headers: { authorization: m.auth },
        })),
        secs,
        rate,
      )
    const balanceBase = (secs?: number, rate?: number) =>
      run(
        baseline.url,
        cycling(active, (m) => ({ method: 'GET', path: `/read/${m.memberId}` })),
        secs,
        rate,
      )
    const phases: string[] = []
    if (only.has('balance') || only.has('rate')) {
      phases.push('balance')
      await balanceReal(3)
      await balanceBase(3)
      const balance = await interleaved(
        repeats,
        () => withCpu(server, () => balanceReal()),
        () => withCpu(baseline, () => balanceBase()),
      )
      r.balance = {
        ...summarise('getBalance vs bare PK read', balance.a, balance.b),
        baseP50: median(balance.b.map((s) => s.p50)),
        baseP99: median(balance.b.map((s) => s.p99)),
        cpuUs: balance.a.map((s) => s.cpuUsPerRequest ?? Number.NaN),
        baseCpuUs: balance.b.map((s) => s.cpuUsPerRequest ?? Number.NaN),
      }
      console.log('balance', r.balance)
      if (only.has('rate')) {
        // Latency at a fixed offered rate: half of what the real server sustained, offered to both.
        const rate = Math.round(r.balance.rps / 2)
        const real = await balanceReal(seconds, rate)
        const base = await balanceBase(seconds, rate)
        r.rate = { rate, real, base }
        console.log('rate', r.rate)
      }
    }

    // --- first page of a member's ledger, against the bare primary-key read (issue 22's goal) -------
    r.peakAfter[phases.length ? phases.at(-1)! : 'start'] = server.peakRssMb()
    if (only.has('ledger')) {
      phases.push('ledger')
      const ledgerReal = (secs?: number) =>
        run(
          server.url,
          cycling(active, (m) => ({
            method: 'GET',
            path: `/api/v1/members/${m.memberId}/ledger`,
            headers: { authorization: m.auth },
          })),
          secs,
        )
      const pageBase = (secs?: number) =>
        run(
          baseline.url,
          cycling(active, (m) => ({ method: 'GET', path: `/page/${m.memberId}` })),
          secs,
        )
      await ledgerReal(3)
      await pageBase(3)
      const ledger = await interleaved(
        repeats,
        () => ledgerReal(),
        () => balanceBase(),
      )
      r.ledger = summarise('listMemberLedger first page (50 rows) vs bare PK read', ledger.a, ledger.b)
      // The same page against a bare Fastify + pg read of its rows: what the page itself costs here.
      const page = await interleaved(
        repeats,
        () => ledgerReal(),
        () => pageBase(),
      )
      r.ledgerPage = summarise('listMemberLedger first page vs bare read of its 51 rows', page.a, page.b)
      console.log('ledger', r.ledger, r.ledgerPage)
    }

    // --- reports: a county ranking (2,000 members) and a whole-city summary, one request at a time ----
    r.peakAfter[phases.length ? phases.at(-1)! : 'start'] = server.peakRssMb()
    if (only.has('reports')) {
      phases.push('reports')
      const year = new Date().getFullYear()
      let rows = 0
      let body: unknown
      // A failed request (e.g. 503 after the statement timeout) is timed and recorded, not fatal.
      const failures = { ranking: [] as string[], summary: [] as string[] }
      const ranking = await timed(10, async () => {
        const res = await api(
          server.url,
          secretary,
          'GET',
          `/api/v1/reports/ranking?orgUnitId=${g.countyId}&year=${year}&limit=50`,
        )
        if (res.status !== 200) failures.ranking.push(`${res.status} ${res.json?.code ?? ''}`.trim())
        else rows = res.json.items.length
      })
      const summary = await timed(10, async () => {
        const res = await api(server.url, secretary, 'GET', `/api/v1/reports/summary?orgUnitId=${g.cityId}`)
        if (res.status !== 200) failures.summary.push(`${res.status} ${res.json?.code ?? ''}`.trim())
        else body = res.json
      })
      r.ranking = { ms: ranking, rows, failures: failures.ranking }
      r.summary = { ms: summary, body, failures: failures.summary }
      console.log('ranking ms', ranking.map((x) => x.toFixed(0)).join(' '), failures.ranking)
      console.log('summary ms', summary.map((x) => x.toFixed(0)).join(' '), failures.summary, body)
    }

    // --- redemption cycle: create (idempotent, fresh key) then cancel ------------------------------
    /** createRedemption with a fresh Idempotency-Key, `who` taking turns; `created` sees each answer. */
    const createRequest = (
      rewardOf: (m: Member, i: number) => string,
      who: Member[],
      created: (status: number, body: string, ctx: Ctx) => void,
    ): autocannon.Request => {
      let n = 0
      return {
        method: 'POST',
        path: '/api/v1/redemptions',
        setupRequest: (req, context) => {
          const i = n++
          const m = who[i % who.length]!
          const ctx = context as Ctx
          ctx.auth = m.auth
          return {
            ...req,
            headers: {
              authorization: m.auth,
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
            },
            body: JSON.stringify({ memberId: m.memberId, rewardId: rewardOf(m, i), quantity: 1 }),
          }
        },
        onResponse: (status, body, context) => created(status, body, context as Ctx),
      }
    }
    const redemptionReal = (rewardOf: (m: Member, i: number) => string, secs?: number, who = active) =>
      run(
        server.url,
        [
          createRequest(rewardOf, who, (status, body, ctx) => {
            ctx.rid = status === 201 ? JSON.parse(body).id : undefined
          }),
          {
            method: 'POST',
            setupRequest: (req, context) => ({
              ...req,
              path: `/api/v1/redemptions/${(context as Ctx).rid ?? randomUUID()}/cancel`,
              headers: { authorization: (context as Ctx).auth ?? '', 'content-type': 'application/json' },
              body: '{}',
            }),
          },
        ],
        secs,
      )
    // Realistic: each member picks among their own community office's rewards.
    const anyReward = (m: Member, i: number) => {
      const list = g.rewardsByCommunity.get(m.communityId)!
      return list[i % list.length]!
    }
    const redemptionBase = (secs?: number) =>
      run(
        baseline.url,
        cycling(active, (m) => ({ method: 'POST', path: `/write/${m.accountId}` })),
        secs,
      )
    const cycles = (s: Sample[]) => s.map((x) => ({ ...x, rps: x.rps / 2 }))
    let writeBase: Sample[] = []
    r.peakAfter[phases.length ? phases.at(-1)! : 'start'] = server.peakRssMb()
    if (only.has('redemption')) {
      phases.push('redemption')
      await redemptionReal(anyReward, 3)
      await redemptionBase(3)
      // WAL written per cycle and per bare write: what each commit must flush, the cost that does not drift
      // with the machine's load (other writers on the same cluster add to it; the figure is an upper bound).
      const wal = new pg.Client({ connectionString: g.url })
      await wal.connect()
      const lsn = async () =>
        BigInt((await wal.query(`select pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text as b`)).rows[0].b)
      const walBytes = { real: 0n, base: 0n, realCycles: 0, baseWrites: 0 }
      const measured = async (side: 'real' | 'base', run: () => Promise<Sample>) => {
        const before = await lsn()
        const sample = await run()
        walBytes[side] += (await lsn()) - before
        if (side === 'real') walBytes.realCycles += sample.total / 2
        else walBytes.baseWrites += sample.total
        return sample
      }
      const red = await interleaved(
        repeats,
        () => measured('real', () => redemptionReal(anyReward)),
        () => measured('base', () => redemptionBase()),
      )
      await wal.end()
      r.walPerCycleKb = Number(walBytes.real) / 1024 / walBytes.realCycles
      r.walPerBareWriteKb = Number(walBytes.base) / 1024 / walBytes.baseWrites
      writeBase = red.b
      // A cycle is two requests (create + cancel); its ratio is cycles/s over bare writes/s.
      r.redemption = {
        ...summarise('redemption cycle (cycles/s), many rewards, vs bare write', cycles(red.a), red.b),
        baseP50: median(red.b.map((s) => s.p50)),
        baseP99: median(red.b.map((s) => s.p99)),
      }
      console.log('redemption', r.redemption)
      // createRedemption alone, per request (issue 22's figure): only reservations in the timed run, each with a
      // fresh Idempotency-Key; what it reserved is cancelled after it, untimed, so every run starts from the same
      // stock and points. Interleaved with bare writes as the cycle is.
      const reserved: { id: string; auth: string }[] = []
      const createsOnly = async () => {
        const sample = await run(server.url, [
          createRequest(anyReward, active, (status, body, ctx) => {
            if (status === 201) reserved.push({ id: JSON.parse(body).id, auth: ctx.auth! })
          }),
        ])
        const todo = reserved.splice(0)
        await Promise.all(
          Array.from({ length: 16 }, async () => {
            for (let x = todo.pop(); x; x = todo.pop())
              await api(server.url, x.auth, 'POST', `/api/v1/redemptions/${x.id}/cancel`, {})
          }),
        )
        return sample
      }
      const alone = await interleaved(repeats, createsOnly, () => redemptionBase())
      r.createAlone = summarise('createRedemption alone (requests/s) vs bare write', alone.a, alone.b)
      console.log('createRedemption alone', r.createAlone)
    }
    r.peakAfter[phases.length ? phases.at(-1)! : 'start'] = server.peakRssMb()
    if (only.has('hot')) {
      phases.push('hot')
      // The members of the first community office all on its first reward: that reward's stock row is the
      // one queue every transaction passes (2,000 members at the default scale, 100 at city scale).
      const hotMembers: Member[] = g.members
        .filter((m) => m.communityId === g.communityId)
        .slice(0, 2000)
        .map((m) => ({ ...m, auth: `Bearer ${token(m.userId)}` }))
      const hot: Sample[] = []
      for (let i = 0; i < Math.min(repeats, 2); i++)
        hot.push(await redemptionReal(() => g.rewardId, undefined, hotMembers))
      r.hot = summarise(
        `redemption cycle (cycles/s), one hot reward (${hotMembers.length} members), vs bare write`,
        cycles(hot),
        writeBase.length ? writeBase.slice(0, hot.length) : undefined,
      )
      console.log('hot', r.hot)
    }

    // --- check-in burst: 2,000 members check in to one activity ----------------------------------
    r.peakAfter[phases.length ? phases.at(-1)! : 'start'] = server.peakRssMb()
    if (only.has('checkin')) {
      phases.push('checkin')
      r.checkIn = await checkInBench(g, server, active)
    }

    // --- finalize a 2,000-claim round -----------------------------------------------------------
    r.peakAfter[phases.length ? phases.at(-1)! : 'start'] = server.peakRssMb()
    if (only.has('finalize')) {
      phases.push('finalize')
      r.finalize = await finalizeBench(g, server.url, secretary)
    }
    // In process, on its own database (the server idles meanwhile): events with and without the outbox.
    if (only.has('events')) r.events = await eventsBench(adminUrl)
    r.peakAfter[phases.at(-1) ?? 'start'] = server.peakRssMb()

    r.rssMb = server.peakRssMb()
    r.baselineRssMb = baseline.peakRssMb()
  } finally {
    await server.stop()
    await baseline.stop()
    if (scaleName !== 'default' && !flag('keep') && !flag('reuse')) {
      const a = new pg.Client({ connectionString: adminUrl })
      await a.connect()
      await a.query(`drop database if exists ${dbName} with (force)`)
      await a.end()
      console.log(`dropped ${dbName} (--keep to keep it for --reuse)`)
    }
  }
  report(r)
}

/**
 * 签到 at the door of one city-wide activity (made in SQL: started 10 minutes ago, ends in 3 hours, so every member
 * may serve there and the check-in window is open). Each active member, with their own token, checks in once with
 * the door's code of the moment (computed here as the server does: HMAC of the activity and the minute under the
 * key derived from JWT_SECRET). Three activities: a warm-up of 200 members; then all of them arriving at random
 * (Poisson, each request on its own as people come through a door) at a minute's crowd bunched into 20 s, 100/s on
 * average, the p99 goal being < 50 ms; then all at once over 50 connections (rps). autocannon's own fixed rate is not
 * used for the first: its connections fire together (50 requests every half second at 100/s), a queue no door
 * makes. Every answer must be 201, and each activity must hold exactly one open check-in per member.
 */
async function checkInBench(g: Generated, server: Proc, members: Member[]) {
  const base = server.url
  const c = new pg.Client({ connectionString: g.url })
  await c.connect()
  const key = checkInKey(JWT_SECRET)
  const activity = async (title: string) =>
    (
      await c.query(
        `insert into activities (org_unit_id, title, starts_at, ends_at, created_by)
         values ($1, $2, now() - interval '10 minutes', now() + interval '3 hours', $3) returning id`,
        [g.cityId, title, g.secretaryUserId],
      )
    ).rows[0].id as string
  const burst = (activityId: string, who: Member[], rate?: number) => {
    let i = 0
    return load({
      url: base,
      connections: 50,
      seconds: 60,
      amount: who.length,
      rate,
      requests: [
        {
          method: 'POST',
          path: `/api/v1/activities/${activityId}/check-ins`,
          setupRequest: (req) => {
            const m = who[i++ % who.length]!
            return {
              ...req,
              headers: { authorization: m.auth, 'content-type': 'application/json' },
              body: JSON.stringify({ code: checkInCodeAt(key, activityId, timeStepAt(Date.now())) }),
            }
          },
        },
      ],
    })
  }
  /** Requests at exponential intervals (mean 1/rate), each timed from its own send; fetch keeps connections alive. */
  const arrivals = async (activityId: string, who: Member[], rate: number): Promise<Sample> => {
    const ms: number[] = []
    let failed = 0
    const t0 = performance.now()
    let at = t0
    const pending: Promise<void>[] = []
    for (const m of who) {
      at += -Math.log(1 - Math.random()) * (1000 / rate)
      const wait = at - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      pending.push(
        (async () => {
          const t = performance.now()
          const res = await api(base, m.auth, 'POST', `/api/v1/activities/${activityId}/check-ins`, {
            code: checkInCodeAt(key, activityId, timeStepAt(Date.now())),
          })
          ms.push(performance.now() - t)
          if (res.status !== 201) {
            if (failed < 3) console.warn(`check-in refused: ${res.status} ${res.text.slice(0, 300)}`)
            failed++
          }
        })(),
      )
    }
    await Promise.all(pending)
    const sorted = [...ms].sort((a, b) => a - b)
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
    return {
      rps: who.length / ((performance.now() - t0) / 1000),
      p50: pct(0.5),
      p99: pct(0.99),
      errors: 0,
      non2xx: failed,
      total: who.length,
    }
  }
  const stored = async (id: string) =>
    Number(
      (await c.query('select count(*) as n from activity_check_ins where activity_id = $1', [id])).rows[0].n,
    )
  try {
    await burst(await activity('签到压测：预热'), members.slice(0, 200))
    const rate = Math.round(members.length / 20)
    const paced = await activity('签到压测：一分钟的人流')
    const atRate = await withCpu(server, () => arrivals(paced, members, rate))
    const crowd = await activity('签到压测：一齐涌入')
    const all = await withCpu(server, () => burst(crowd, members))
    const out = {
      members: members.length,
      rate,
      atRate: summarise(
        `checkIn, ${members.length} members arriving at random, ${rate}/s on average`,
        [atRate],
        undefined,
      ),
      burst: summarise(`checkIn, ${members.length} members, all at once`, [all], undefined),
      cpuUs: { atRate: atRate.cpuUsPerRequest ?? Number.NaN, burst: all.cpuUsPerRequest ?? Number.NaN },
      stored: [await stored(paced), await stored(crowd)],
    }
    console.log('checkin', out)
    return out
  } finally {
    await c.end()
  }
}

/**
 * 2,000 submitted claims of the first county's members (made in SQL, as if submitted through createClaim),
 * then over HTTP: a round with a one-person panel (quorum 1, publicity 1 day), 2,000 scores, close; the
 * publicity end is then moved into the past in SQL (it ends at midnight otherwise), and finalize is timed.
 */
async function finalizeBench(g: Generated, base: string, secretary: string) {
  const t0 = Date.now()
  const c = new pg.Client({ connectionString: g.url })
  await c.connect()
  const period = await c.query(
    `select to_char(date_trunc('year', now() at time zone 'Asia/Shanghai'), 'YYYY-MM-DD') as start,
            to_char(now() at time zone 'Asia/Shanghai', 'YYYY-MM-DD') as today`,
  )
  const { start, today } = period.rows[0]
  await c.query(
    `insert into claims (member_id, org_unit_id, rubric_id, item_code, kind, occurred_on, quantity, ceiling,
       description, created_by)
     select m.id, m.org_unit_id, $1, 'B01', 'award', $4::date, 1, 500, 'Bench claim', $3
     from members m join org_units b on b.id = m.org_unit_id
     where b.path like (select path from org_units where id = $2) || '%'
     order by m.name limit 2000`,
    [g.rubricId, g.countyId, g.secretaryUserId, today],
  )
  const round = await api(base, secretary, 'POST', '/api/v1/scoring-rounds', {
    orgUnitId: g.countyId,
    rubricId: g.rubricId,
    periodStart: start,
    periodEnd: today,
    panelUserIds: [g.secretaryUserId],
    quorum: 1,
    publicityDays: 1, // the default 公示 floor; its end is moved into the past in SQL below
  })
  if (round.status !== 201 && round.status !== 200)
    throw new Error(`createScoringRound ${round.status}: ${round.text}`)
  const roundId = round.json.id as string
  const claimIds = (round.json.claims as { claimId: string }[]).map((x) => x.claimId)
  let next = 0
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < claimIds.length) {
        const id = claimIds[next++]!
        const s = await api(base, secretary, 'PUT', `/api/v1/scoring-rounds/${roundId}/claims/${id}/score`, {
          time: 4,
          content: 4,
          quality: 4,
          points: '4.00',
        })
        if (s.status !== 200 && s.status !== 201) throw new Error(`submitScore ${s.status}: ${s.text}`)
      }
    }),
  )
  const closed = await api(base, secretary, 'POST', `/api/v1/scoring-rounds/${roundId}/close`)
  if (closed.status !== 200) throw new Error(`closeScoring ${closed.status}: ${closed.text}`)
  await c.query(`update scoring_rounds set publicity_ends_at = now() - interval '1 second' where id = $1`, [
    roundId,
  ])
  await c.end()
  const setupSeconds = (Date.now() - t0) / 1000
  const t = performance.now()
  const fin = await api(base, secretary, 'POST', `/api/v1/scoring-rounds/${roundId}/finalize`, undefined, {
    'idempotency-key': randomUUID(),
  })
  const secs = (performance.now() - t) / 1000
  if (fin.status !== 200) throw new Error(`finalizeRound ${fin.status}: ${fin.text}`)
  const out = { claims: claimIds.length, seconds: secs, posted: fin.json.posted as number, setupSeconds }
  console.log('finalize', out)
  return out
}

/**
 * --runtime bundle (the default): `npm run build` (scripts/build.mjs, the same build the Dockerfile runs), then
 * dist/server.mjs under plain node with the flags of `npm run start:prod`. --runtime tsx: src/server.ts through
 * the tsx loader, as `npm start` (about 80 MB more RSS).
 */
function startProdCommand(): string {
  return JSON.parse(readFileSync('package.json', 'utf8')).scripts['start:prod']
}

function serverRuntime(): { name: string; script: string; nodeArgs: string[]; tsx: boolean } {
  const name = opt('runtime', 'bundle')
  if (name === 'tsx') return { name, script: 'src/server.ts', nodeArgs: [], tsx: true }
  if (name !== 'bundle') throw new Error(`--runtime ${name}: expected bundle or tsx`)
  execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' })
  // The node flags are read from `start:prod` itself, so the benchmark runs exactly what production runs.
  const startProd = startProdCommand()
  // `exec node ...`: the shell hands its process to node (one SIGTERM stops it); the words after exec are the command.
  const words = startProd
    .trim()
    .split(/\s+/)
    .filter((w, i) => !(i === 0 && w === 'exec'))
  if (words[0] !== 'node' || words.at(-1) !== 'dist/server.mjs') {
    throw new Error(`start:prod is "${startProd}": expected node <flags> dist/server.mjs`)
  }
  return { name, script: 'dist/server.mjs', nodeArgs: words.slice(1, -1), tsx: false }
}

const RESULTS_DIR = 'bench/results'

/** Results are committed, so they are written in the repository's format (npm run lint checks them). */
function writeJson(file: string, value: unknown) {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)
  execFileSync('npx', ['biome', 'format', '--write', file], { stdio: 'ignore' })
}

function section(r: Results): string {
  const rows = [
    r.balance,
    r.redemption,
    r.createAlone,
    r.hot,
    r.ledger,
    r.ledgerPage,
    r.checkIn?.atRate,
    r.checkIn?.burst,
  ].filter((x) => x !== undefined)
  const lines = [
    '| benchmark | rps median (min-max) | p50 ms | p99 ms | errors+non2xx | baseline rps | ratio median | ratio per repeat |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (x) =>
        `| ${x.label} | ${fmt(x.rps)} (${fmt(x.rpsMin)}-${fmt(x.rpsMax)}) | ${fmt(x.p50)} | ${fmt(x.p99)} | ${x.errors} | ${
          x.baselineRps === undefined ? '-' : fmt(x.baselineRps)
        } | ${x.ratio === undefined ? '-' : fmt(x.ratio, 2)} | ${x.ratios.map((v) => fmt(v, 2)).join(', ') || '-'} |`,
    ),
  ]
  const ms = (a: number[]) =>
    `median ${fmt(median(a))} ms (min ${fmt(Math.min(...a))}, max ${fmt(Math.max(...a))})`
  const out = [
    `Measured ${r.at} with \`${r.command}\` (${r.load}).`,
    '',
    `Data: ${r.members} members, ${r.entries} ledger entries${
      r.loadSeconds === null
        ? ' (reused database)'
        : `, loaded in ${fmt(r.loadSeconds, 1)} s (${Object.entries(r.loadTimings)
            .map(([k, v]) => `${k} ${fmt(v, 1)} s`)
            .join(', ')})`
    }. Load spread over ${r.activeMembers} members (each with their own token).`,
    `Method: server and baseline each pinned to core 0, autocannon pinned to core 1, ${r.connections} connections, 3 s warm-up, ${r.repeats} interleaved repeats of ${r.seconds} s (A B A B) at saturation; medians.`,
    '',
    ...lines,
    '',
  ]
  if (r.balance) {
    out.push(`Bare read: p50 ${fmt(r.balance.baseP50)} ms, p99 ${fmt(r.balance.baseP99)} ms.`)
    out.push(
      `CPU time per getBalance (server process, /proc): median ${fmt(median(r.balance.cpuUs))} us (per repeat ${r.balance.cpuUs.map((x) => fmt(x)).join(', ')}); ` +
        `bare read ${fmt(median(r.balance.baseCpuUs))} us (${r.balance.baseCpuUs.map((x) => fmt(x)).join(', ')}); ratio ${fmt(median(r.balance.baseCpuUs) / median(r.balance.cpuUs), 2)}.`,
    )
  }
  if (r.redemption)
    out.push(`Bare write: p50 ${fmt(r.redemption.baseP50)} ms, p99 ${fmt(r.redemption.baseP99)} ms.`)
  if (r.walPerCycleKb !== undefined)
    out.push(
      `WAL written: ${fmt(r.walPerCycleKb, 1)} kB per redemption cycle (two commits), ${fmt(r.walPerBareWriteKb ?? Number.NaN, 2)} kB per bare write (one commit).`,
    )
  if (r.rate)
    out.push(
      `getBalance at a fixed offered rate of ${r.rate.rate} requests/s (half the saturation rate), ${r.connections} connections, ${r.seconds} s: ` +
        `server p50 ${fmt(r.rate.real.p50)} ms, p99 ${fmt(r.rate.real.p99)} ms (${fmt(r.rate.real.rps)} rps served, ${r.rate.real.errors + r.rate.real.non2xx} errors); ` +
        `bare read p50 ${fmt(r.rate.base.p50)} ms, p99 ${fmt(r.rate.base.p99)} ms.`,
    )
  const failed = (f: string[]) => {
    if (!f.length) return ''
    const counts = new Map<string, number>()
    for (const x of f) counts.set(x, (counts.get(x) ?? 0) + 1)
    return `; ${f.length} of 11 failed (${[...counts].map(([k, n]) => `${n} x ${k}`).join(', ')})`
  }
  if (r.ranking)
    out.push(
      `getRanking (one county, a page of ${r.ranking.rows} rows), one at a time, 10 after a warm-up: ${ms(r.ranking.ms)}${failed(r.ranking.failures)}.`,
    )
  if (r.summary)
    out.push(
      `getSummary (whole city, all time), one at a time, 10 after a warm-up: ${ms(r.summary.ms)}${failed(r.summary.failures)}.`,
    )
  if (r.checkIn)
    out.push(
      `Check-in burst (签到): ${r.checkIn.members} members, each with their own token, check in once to one activity with the door's code: ` +
        `arriving at random at ${r.checkIn.rate}/s on average (a minute's crowd bunched into 20 s) p50 ${fmt(r.checkIn.atRate.p50)} ms, p99 ${fmt(r.checkIn.atRate.p99)} ms (goal < 50 ms); ` +
        `all at once over ${r.connections} connections ${fmt(r.checkIn.burst.rps)} rps, p99 ${fmt(r.checkIn.burst.p99)} ms; ` +
        `${r.checkIn.atRate.errors + r.checkIn.burst.errors} errors or non-2xx; check-ins stored ${r.checkIn.stored.join(' and ')}` +
        (r.checkIn.cpuUs
          ? `; server CPU per check-in ${fmt(r.checkIn.cpuUs.atRate)} us arriving at random, ${fmt(r.checkIn.cpuUs.burst)} us all at once.`
          : '.'),
    )
  if (r.finalize)
    out.push(
      `finalizeRound of ${r.finalize.claims} claims: ${fmt(r.finalize.seconds, 2)} s (${r.finalize.posted} postings; setup through the API ${fmt(r.finalize.setupSeconds, 1)} s).`,
    )
  if (r.events) out.push(...eventsMarkdown(r.events))
  out.push(
    `Server peak RSS: ${fmt(r.rssMb)} MB (after start ${fmt(r.idleRssMb)} MB; peak after ${Object.entries(
      r.peakAfter,
    )
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(
        ', ',
      )}; baseline ${fmt(r.baselineRssMb)} MB); server run as \`${opt('server-flags', '') ? `(flags ${opt('server-flags', '')}) ` : ''}${r.runtime === 'bundle' ? `${startProdCommand()} (npm run start:prod; the Dockerfile runs the same)` : 'node --import tsx src/server.ts (as npm start)'}\`.`,
  )
  return out.join('\n')
}

/**
 * --compare: the 200k-vs-10M comparison in one run. A server on vp_bench and one on vp_bench_city (both
 * must exist: run the two scales first, the city one with --keep), pinned to the same core and loaded one at
 * a time, alternately (A B A B), so the machine's drift hits both alike: getBalance and the first ledger page.
 */
async function compare() {
  const repeats = Number(opt('repeats', '3'))
  const seconds = Number(opt('seconds', '10'))
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
  const sides = [] as { name: string; g: Generated; server: Proc; active: Member[] }[]
  const runtime = serverRuntime()
  try {
    for (const [i, name] of ['default', 'city'].entries()) {
      const g = await describe(withDatabase(adminUrl, name === 'default' ? 'vp_bench' : `vp_bench_${name}`))
      const step = Math.max(1, Math.floor(g.members.length / 2000))
      const active = g.members
        .filter((_, k) => k % step === 0)
        .slice(0, 2000)
        .map((m) => ({ ...m, auth: `Bearer ${token(m.userId)}` }))
      const server = await startPinned(
        `server-${name}`,
        runtime.script,
        {
          DATABASE_URL: g.url,
          JWT_SECRET,
          PII_KEY: 'cGlpLWtleS1mb3ItdGhlLWJlbmNobWFyay1ydW5zLTA=',
          LOG_LEVEL: 'warn',
          NODE_ENV: 'production',
          RATE_LIMIT_MAX: '1000000',
        },
        { cpu: 0, port: 4103 + i, readyPath: '/healthz', nodeArgs: runtime.nodeArgs, tsx: runtime.tsx },
      )
      sides.push({ name, g, server, active })
    }
    const hit = (side: (typeof sides)[number], what: 'balance' | 'ledger', secs = seconds) =>
      load({
        url: side.server.url,
        connections: 50,
        seconds: secs,
        requests: cycling(side.active, (m) => ({
          method: 'GET',
          path: `/api/v1/members/${m.memberId}/${what}`,
          headers: { authorization: m.auth },
        })),
      })
    const out: Record<string, { small: Sample[]; big: Sample[] }> = {}
    for (const what of ['balance', 'ledger'] as const) {
      await hit(sides[0]!, what, 3)
      await hit(sides[1]!, what, 3)
      const x = await interleaved(
        repeats,
        () => hit(sides[0]!, what),
        () => hit(sides[1]!, what),
      )
      out[what] = { small: x.a, big: x.b }
      console.log(what, x)
    }
    const result = {
      at: new Date().toISOString(),
      command: `npm run bench -- ${args.join(' ')}`.trim(),
      entries: sides.map((x) => x.g.entries),
      repeats,
      seconds,
      out,
    }
    mkdirSync(RESULTS_DIR, { recursive: true })
    writeJson(`${RESULTS_DIR}/compare.json`, result)
    const file = opt('out', 'BENCHMARKS.md')
    const prior = existsSync(file) ? readFileSync(file, 'utf8') : ''
    const block = `<!-- comparison -->\n${comparison()}\n<!-- /comparison -->`
    writeFileSync(
      file,
      prior.includes('<!-- comparison -->')
        ? prior.replace(/<!-- comparison -->[\s\S]*?<!-- \/comparison -->/, () => block)
        : `${prior}\n${block}\n`,
    )
    console.log(`\n${comparison()}`)
  } finally {
    for (const x of sides) await x.server.stop()
  }
}

function comparison(): string {
  const interleavedRun = existsSync(`${RESULTS_DIR}/compare.json`)
    ? (JSON.parse(readFileSync(`${RESULTS_DIR}/compare.json`, 'utf8')) as {
        at: string
        command: string
        entries: number[]
        repeats: number
        seconds: number
        out: Record<string, { small: Sample[]; big: Sample[] }>
      })
    : undefined
  const lines: string[] = []
  if (interleavedRun) {
    const c = interleavedRun
    const med = (s: Sample[], k: 'rps' | 'p50' | 'p99') => median(s.map((x) => x[k]))
    lines.push(
      `## ${c.entries[0]} vs ${c.entries[1]} ledger entries, interleaved`,
      '',
      `Measured ${c.at} with \`${c.command}\`: one server on each database, both pinned to core 0, 50 connections, ${c.repeats} alternating repeats of ${c.seconds} s (small, big, small, big ...), 2,000 members cycled on each side.`,
      '',
      `| request | ${c.entries[0]} entries: rps (min-max), p50, p99 | ${c.entries[1]} entries: rps (min-max), p50, p99 | big / small rps, median (per repeat) |`,
      '|---|---|---|---|',
      ...Object.entries(c.out).map(([what, { small, big }]) => {
        const per = small.map((x, i) => big[i]!.rps / x.rps)
        const cell = (s: Sample[]) =>
          `${fmt(med(s, 'rps'))} (${fmt(Math.min(...s.map((x) => x.rps)))}-${fmt(Math.max(...s.map((x) => x.rps)))}), ${fmt(med(s, 'p50'))} ms, ${fmt(med(s, 'p99'))} ms`
        return `| ${what === 'balance' ? 'getBalance' : 'listMemberLedger first page'} | ${cell(small)} | ${cell(big)} | ${fmt(median(per), 2)} (${per.map((v) => fmt(v, 2)).join(', ')}) |`
      }),
      '',
    )
  }
  lines.push(separateRuns())
  return lines.join('\n')
}

function separateRuns(): string {
  const read = (s: string): Results | undefined => {
    const f = `${RESULTS_DIR}/${s}.json`
    return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined
  }
  const small = read('default')
  const big = read('city')
  if (!small || !big) return ''
  const row = (label: string, a?: { rps: number; p99: number }, b?: { rps: number; p99: number }) =>
    a && b
      ? `| ${label} | ${fmt(a.rps)} rps, p99 ${fmt(a.p99)} ms | ${fmt(b.rps)} rps, p99 ${fmt(b.p99)} ms | ${fmt(b.rps / a.rps, 2)} |`
      : `| ${label} | - | - | - |`
  return [
    `## ${small.entries} vs ${big.entries} ledger entries, from the two scale runs`,
    '',
    `(runs of ${small.at} and ${big.at}; absolute rps of two runs at different times carry the machine's drift, the ratio to each run's own bare read is shown too)`,
    '',
    `| benchmark | ${small.entries} entries | ${big.entries} entries | big / small |`,
    '|---|---|---|---|',
    row('getBalance', small.balance, big.balance),
    small.balance?.ratio !== undefined && big.balance?.ratio !== undefined
      ? `| getBalance / bare read | ${fmt(small.balance.ratio, 2)} | ${fmt(big.balance.ratio, 2)} | ${fmt(big.balance.ratio / small.balance.ratio, 2)} |`
      : '',
    row('listMemberLedger first page', small.ledger, big.ledger),
  ]
    .filter(Boolean)
    .join('\n')
}

function report(r: Results) {
  const out = opt('out', 'BENCHMARKS.md')
  // Only runs recorded in BENCHMARKS.md feed the 200k-vs-10M comparison.
  if (out === 'BENCHMARKS.md') {
    mkdirSync(RESULTS_DIR, { recursive: true })
    writeJson(`${RESULTS_DIR}/${r.scale}.json`, r)
  }
  const text = section(r)
  console.log(`\n${text}\n`)
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${fmt(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, PostgreSQL 15 on the same machine`
  // Each scale owns its block; the other scale's block and the hand-written analysis are kept.
  const marker = '<!-- analysis: kept across runs -->'
  const prior = existsSync(out) ? readFileSync(out, 'utf8') : ''
  const kept = prior.includes(marker) ? prior.slice(prior.indexOf(marker)) : `${marker}\n`
  const block = (s: string) => {
    const m = prior.match(new RegExp(`<!-- scale:${s} -->[\\s\\S]*?<!-- /scale:${s} -->`))
    return m ? m[0] : ''
  }
  const blocks: Record<string, string> = { default: block('default'), city: block('city') }
  blocks[r.scale] =
    `<!-- scale:${r.scale} -->\n## Scale: ${r.scale}\n\n${text}\n\n\`\`\`\n${summaryLine(r)}\n\`\`\`\n<!-- /scale:${r.scale} -->`
  writeFileSync(
    out,
    `# Benchmarks

Machine: ${machine}. The machine is shared (other jobs run on it): absolute figures drift by +-30% within an hour;
the ratios to the bare baseline (same process pinning, same database, run alternately) are the figures to compare.
Commands: \`npm run bench\` (2,000 members, 200,000 entries) and \`npm run bench -- --scale city\` (300,000 members,
10,000,000 entries). The last line each prints is the summary line shown under its section.

${blocks.default}

${blocks.city}

<!-- comparison -->
${comparison()}
<!-- /comparison -->

${kept}`.replace(/\n{3,}/g, '\n\n'),
  )
  console.log(summaryLine(r))
}

function summaryLine(r: Results): string {
  return `bench: balanceRead=${fmt(r.balance?.ratio ?? Number.NaN, 2)} redemption=${fmt(r.redemption?.ratio ?? Number.NaN, 2)} p99BalanceMs=${fmt(r.balance?.p99 ?? Number.NaN)} finalize2000s=${fmt(r.finalize?.seconds ?? Number.NaN, 1)} checkInP99Ms=${fmt(r.checkIn?.atRate.p99 ?? Number.NaN)} checkInRps=${fmt(r.checkIn?.burst.rps ?? Number.NaN)} rssMB=${fmt(r.rssMb)}`
}

// Re-exec under taskset so autocannon (this process) stays off the server's core.
if (!process.env.BENCH_PINNED) {
  const child = spawn(
    'taskset',
    ['-c', '1', process.execPath, '--import', 'tsx', process.argv[1]!, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, BENCH_PINNED: '1' },
    },
  )
  child.on('exit', (code) => process.exit(code ?? 1))
} else if (flag('compare')) {
  await compare()
} else {
  await main()
}
