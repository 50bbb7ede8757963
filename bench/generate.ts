/**
 * Loads a benchmark organisation into a fresh database, fast, with set-based INSERT ... SELECT
 * generate_series (no row-by-row round trips).
 *
 * Ledger history is loaded with triggers off (session_replication_role = replica): the append-only,
 * balanced-transaction and cache-justification triggers would otherwise cost a deferred check per row.
 * The data is still made to satisfy what they check: every award transaction has a member entry (+x) and
 * an issuance entry (-x) summing to zero, member entries carry account_version / balance_after, and each
 * account's cached balance, lifetime_earned, version and head_hash equal those of its newest entry. The
 * hashes are NOT a real sha256 chain of canonical content (they are derived from member id and sequence),
 * so verifyLedger reports tamper problems on generated history; new postings made by the server chain on
 * top of the generated head as usual.
 */
import pg from 'pg'
import { migrateUrl } from '../src/db/migrate'

export interface Scale {
  members: number
  /** Award transactions per member; each makes two entries (member + issuance). */
  awardsPerMember: number
  branches: number
}

export const SCALES: Record<string, Scale> = {
  // 2,000 members x 50 awards x 2 entries = 200,000 ledger entries.
  default: { members: 2000, awardsPerMember: 50, branches: 10 },
}

/** Points per generated award, in hundredths. */
export const AWARD_CENTS = 1000

export interface Generated {
  url: string
  communityId: string
  rewardId: string
  members: { memberId: string; userId: string; accountId: string }[]
  entries: number
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url)
  u.pathname = `/${name}`
  return u.toString()
}

export async function generate(adminUrl: string, dbName: string, scale: Scale): Promise<Generated> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${dbName} with (force)`)
  await admin.query(`create database ${dbName}`)
  await admin.end()

  const url = withDatabase(adminUrl, dbName)
  await migrateUrl(url)
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query('begin')
    await c.query('set local session_replication_role = replica')
    const root = (
      await c.query(
        `insert into org_units (id, kind, name, path, depth) select id, 'root', 'Root', '/' || id || '/', 0
         from (select gen_random_uuid() id) s returning id, path`,
      )
    ).rows[0]
    const community = (
      await c.query(
        `insert into org_units (id, parent_id, kind, name, path, depth)
         select id, $1, 'community', 'Bench community', $2 || id || '/', 1 from (select gen_random_uuid() id) s
         returning id, path`,
        [root.id, root.path],
      )
    ).rows[0]
    await c.query(
      `insert into org_units (id, parent_id, kind, name, path, depth)
       select id, $1, 'branch', 'Branch ' || n, $2 || id || '/', 2
       from (select gen_random_uuid() id, n from generate_series(1, $3::int) n) s`,
      [community.id, community.path, scale.branches],
    )
    await c.query(`create temp table bench_branch as
       select id, row_number() over (order by name) - 1 as n from org_units where kind = 'branch'`)
    await c.query(
      `insert into members (id, org_unit_id, name)
       select gen_random_uuid(), b.id, 'Member ' || lpad(i::text, 7, '0')
       from generate_series(1, $1::int) i join bench_branch b on b.n = (i - 1) % $2`,
      [scale.members, scale.branches],
    )
    // Never used to log in (tokens are signed by the runner): a placeholder that passes the argon2id CHECK.
    await c.query(
      `insert into users (username, password_hash, member_id)
       select 'bench-' || replace(lower(m.name), ' ', '-'), '$argon2id$bench-no-login', m.id from members m`,
    )
    await c.query(
      `insert into role_grants (user_id, role, org_unit_id)
       select u.id, 'member', m.org_unit_id from users u join members m on m.id = u.member_id`,
    )
    await c.query(`insert into ledger_accounts (kind, org_unit_id) select 'issuance', id from bench_branch`)
    const k = scale.awardsPerMember
    const hash = (seq: string) => `encode(sha256(convert_to(m.id::text || ':' || ${seq}, 'UTF8')), 'hex')`
    await c.query(
      `insert into ledger_accounts (kind, member_id, org_unit_id, balance, lifetime_earned, version, head_hash)
       select 'member', m.id, m.org_unit_id, $1::bigint * $2, $1::bigint * $2, $2, ${hash('$2::int')}
       from members m`,
      [AWARD_CENTS, k],
    )
    await c.query(
      `create temp table bench_tx as
       select gen_random_uuid() id, m.id member_id, a.id account_id, i.id issuance_id, s seq,
              ${hash('s')} hash
       from members m
       join ledger_accounts a on a.member_id = m.id
       join ledger_accounts i on i.kind = 'issuance' and i.org_unit_id = m.org_unit_id
       cross join generate_series(1, $1::int) s`,
      [k],
    )
    await c.query(
      `insert into ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, effective_date, created_at)
       select id, 'award', member_id, account_id, seq, hash, 'Benchmark award ' || seq,
              current_date - ($1::int - seq), now() - make_interval(days => $1::int - seq)
       from bench_tx`,
      [k],
    )
    await c.query(
      `insert into ledger_entries (transaction_id, account_id, amount, held_change, account_version, balance_after, held_after)
       select id, account_id, $1::bigint, 0, seq, $1::bigint * seq, 0 from bench_tx
       union all
       select id, issuance_id, -$1::bigint, 0, null, null, null from bench_tx`,
      [AWARD_CENTS],
    )
    const reward = (
      await c.query(
        `insert into rewards (org_unit_id, name, points_cost, stock_received, stock_on_hand, stock_available)
         values ($1, 'Bench reward', 100, 10000000, 10000000, 10000000) returning id`,
        [community.id],
      )
    ).rows[0]
    // The yardstick's own write target: same shape as a member account, no ledger triggers on it.
    await c.query(
      `create table bench_baseline_accounts as select id, balance, held from ledger_accounts where kind = 'member'`,
    )
    await c.query('alter table bench_baseline_accounts add primary key (id)')
    await c.query(
      `create table bench_baseline_entries (id bigint generated always as identity primary key,
         account_id uuid not null, amount bigint not null, created_at timestamptz not null default now())`,
    )
    await c.query('commit')
    await c.query('analyze')
    const members = (
      await c.query(
        `select m.id "memberId", u.id "userId", a.id "accountId" from members m
         join users u on u.member_id = m.id join ledger_accounts a on a.member_id = m.id order by m.name`,
      )
    ).rows
    const entries = Number((await c.query('select count(*) n from ledger_entries')).rows[0].n)
    return { url, communityId: community.id, rewardId: reward.id, members, entries }
  } finally {
    await c.end()
  }
}
