/**
 * Loads a benchmark organisation into a fresh database, fast.
 *
 * The big tables (org units, members, users, grants, ledger accounts, ledger transactions, ledger entries,
 * redemptions) are made in this process and streamed with COPY FROM STDIN (pg-copy-streams); the ledger's
 * two tables are fed at once over two connections while their secondary indexes are dropped, and the
 * indexes are rebuilt after the load (one sort per index instead of 10 M random B-tree inserts). The
 * smaller report tables (activities and their participants, service requests, the rubric) are made with
 * set-based INSERT ... SELECT in the database.
 *
 * Ledger history is loaded with triggers off (session_replication_role = replica): the append-only,
 * balanced-transaction and cache-justification triggers would otherwise cost a deferred check per row.
 * The data is still made to satisfy what they check: every transaction's amounts sum to zero (award and
 * deduction: member entry + issuance entry; hold: one member entry moving `held`; post: member entry and
 * the community redemption account), member entries carry account_version / balance_after / held_after,
 * and each account's cached balance, held, lifetime_earned, version and head_hash equal its newest entry.
 * The hashes are NOT a real sha256 chain of canonical content (they are sha256 of member id and sequence),
 * so verifyLedger reports tamper problems on generated history; postings made by the server chain on top
 * of the generated head as usual.
 */
import { createHash, randomUUID } from 'node:crypto'
import { PassThrough, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { migrateUrl } from '../src/db/migrate'

export interface Scale {
  /** city > counties (district) > streets > communities > branches > members */
  counties: number
  streetsPerCounty: number
  communitiesPerStreet: number
  branchesPerCommunity: number
  membersPerBranch: number
  /** Ledger entries to make, exactly. */
  entries: number
  rewardsPerCommunity: number
  /** Verified activities per branch over the past year; about half the branch takes part in each. */
  activitiesPerBranch: number
  /** One confirmed service request per this many members. */
  membersPerServiceRequest: number
  /** One fulfilled redemption (hold + post) per this many members. */
  membersPerRedemption: number
}

export const SCALES: Record<string, Scale> = {
  // 2,000 members, 200,000 ledger entries: one county of one city.
  default: {
    counties: 1,
    streetsPerCounty: 1,
    communitiesPerStreet: 1,
    branchesPerCommunity: 10,
    membersPerBranch: 200,
    entries: 200_000,
    rewardsPerCommunity: 20,
    activitiesPerBranch: 12,
    membersPerServiceRequest: 5,
    membersPerRedemption: 4,
  },
  // 300,000 members (150 counties of 2,000), 10,000,000 ledger entries.
  city: {
    counties: 150,
    streetsPerCounty: 4,
    communitiesPerStreet: 5,
    branchesPerCommunity: 4,
    membersPerBranch: 25,
    entries: 10_000_000,
    rewardsPerCommunity: 5,
    activitiesPerBranch: 12,
    membersPerServiceRequest: 5,
    membersPerRedemption: 4,
  },
}

export interface BenchMember {
  memberId: string
  userId: string
  accountId: string
  /** The member's community (their rewards' office). */
  communityId: string
}

export interface Generated {
  url: string
  cityId: string
  /** The first county (district): 2,000 members. */
  countyId: string
  communityId: string
  /** The first community's first reward (the single-hot-reward case). */
  rewardId: string
  /** Rewards of each community, in name order. */
  rewardsByCommunity: Map<string, string[]>
  secretaryUserId: string
  clerkUserId: string
  rubricId: string
  members: BenchMember[]
  entries: number
  /** Seconds per phase of the load. */
  timings: Record<string, number>
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

/** One COPY FROM STDIN of text-format lines into `table (columns)`. */
async function copyRows(c: pg.Client, table: string, columns: string, lines: Iterable<string>) {
  const stream = c.query(copyFrom(`copy ${table} (${columns}) from stdin`))
  await pipeline(Readable.from(batched(lines)), stream)
}

function* batched(lines: Iterable<string>, size = 1 << 16): Generator<string> {
  let buf = ''
  for (const l of lines) {
    buf += l
    if (buf.length >= size) {
      yield buf
      buf = ''
    }
  }
  if (buf) yield buf
}

const N = '\\N'
const hex = (s: string) => createHash('sha256').update(s).digest('hex')

interface Unit {
  id: string
  parentId: string | null
  kind: string
  name: string
  path: string
  depth: number
}

export async function generate(adminUrl: string, dbName: string, scale: Scale): Promise<Generated> {
  const timings: Record<string, number> = {}
  let t = Date.now()
  const lap = (name: string) => {
    const now = Date.now()
    timings[name] = (now - t) / 1000
    t = now
  }
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${dbName} with (force)`)
  await admin.query(`create database ${dbName}`)
  await admin.end()

  const url = withDatabase(adminUrl, dbName)
  await migrateUrl(url)
  lap('migrate')
  const c = new pg.Client({ connectionString: url })
  const c2 = new pg.Client({ connectionString: url })
  await c.connect()
  await c2.connect()
  try {
    for (const x of [c, c2]) {
      await x.query('set session_replication_role = replica')
      await x.query(`set maintenance_work_mem = '512MB'`)
    }

    // --- the tree -------------------------------------------------------------------------------
    const units: Unit[] = []
    const add = (parent: Unit | null, kind: string, name: string): Unit => {
      const id = randomUUID()
      const u = {
        id,
        parentId: parent?.id ?? null,
        kind,
        name,
        path: `${parent?.path ?? '/'}${id}/`,
        depth: parent ? parent.depth + 1 : 0,
      }
      units.push(u)
      return u
    }
    const root = add(null, 'root', 'Root')
    const city = add(root, 'city', 'Bench city')
    const branches: { unit: Unit; community: Unit; county: Unit }[] = []
    const communities: Unit[] = []
    const counties: Unit[] = []
    for (let d = 1; d <= scale.counties; d++) {
      const county = add(city, 'district', `County ${d}`)
      counties.push(county)
      for (let s = 1; s <= scale.streetsPerCounty; s++) {
        const street = add(county, 'street', `Street ${d}-${s}`)
        for (let m = 1; m <= scale.communitiesPerStreet; m++) {
          const community = add(street, 'community', `Community ${d}-${s}-${m}`)
          communities.push(community)
          for (let b = 1; b <= scale.branchesPerCommunity; b++) {
            branches.push({ unit: add(community, 'branch', `Branch ${d}-${s}-${m}-${b}`), community, county })
          }
        }
      }
    }
    await copyRows(
      c,
      'org_units',
      'id, parent_id, kind, name, path, depth',
      units.map((u) => `${u.id}\t${u.parentId ?? N}\t${u.kind}\t${u.name}\t${u.path}\t${u.depth}\n`),
    )

    // --- members, their users and grants --------------------------------------------------------
    const members: (BenchMember & { branchId: string; name: string })[] = []
    let n = 0
    for (const b of branches) {
      for (let i = 0; i < scale.membersPerBranch; i++) {
        n++
        members.push({
          memberId: randomUUID(),
          userId: randomUUID(),
          accountId: randomUUID(),
          communityId: b.community.id,
          branchId: b.unit.id,
          name: `Member ${String(n).padStart(7, '0')}`,
        })
      }
    }
    await copyRows(
      c,
      'members',
      'id, org_unit_id, name',
      members.map((m) => `${m.memberId}\t${m.branchId}\t${m.name}\n`),
    )
    // Never used to log in (tokens are signed by the runner): a placeholder that passes the argon2id CHECK.
    await copyRows(
      c,
      'users',
      'id, username, password_hash, member_id',
      members.map(
        (m) =>
          `${m.userId}\tbench-${m.name.toLowerCase().replace(' ', '-')}\t$argon2id$bench-no-login\t${m.memberId}\n`,
      ),
    )
    await copyRows(
      c,
      'role_grants',
      'user_id, role, org_unit_id',
      members.map((m) => `${m.userId}\tmember\t${m.branchId}\n`),
    )
    const staff = await c.query(
      `insert into users (username, password_hash) values ('bench-secretary', '$argon2id$bench-no-login'),
         ('bench-clerk', '$argon2id$bench-no-login') returning id, username`,
    )
    const secretaryUserId = staff.rows.find((r) => r.username === 'bench-secretary').id as string
    const clerkUserId = staff.rows.find((r) => r.username === 'bench-clerk').id as string
    await c.query(
      `insert into role_grants (user_id, role, org_unit_id) values ($1, 'secretary', $3), ($1, 'panelist', $3),
         ($2, 'clerk', $3)`,
      [secretaryUserId, clerkUserId, root.id],
    )
    lap('tree, members, users')

    // --- rewards (a catalogue per community office) ----------------------------------------------
    const rewardsByCommunity = new Map<string, string[]>()
    const rewardLines: string[] = []
    for (const com of communities) {
      const ids: string[] = []
      for (let r = 1; r <= scale.rewardsPerCommunity; r++) {
        const id = randomUUID()
        ids.push(id)
        // 1.00 point each so a member's history pays for any number of benchmark cycles.
        rewardLines.push(
          `${id}\t${com.id}\tReward ${String(r).padStart(2, '0')}\t100\t10000000\t10000000\t10000000\n`,
        )
      }
      rewardsByCommunity.set(com.id, ids)
    }
    await copyRows(
      c,
      'rewards',
      'id, org_unit_id, name, points_cost, stock_received, stock_on_hand, stock_available',
      rewardLines,
    )

    // --- ledger ----------------------------------------------------------------------------------
    const issuance = new Map(branches.map((b) => [b.unit.id, randomUUID()]))
    const redemptionAccount = new Map(communities.map((com) => [com.id, randomUUID()]))
    const redeemers = Math.floor(members.length / scale.membersPerRedemption)
    const awards = (scale.entries - 3 * redeemers) / 2
    if (!Number.isInteger(awards) || awards < members.length) {
      throw new Error(`cannot make exactly ${scale.entries} entries for ${members.length} members`)
    }
    const base = Math.floor(awards / members.length)
    const extra = awards % members.length

    // Secondary indexes of the two big tables are dropped for the load and rebuilt after it.
    const idx = await c.query<{ name: string; def: string }>(
      `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i
       where i.indrelid in ('ledger_transactions'::regclass, 'ledger_entries'::regclass)
         and not exists (select 1 from pg_constraint k where k.conindid = i.indexrelid)`,
    )
    for (const i of idx.rows) await c.query(`drop index ${i.name}`)

    const txOut = new PassThrough()
    const enOut = new PassThrough()
    const txCopy = pipeline(
      txOut,
      c.query(
        copyFrom(
          `copy ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, reference_type,
             reference_id, effective_date, actor_user_id, created_at) from stdin`,
        ),
      ),
    )
    const enCopy = pipeline(
      enOut,
      c2.query(
        copyFrom(
          `copy ledger_entries (transaction_id, account_id, amount, held_change, account_version, balance_after,
             held_after) from stdin`,
        ),
      ),
    )
    const accountLines: string[] = []
    const redemptionLines: string[] = []
    const now = Date.now()
    const DAY = 86_400_000
    let txBuf = ''
    let enBuf = ''
    const flush = async (force: boolean) => {
      if (txBuf.length > 1 << 16 || (force && txBuf)) {
        if (!txOut.write(txBuf)) await new Promise((r) => txOut.once('drain', r))
        txBuf = ''
      }
      if (enBuf.length > 1 << 16 || (force && enBuf)) {
        if (!enOut.write(enBuf)) await new Promise((r) => enOut.once('drain', r))
        enBuf = ''
      }
    }
    const date = (ms: number) => new Date(ms).toISOString()
    for (let mi = 0; mi < members.length; mi++) {
      const m = members[mi]!
      const k = base + (mi < extra ? 1 : 0)
      const redeems = mi % scale.membersPerRedemption === 0 && mi / scale.membersPerRedemption < redeemers
      const total = k + (redeems ? 2 : 0)
      const iss = issuance.get(m.branchId)!
      let balance = 0
      let earned = 0
      let held = 0
      let seq = 0
      let hash = ''
      // Spread over the past 360 days, oldest first, so a ranking of this year finds most of it.
      const at = (s: number) => now - Math.round(((total - s + 1) * 360 * DAY) / (total + 1))
      for (let s = 1; s <= k; s++) {
        seq++
        // Every 10th posting is a deduction (扣分), the rest awards of 1.00-20.00 points.
        const deduction = s % 10 === 5
        const amount = deduction ? -300 : (((mi + s * 7) % 20) + 1) * 100
        balance += amount
        earned += amount
        hash = hex(`${m.memberId}:${seq}`)
        const id = randomUUID()
        const ts = at(seq)
        txBuf += `${id}\t${deduction ? 'deduction' : 'award'}\t${m.memberId}\t${m.accountId}\t${seq}\t${hash}\tBenchmark ${deduction ? 'deduction' : 'award'} ${s}\t${N}\t${N}\t${date(ts).slice(0, 10)}\t${N}\t${date(ts)}\n`
        enBuf += `${id}\t${m.accountId}\t${amount}\t0\t${seq}\t${balance}\t0\n${id}\t${iss}\t${-amount}\t0\t${N}\t${N}\t${N}\n`
      }
      if (redeems) {
        const rid = randomUUID()
        const hold = randomUUID()
        const post = randomUUID()
        const amount = 500
        const reward = rewardsByCommunity.get(m.communityId)![mi % scale.rewardsPerCommunity]!
        const tHold = at(seq + 1)
        const tPost = at(seq + 2)
        seq++
        held += amount
        hash = hex(`${m.memberId}:${seq}`)
        txBuf += `${hold}\thold\t${m.memberId}\t${m.accountId}\t${seq}\t${hash}\tredemption of 1 x reward\tredemption\t${rid}\t${date(tHold).slice(0, 10)}\t${clerkUserId}\t${date(tHold)}\n`
        enBuf += `${hold}\t${m.accountId}\t0\t${amount}\t${seq}\t${balance}\t${held}\n`
        seq++
        held -= amount
        balance -= amount
        hash = hex(`${m.memberId}:${seq}`)
        txBuf += `${post}\tpost\t${m.memberId}\t${m.accountId}\t${seq}\t${hash}\tredemption fulfilled\tredemption\t${rid}\t${date(tPost).slice(0, 10)}\t${clerkUserId}\t${date(tPost)}\n`
        enBuf += `${post}\t${m.accountId}\t${-amount}\t${-amount}\t${seq}\t${balance}\t${held}\n${post}\t${redemptionAccount.get(m.communityId)}\t${amount}\t0\t${N}\t${N}\t${N}\n`
        redemptionLines.push(
          `${rid}\t${m.memberId}\t${reward}\t${m.communityId}\t1\t${amount}\t${amount}\tfulfilled\t${hold}\t${post}\t${clerkUserId}\t${date(tHold)}\t${date(tPost)}\t${clerkUserId}\n`,
        )
      }
      accountLines.push(
        `${m.accountId}\tmember\t${m.memberId}\t${m.branchId}\t${balance}\t${held}\t${earned}\t${seq}\t${hash}\n`,
      )
      await flush(false)
    }
    await flush(true)
    txOut.end()
    enOut.end()
    await Promise.all([txCopy, enCopy])
    lap('ledger COPY')
    // Rebuild the dropped indexes on both connections at once.
    const defs = idx.rows.map((i) => i.def)
    await Promise.all(
      [c, c2].map(async (x, w) => {
        for (let i = w; i < defs.length; i += 2) await x.query(defs[i]!)
      }),
    )
    lap('ledger indexes')
    for (const [branchId, id] of issuance)
      accountLines.push(`${id}\tissuance\t${N}\t${branchId}\t0\t0\t0\t0\t\n`)
    for (const [comId, id] of redemptionAccount)
      accountLines.push(`${id}\tredemption\t${N}\t${comId}\t0\t0\t0\t0\t\n`)
    await copyRows(
      c,
      'ledger_accounts',
      'id, kind, member_id, org_unit_id, balance, held, lifetime_earned, version, head_hash',
      accountLines,
    )
    await copyRows(
      c,
      'redemptions',
      `id, member_id, reward_id, org_unit_id, quantity, points_cost, amount, status, hold_id,
       capture_transaction_id, created_by, created_at, fulfilled_at, fulfilled_by`,
      redemptionLines,
    )
    // Stock counters agree with what was handed out (on hand = received - handed out).
    await c.query(
      `update rewards r set stock_received = stock_received + x.n, stock_handed_out = x.n
       from (select reward_id, count(*)::int n from redemptions group by reward_id) x where x.reward_id = r.id`,
    )
    lap('accounts, redemptions')

    // --- report data: activities with verified hours, service requests, a rubric ----------------------
    await c.query(`create temp table bench_m as
       select m.id, m.org_unit_id, row_number() over (partition by m.org_unit_id order by m.name) as n
       from members m`)
    await c.query(
      `insert into activities (id, org_unit_id, title, starts_at, ends_at, status, verified_at, verified_by, created_by)
       select gen_random_uuid(), b.id, 'Volunteer activity ' || a, s, s + interval '2 hours', 'verified',
              s + interval '1 day', $1, $1
       from org_units b cross join generate_series(1, $2::int) a
       cross join lateral (select date_trunc('day', now()) - make_interval(days => (a * 360 / ($2::int + 1))) + interval '9 hours' as s) t
       where b.kind = 'branch'`,
      [secretaryUserId, scale.activitiesPerBranch],
    )
    await c.query(
      `insert into activity_participants (activity_id, member_id, hours_cents, activity_length_cents, recorded_by)
       select a.id, m.id, 200, 200, $1
       from activities a join bench_m m on m.org_unit_id = a.org_unit_id
       where (m.n + substr(a.title, 20)::int) % 2 = 0`,
      [secretaryUserId],
    )
    await c.query(
      `insert into service_requests (org_unit_id, requester_name, title, description, status, member_id,
         dispatched_at, dispatched_by, accepted_at, completed_at, hours_cents, confirmed_at, confirmed_by,
         rating, created_by, created_at)
       select m.org_unit_id, 'Resident', 'Help at home', 'Bench service request', 'confirmed', m.id,
              t - interval '3 days', $1, t - interval '2 days', t, 150, t + interval '1 day', $1, 5, $1,
              t - interval '4 days'
       from bench_m m cross join lateral (select now() - make_interval(days => (m.n::int * 7) % 300 + 5) as t) x
       where m.n % $2 = 0`,
      [secretaryUserId, scale.membersPerServiceRequest],
    )
    // An active rubric of the city for this year, whose item B01 the finalize benchmark's claims use.
    const rubric = await c.query(
      `insert into rubrics (org_unit_id, year, name, status, activated_at, created_by)
       values ($1, extract(year from now())::int, 'Bench rubric', 'active', now(), $2) returning id`,
      [city.id, secretaryUserId],
    )
    const rubricId = rubric.rows[0].id as string
    await c.query(
      `insert into rubric_items (rubric_id, code, position, name, kind, unit, points_per_unit, max_per_claim, cap_per_year)
       values ($1, 'B01', 1, 'Volunteer service', 'award', 'occurrence', 500, 500, 10000000),
              ($1, 'D01', 2, 'Missed meeting', 'deduction', 'occurrence', 200, 200, 10000000)`,
      [rubricId],
    )
    lap('activities, requests, rubric')

    // The yardstick's own write target: same shape as a member account, no ledger triggers on it.
    await c.query(
      `create table bench_baseline_accounts as select id, balance, held from ledger_accounts where kind = 'member'`,
    )
    await c.query('alter table bench_baseline_accounts add primary key (id)')
    await c.query(
      `create table bench_baseline_entries (id bigint generated always as identity primary key,
         account_id uuid not null, amount bigint not null, created_at timestamptz not null default now())`,
    )
    await c.query('set session_replication_role = origin')
    const rebuilt = await rebuildRollups(c)
    if (rebuilt.length) lap(`rollups (${rebuilt.join(', ')})`)
    await c.query('vacuum analyze')
    lap('vacuum analyze')
    const entries = Number((await c.query('select count(*) n from ledger_entries')).rows[0].n)
    return {
      url,
      cityId: city.id,
      countyId: counties[0]!.id,
      communityId: communities[0]!.id,
      rewardId: rewardsByCommunity.get(communities[0]!.id)![0]!,
      rewardsByCommunity,
      secretaryUserId,
      clerkUserId,
      rubricId,
      members: members.map(({ memberId, userId, accountId, communityId }) => ({
        memberId,
        userId,
        accountId,
        communityId,
      })),
      entries,
      timings,
    }
  } finally {
    await c.end()
    await c2.end()
  }
}

/**
 * Rollups for reports, when the schema has them (issue 8: a function like report_rollups_rebuild()),
 * rebuilt from the rows loaded with triggers off. Returns the functions called.
 */
export async function rebuildRollups(c: pg.Client): Promise<string[]> {
  const found = await c.query<{ proname: string }>(
    `select proname from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.pronargs = 0 and proname ~ 'rollup.*rebuild|rebuild.*rollup'`,
  )
  for (const r of found.rows) await c.query(`select ${r.proname}()`)
  // Marks the database so a --reuse run rebuilds only when rollups appeared after the load.
  if (found.rowCount) await c.query('create table if not exists bench_rollups_built ()')
  return found.rows.map((r) => r.proname)
}

/**
 * What the runner needs from an existing benchmark database (--reuse): ids read back instead of made.
 * Members come in name order, as generated.
 */
export async function describe(url: string): Promise<Generated> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    const one = async (q: string) => (await c.query(q)).rows[0]?.id as string
    const members = (
      await c.query(
        `select m.id "memberId", u.id "userId", a.id "accountId", b.parent_id "communityId"
         from members m join org_units b on b.id = m.org_unit_id
         join users u on u.member_id = m.id join ledger_accounts a on a.member_id = m.id order by m.name`,
      )
    ).rows as BenchMember[]
    const rewards = await c.query<{ id: string; org: string }>(
      `select id, org_unit_id org from rewards order by org_unit_id, name`,
    )
    const rewardsByCommunity = new Map<string, string[]>()
    for (const r of rewards.rows)
      rewardsByCommunity.set(r.org, [...(rewardsByCommunity.get(r.org) ?? []), r.id])
    const communityId = members[0]!.communityId
    return {
      url,
      cityId: await one(`select id from org_units where kind = 'city'`),
      countyId: await one(`select id from org_units where kind = 'district' order by name limit 1`),
      communityId,
      rewardId: rewardsByCommunity.get(communityId)![0]!,
      rewardsByCommunity,
      secretaryUserId: await one(`select id from users where username = 'bench-secretary'`),
      clerkUserId: await one(`select id from users where username = 'bench-clerk'`),
      rubricId: await one(`select id from rubrics where name = 'Bench rubric'`),
      members,
      entries: Number((await c.query('select count(*) n from ledger_entries')).rows[0].n),
      timings: {},
    }
  } finally {
    await c.end()
  }
}
