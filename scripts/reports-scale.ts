/**
 * Report queries at city scale, outside the test suite (speed is measured here and in `npm run bench`,
 * never in a timed test).
 *
 *   npx tsx scripts/reports-scale.ts load      # reports_scale: 300,000 members, 10 M ledger entries
 *   npx tsx scripts/reports-scale.ts measure   # times each report (median of warm runs)
 *   npx tsx scripts/reports-scale.ts drop
 *
 * The data is the benchmark's own city (bench/generate.ts, SCALES.city), so these figures and the
 * benchmark's describe the same database. REPORTS_SCALE_URL overrides the admin connection.
 */
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { generate, SCALES, withDatabase } from '../bench/generate'
import { openDatabase } from '../src/db/client'
import {
  getHoursPointsByActivity,
  getHoursPointsByTeam,
  getRedemptionsByReward,
  listInactiveMembers,
} from '../src/modules/reports/breakdowns'
import { getMonthlyTotals, getRanking, getSummary } from '../src/modules/reports/service'
import type { Caller } from '../src/shared/authz'

const ADMIN = process.env.REPORTS_SCALE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const DB = 'reports_scale'
const TZ = 'Asia/Shanghai'

async function load() {
  const t0 = Date.now()
  const g = await generate(ADMIN, DB, SCALES.city!)
  console.log(`loaded ${g.members.length} members, ${g.entries} entries in ${(Date.now() - t0) / 1000} s`)
  console.log(g.timings)
}

async function drop() {
  const c = new pg.Client({ connectionString: ADMIN })
  await c.connect()
  await c.query(`drop database if exists ${DB} with (force)`)
  await c.end()
}

async function measure() {
  const database = await openDatabase({
    databaseUrl: withDatabase(ADMIN, DB),
    timezone: TZ,
    statementTimeoutMs: 60_000,
  })
  const { db, pool } = database
  const q = async <T>(text: string) => (await pool!.query(text)).rows as T[]
  const [root] = await q<{ id: string; path: string }>(`select id, path from org_units where kind = 'root'`)
  const [city] = await q<{ id: string }>(`select id from org_units where kind = 'city'`)
  const [county] = await q<{ id: string }>(
    `select id from org_units where kind = 'district' order by name limit 1`,
  )
  const [community] = await q<{ id: string }>(
    `select id from org_units where kind = 'community' order by name limit 1`,
  )
  const caller: Caller = {
    userId: '00000000-0000-0000-0000-000000000000',
    username: 'scale',
    memberId: null,
    residentId: null,
    grants: [{ id: 'g', role: 'admin', orgUnitId: root!.id, path: root!.path }],
  }
  const year = Number(new Date().toLocaleString('en-CA', { timeZone: TZ }).slice(0, 4))
  const counts = await q<Record<string, string>>(
    `select (select count(*) from members) members, (select count(*) from ledger_entries) entries,
            (select count(*) from report_member_months) member_months,
            (select count(*) from report_unit_days) unit_days,
            (select count(*) from report_hours_days) hours_days,
            (select count(*) from report_subtree_hours_days) subtree_hours_days,
            (select count(*) from report_volunteer_days) volunteer_days,
            (select count(*) from activity_participants) participations,
            (select count(*) from members m join org_units u on u.id = m.org_unit_id
              where u.path like (select path from org_units where id = '${county!.id}') || '%') county_members`,
  )
  console.log(counts[0])
  const cases: [string, () => Promise<unknown>][] = [
    [
      'getRanking county year (first page of 50)',
      () => getRanking(db, caller, { orgUnitId: county!.id, year }),
    ],
    [
      'getRanking county year (CSV, all rows)',
      () => getRanking(db, caller, { orgUnitId: county!.id, year }, { all: true }),
    ],
    [
      'getSummary city year',
      () => getSummary(db, caller, { orgUnitId: city!.id, from: `${year}-01-01`, to: `${year}-12-31` }),
    ],
    ['getSummary city open period', () => getSummary(db, caller, { orgUnitId: city!.id })],
    [
      'getSummary city 12 Mar - 3 May (not whole months)',
      () => getSummary(db, caller, { orgUnitId: city!.id, from: `${year}-03-12`, to: `${year}-05-03` }),
    ],
    [
      'getSummary county year',
      () => getSummary(db, caller, { orgUnitId: county!.id, from: `${year}-01-01`, to: `${year}-12-31` }),
    ],
    ['getMonthlyTotals city year', () => getMonthlyTotals(db, caller, { orgUnitId: city!.id, year })],
    ['getMonthlyTotals county year', () => getMonthlyTotals(db, caller, { orgUnitId: county!.id, year })],
    [
      'getHoursPointsByTeam county',
      () => getHoursPointsByTeam(db, caller, { orgUnitId: county!.id, from: `${year}-01-01` }, TZ),
    ],
    [
      'getHoursPointsByActivity county (page of 50)',
      () => getHoursPointsByActivity(db, caller, { orgUnitId: county!.id, from: `${year}-01-01` }, TZ),
    ],
    [
      'getRedemptionsByReward city (page of 50)',
      () => getRedemptionsByReward(db, caller, { orgUnitId: city!.id }, TZ),
    ],
    [
      'getRedemptionsByReward community',
      () => getRedemptionsByReward(db, caller, { orgUnitId: community!.id }, TZ),
    ],
    [
      'listInactiveMembers county (page of 50)',
      () => listInactiveMembers(db, caller, { orgUnitId: county!.id, year }, TZ),
    ],
    [
      'listInactiveMembers city (page of 50)',
      () => listInactiveMembers(db, caller, { orgUnitId: city!.id, year }, TZ),
    ],
  ]
  const only = process.argv[3]
  for (const [name, run] of cases) {
    if (only && !name.includes(only)) continue
    await run() // warm
    const times: number[] = []
    for (let i = 0; i < 5; i++) {
      const t = performance.now()
      await run()
      times.push(performance.now() - t)
    }
    times.sort((a, b) => a - b)
    console.log(
      `${name.padEnd(50)} median ${times[2]!.toFixed(1).padStart(8)} ms  (min ${times[0]!.toFixed(1)}, max ${times[4]!.toFixed(1)})`,
    )
  }
  await database.close()
}

const cmd = process.argv[2]
const run = cmd === 'load' ? load : cmd === 'measure' ? measure : cmd === 'drop' ? drop : undefined
if (!run) {
  console.error('usage: tsx scripts/reports-scale.ts load|measure|drop [case filter]')
  process.exit(2)
}
run().catch((err) => {
  console.error(err)
  process.exit(1)
})
