/**
 * `npm run bench`: loads a fresh `vp_bench` database, starts the real server and the bare baseline (each
 * pinned to core 0, loaded one at a time), drives them from this process pinned to core 1, prints a table
 * and writes it to BENCHMARKS.md. Options: --repeats N (3), --seconds S (10), --scale default, --cpu-prof, --out FILE (BENCHMARKS.md).
 */
import { spawn } from 'node:child_process'
import { createHmac, randomUUID } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import type autocannon from 'autocannon'
import { type Generated, generate, SCALES } from './generate'
import { fmt, interleaved, load, median, type Proc, type Sample, startPinned, summarise } from './lib'

const args = process.argv.slice(2)
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt
}

const JWT_SECRET = 'bench-secret-bench-secret-bench-secret-0123456789'

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
      exp: now + 3600,
      iss: 'volunteer-points',
      aud: 'volunteer-points-api',
    }),
  )
  const sig = createHmac('sha256', JWT_SECRET).update(`${head}.${body}`).digest('base64url')
  return `${head}.${body}.${sig}`
}

type Ctx = { auth?: string; rid?: string }
type Member = Generated['members'][number] & { auth: string }

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

async function main() {
  const scaleName = opt('scale', 'default')
  const scale = SCALES[scaleName]
  if (!scale) throw new Error(`unknown --scale ${scaleName} (only: ${Object.keys(SCALES).join(', ')})`)
  const repeats = Number(opt('repeats', '3'))
  const seconds = Number(opt('seconds', '10'))
  const connections = 50
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

  const t0 = Date.now()
  const g = await generate(adminUrl, 'vp_bench', scale)
  const loadSeconds = (Date.now() - t0) / 1000
  console.log(`loaded ${g.members.length} members, ${g.entries} ledger entries in ${fmt(loadSeconds, 1)} s`)
  const members: Member[] = g.members.map((m) => ({ ...m, auth: `Bearer ${token(m.userId)}` }))

  const server = await startPinned(
    'server',
    'src/server.ts',
    { DATABASE_URL: g.url, JWT_SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'production' },
    {
      cpu: 0,
      port: 3901,
      readyPath: '/healthz',
      // --cpu-prof: write a V8 profile of the server to /tmp/vp-bench-profiles/ (open in Chrome DevTools).
      nodeArgs: args.includes('--cpu-prof') ? ['--cpu-prof', '--cpu-prof-dir=/tmp/vp-bench-profiles'] : [],
    },
  )
  const baseline = await startPinned(
    'baseline',
    'bench/baseline.ts',
    {
      DATABASE_URL: g.url,
      BASELINE_READ_SQL:
        'select id, member_id, balance, held, lifetime_earned from ledger_accounts where member_id = $1',
      BASELINE_WRITE_SQL:
        'insert into bench_baseline_entries (account_id, amount) values ($1, -100);' +
        'update bench_baseline_accounts set held = held + 100 where id = $1 and balance - held >= 100',
    },
    { cpu: 0, port: 3902, readyPath: '/healthz' },
  )

  try {
    const run = (url: string, requests: autocannon.Request[], secs = seconds) =>
      load({ url, connections, seconds: secs, requests })

    // --- balance read ---------------------------------------------------------------------------
    const balanceReal = (secs?: number) =>
      run(
        server.url,
        cycling(members, (m) => ({
          method: 'GET',
          path: `/api/v1/members/${m.memberId}/balance`,
          headers: { authorization: m.auth },
        })),
        secs,
      )
    const balanceBase = (secs?: number) =>
      run(
        baseline.url,
        cycling(members, (m) => ({ method: 'GET', path: `/read/${m.memberId}` })),
        secs,
      )
    await balanceReal(3)
    await balanceBase(3)
    const balance = await interleaved(repeats, balanceReal, balanceBase)

    // --- redemption cycle: create (idempotent, fresh key) then cancel -----------------------------
    const redemptionReal = (secs?: number) => {
      let n = 0
      return run(
        server.url,
        [
          {
            method: 'POST',
            path: '/api/v1/redemptions',
            setupRequest: (req, context) => {
              const m = members[n++ % members.length]!
              const ctx = context as Ctx
              ctx.auth = m.auth
              return {
                ...req,
                headers: {
                  authorization: m.auth,
                  'content-type': 'application/json',
                  'idempotency-key': randomUUID(),
                },
                body: JSON.stringify({ memberId: m.memberId, rewardId: g.rewardId, quantity: 1 }),
              }
            },
            onResponse: (status, body, context) => {
              ;(context as Ctx).rid = status === 201 ? JSON.parse(body).id : undefined
            },
          },
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
    }
    const redemptionBase = (secs?: number) =>
      run(
        baseline.url,
        cycling(members, (m) => ({ method: 'POST', path: `/write/${m.accountId}` })),
        secs,
      )
    await redemptionReal(3)
    await redemptionBase(3)
    const redemption = await interleaved(repeats, redemptionReal, redemptionBase)

    // --- first page of a member's ledger (no baseline: latency only) ------------------------------
    const ledgerReal = () =>
      run(
        server.url,
        cycling(members, (m) => ({
          method: 'GET',
          path: `/api/v1/members/${m.memberId}/ledger`,
          headers: { authorization: m.auth },
        })),
      )
    await ledgerReal()
    const ledger = [await ledgerReal()]

    report({ g, loadSeconds, repeats, seconds, connections, balance, redemption, ledger, server, baseline })
  } finally {
    await server.stop()
    await baseline.stop()
  }
}

function report(r: {
  g: Generated
  loadSeconds: number
  repeats: number
  seconds: number
  connections: number
  balance: { a: Sample[]; b: Sample[] }
  redemption: { a: Sample[]; b: Sample[] }
  ledger: Sample[]
  server: Proc
  baseline: Proc
}) {
  // A redemption cycle is two requests (create + cancel); its ratio is cycles/s over bare writes/s.
  const cycles = r.redemption.a.map((s) => ({ ...s, rps: s.rps / 2 }))
  const rows = [
    summarise('getBalance vs bare PK read', r.balance.a, r.balance.b),
    summarise('redemption cycle (cycles/s) vs bare write', cycles, r.redemption.b),
    summarise('listMemberLedger first page', r.ledger, undefined),
  ]
  const rss = r.server.peakRssMb()
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
  const baseP = (s: Sample[]) =>
    `p50 ${fmt(median(s.map((x) => x.p50)))} ms, p99 ${fmt(median(s.map((x) => x.p99)))} ms`
  const table = [
    `Data: ${r.g.members.length} members, ${r.g.entries} ledger entries, loaded in ${fmt(r.loadSeconds, 1)} s.`,
    `Method: server and baseline each pinned to core 0, autocannon pinned to core 1, ${r.connections} connections, 3 s warm-up, ${r.repeats} interleaved repeats of ${r.seconds} s (A B A B) at saturation; medians.`,
    '',
    ...lines,
    '',
    `Baseline latency: read ${baseP(r.balance.b)}; write ${baseP(r.redemption.b)}.`,
    `Server peak RSS: ${fmt(rss)} MB (baseline ${fmt(r.baseline.peakRssMb())} MB).`,
  ].join('\n')
  const summary = `bench: balanceRead=${fmt(rows[0]!.ratio!, 2)} redemption=${fmt(rows[1]!.ratio!, 2)} p99BalanceMs=${fmt(rows[0]!.p99)} finalize2000s=n/a rssMB=${fmt(rss)}`
  console.log(`\n${table}\n`)
  const machine = `${cpus().length} cores (nproc; the runner itself sees only its pinned core), Node ${process.version}, PostgreSQL on the same machine`
  const out = opt('out', 'BENCHMARKS.md')
  // Hand-written analysis below the marker survives a re-run; only the measured part above it is replaced.
  const marker = '<!-- analysis: kept across runs -->'
  const prior = existsSync(out) ? readFileSync(out, 'utf8') : ''
  const kept = prior.includes(marker) ? prior.slice(prior.indexOf(marker)) : `${marker}\n`
  writeFileSync(
    out,
    `# Benchmarks

Measured ${new Date().toISOString()} with \`npm run bench -- --repeats ${r.repeats} --seconds ${r.seconds}\`
on ${machine}. The machine is shared with CI runs: absolute figures drift by +-30% within an hour; the
ratios to the bare baseline (same process pinning, same database, run alternately) are the figures to compare.

${table}

\`\`\`
${summary}
\`\`\`

${kept}`,
  )
  console.log(summary)
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
} else {
  await main()
}
