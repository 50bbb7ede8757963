/**
 * How long do postings wait while the months that are over are folded? (docs/performance.md, "The fold without
 * holding up postings".)
 *
 * `npx tsx bench/fold-wait.ts [--url postgres://postgres@127.0.0.1:5432/vp_bench_city] [--repeats 2]
 *  [--workers 4]`, on a database loaded by `npm run bench -- --scale city --keep` (or the default scale's vp_bench
 * with --url). Each repeat, for each way of folding, interleaved:
 * 1. unfolds the last folded month (its report_subtree_months rows deleted, both sides of the fold moved back a month),
 * 2. runs --workers connections posting one claim result each, back to back, as a round's finalize does
 *    (postClaimResults; postings of the current month, which upsert report_unit_months at their commit),
 * 3. after a second of that, folds the month again, either in one transaction (`select report_points_fold()`, as
 *    before 2026-12-07: the lock on report_unit_months held for the whole fold) or as the service does now (foldPoints:
 *    report_points_fold_begin, then report_points_fold_finish in a second transaction),
 * 4. and prints the fold's time, and the postings' latency before it and while it ran (p50, p99, max).
 * The folded rows are checked against what they were before step 1 (the city's row of that month), every time.
 * Adds a few thousand postings to the database it runs on.
 */
import { sql } from 'drizzle-orm'
import { type Db, one, openDatabase, rows, transaction } from '../src/db/client'
import { postClaimResults } from '../src/modules/ledger/service'
import { foldPoints } from '../src/modules/reports'
import { opt } from './lib'

const url = opt('url', 'postgres://postgres@127.0.0.1:5432/vp_bench_city')
const repeats = Number(opt('repeats', '2'))
const workers = Number(opt('workers', '4'))

const database = await openDatabase({ databaseUrl: url, timezone: 'Asia/Shanghai', poolSize: workers + 2 })
const db = database.db

const settings = await one<{ before: string; cutoff: string }>(
  db,
  sql`select points_folded_before::text as before, points_fold_cutoff::text as cutoff from report_settings`,
)
if (!settings || settings.before !== settings.cutoff || settings.before === '-infinity')
  throw new Error(`the database must be folded to a month first: ${JSON.stringify(settings)}`)
const upto = settings.before
const lastMonth = (await one<{ m: string }>(
  db,
  sql`select (${upto}::date - interval '1 month')::date::text as m`,
))!.m
const root = (await one<{ id: string }>(db, sql`select id from org_units where parent_id is null limit 1`))!
  .id
const cityRow = () =>
  one<{ issued: string; n: number }>(
    db,
    sql`select issued::text, (select count(*)::int from report_subtree_months where month = ${lastMonth}::date) as n
        from report_subtree_months where unit_id = ${root} and month = ${lastMonth}::date`,
  )
const expected = await cityRow()
if (!expected) throw new Error(`no folded row of ${lastMonth} for the root unit`)
const members = (await rows<{ id: string }>(db, sql`select id from members order by id limit 200`)).map(
  (r) => r.id,
)

async function unfold() {
  await transaction(db, async (tx) => {
    await tx.execute(sql`delete from report_subtree_months where month = ${lastMonth}::date`)
    await tx.execute(
      sql`update report_settings set points_folded_before = ${lastMonth}::date, points_fold_cutoff = ${lastMonth}::date`,
    )
  })
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : Number.NaN
}
const fmt = (xs: number[]) =>
  `${xs.length} postings, p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`

async function run(mode: 'one transaction' | 'two steps') {
  await unfold()
  let stop = false
  let foldStart = Number.POSITIVE_INFINITY
  let foldEnd = Number.POSITIVE_INFINITY
  const before: number[] = []
  const during: number[] = []
  let k = 0
  const post = async (d: Db) => {
    while (!stop) {
      const memberId = members[k++ % members.length]!
      const t0 = performance.now()
      await transaction(d, (tx) =>
        postClaimResults(tx, null, [
          { memberId, claimId: crypto.randomUUID(), amountCents: 1, memo: 'fold-wait', effectiveDate: upto },
        ]),
      )
      const t1 = performance.now()
      // a posting whose wait overlapped the fold counts as "during"
      if (t1 >= foldStart && t0 <= foldEnd) during.push(t1 - t0)
      else if (t1 < foldStart) before.push(t1 - t0)
    }
  }
  const load = Promise.all(Array.from({ length: workers }, () => post(db)))
  await new Promise((r) => setTimeout(r, 1000))
  foldStart = performance.now()
  const n =
    mode === 'two steps'
      ? await foldPoints(db)
      : Number((await one<{ n: string }>(db, sql`select report_points_fold() as n`))!.n)
  foldEnd = performance.now()
  await new Promise((r) => setTimeout(r, 300))
  stop = true
  await load
  const got = await cityRow()
  const ok = got?.issued === expected!.issued && got?.n === expected!.n
  console.log(
    `${mode.padEnd(15)} fold ${(foldEnd - foldStart).toFixed(0)} ms (${n} rows${ok ? ', the city row as before' : `, MISMATCH ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`})\n` +
      `  before the fold: ${fmt(before)}\n  during the fold: ${fmt(during)}`,
  )
  if (!ok) process.exitCode = 1
}

console.log(
  `fold-wait on ${new URL(url).pathname.slice(1)}: ${lastMonth} unfolded and folded again, ${workers} posting connections`,
)
for (let i = 0; i < repeats; i++) {
  await run('one transaction')
  await run('two steps')
}
// the postings of the runs are this month's: the fold's figures stay exact; the last run left the month folded
await database.close()
