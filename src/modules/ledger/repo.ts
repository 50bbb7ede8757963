import { sql } from 'drizzle-orm'
import { type Db, named, one } from '../../db/client'
import type { LedgerKind } from '../../db/schema/ledger'
import type { Leg } from './domain'

/** The member's points account, created on first need (its org unit is the member's home unit). */
export async function ensureMemberAccount(db: Db, memberId: string): Promise<string | undefined> {
  // Two attempts: a concurrent first posting may insert the row after this statement's snapshot.
  for (let i = 0; i < 2; i++) {
    const row = await named<{ id: string }>(
      db,
      'ledger_ensure_member_account',
      sql`with ins as (
            insert into ledger_accounts (kind, member_id, org_unit_id)
            select 'member', m.id, m.org_unit_id from members m where m.id = ${memberId}::uuid
            on conflict (member_id) do nothing returning id)
          select id from ins union all
          select id from ledger_accounts where member_id = ${memberId}::uuid limit 1`,
    )
    if (row[0]) return row[0].id
    const exists = await one(db, sql`select 1 from members where id = ${memberId}::uuid`)
    if (!exists) return undefined
  }
  throw new Error(`could not create the ledger account of member ${memberId}`)
}

/**
 * An office account (issuance of the member's branch, or redemption of a community), created on first
 * need. The member's branch is the nearest branch at or above their home unit (else the home unit).
 */
export async function ensureOfficeAccount(
  db: Db,
  kind: 'issuance' | 'redemption',
  target: { memberId: string } | { unitId: string },
): Promise<string> {
  const unit =
    'unitId' in target
      ? sql`select ${target.unitId}::uuid as id`
      : sql`select coalesce(
              (select b.id from members m join org_units u on u.id = m.org_unit_id
                 join org_units b on b.id = any (string_to_array(btrim(u.path, '/'), '/')::uuid[])
               where m.id = ${target.memberId}::uuid and b.kind = 'branch' order by b.depth desc limit 1),
              (select org_unit_id from members where id = ${target.memberId}::uuid)) as id`
  const name = 'unitId' in target ? 'ledger_ensure_office_of_unit' : 'ledger_ensure_office_of_member'
  for (let i = 0; i < 2; i++) {
    const [row] = await named<{ id: string }>(
      db,
      name,
      sql`with unit as (${unit}),
          ins as (
            insert into ledger_accounts (kind, org_unit_id) select ${kind}::text, id from unit
            on conflict (kind, org_unit_id) where kind <> 'member' do nothing returning id)
          select id from ins union all
          select a.id from ledger_accounts a, unit where a.kind = ${kind}::text and a.org_unit_id = unit.id limit 1`,
    )
    if (row) return row.id
  }
  throw new Error(`could not create the ${kind} account`)
}

export interface PostInput {
  id: string
  kind: LedgerKind
  memberId: string
  leg: Leg
  memo: string
  reason: string | null
  referenceType: 'claim' | 'redemption' | 'transaction' | null
  referenceId: string | null
  /** YYYY-MM-DD; null means today in the session (service) time zone. */
  effectiveDate: string | null
  actorUserId: string | null
  /** canonicalContent() of this transaction. */
  content: string
  /** Hold: the member's available balance must cover this (the race-proof conditional update). */
  needAvailable: number | null
  /** Post / void: the member's held points must cover this. */
  needHeld: number | null
  /** Post / void: the redemption whose hold this settles; nothing is written if it is already settled. */
  settles: string | null
}

export interface Posted {
  id: string
  createdAt: string
  balance: string
  held: string
  version: string
}

/**
 * The whole posting in ONE statement, `ledger_post()` (src/db/sql/ledger.sql: `ledger_post_many` of one posting,
 * also called by the redemption functions): the conditional update of the member account (balance, held, lifetimeEarned,
 * version and chain head move together), the transaction row carrying the new chain hash, and its entries
 * (the member entry records the state after it). No row back means the condition failed (available or held
 * short, or no account): nothing was written.
 */
export async function post(db: Db, p: PostInput): Promise<Posted | undefined> {
  const { leg } = p
  const found = await named<Posted>(
    db,
    'ledger_post',
    sql`select id, to_json(created_at) #>> '{}' as "createdAt", balance, held, version
        from ledger_post(${p.id}::uuid, ${p.kind}::text, ${p.memberId}::uuid, ${leg.amount}::bigint,
          ${leg.heldChange}::bigint, ${leg.earnedChange}::bigint, ${leg.counterAccountId}::uuid, ${p.memo}::text,
          ${p.reason}::text, ${p.referenceType}::text, ${p.referenceId}::uuid, ${p.effectiveDate}::date,
          ${p.actorUserId}::uuid, ${p.content}::text, ${p.needAvailable}::bigint, ${p.needHeld}::bigint,
          ${p.settles}::uuid)`,
  )
  return found[0]
}

/**
 * Many postings in ONE call of `ledger_post_many()` (src/db/sql/ledger.sql, the one definition of a posting, of
 * which `ledger_post` is the single case): set-based, one statement per wave (a member with n postings moves one
 * chain step per wave, in the given order; distinct members are one statement). Returns a row per posting
 * written (see `post` for a posting that writes nothing). A caller posting for several members sorts the batch
 * by member, so the accounts are locked in one order.
 */
export async function postMany(db: Db, ps: PostInput[]): Promise<Posted[]> {
  if (ps.length === 0) return []
  return named<Posted>(
    db,
    'ledger_post_many',
    sql`select id, to_json(created_at) #>> '{}' as "createdAt", balance, held, version
        from ledger_post_many(${JSON.stringify(ps.map(postingJson))}::jsonb)`,
  )
}

/**
 * A prepared posting as ledger_post_many takes it (one element of its array): keyed as ledger_post's parameters
 * without the p_. Also the shape in which the redemption functions of rewards.sql take their postings.
 */
export function postingJson(p: PostInput) {
  return {
    id: p.id,
    kind: p.kind,
    member_id: p.memberId,
    amount: p.leg.amount,
    held_change: p.leg.heldChange,
    earned_change: p.leg.earnedChange,
    counter_account_id: p.leg.counterAccountId,
    memo: p.memo,
    reason: p.reason,
    reference_type: p.referenceType,
    reference_id: p.referenceId,
    effective_date: p.effectiveDate,
    actor_user_id: p.actorUserId,
    content: p.content,
    need_available: p.needAvailable,
    need_held: p.needHeld,
    settles: p.settles,
  }
}

/** Creates the missing points accounts of these members (those that exist as members) in one statement. */
export async function ensureMemberAccounts(db: Db, memberIds: string[]): Promise<void> {
  if (memberIds.length === 0) return
  await named(
    db,
    'ledger_ensure_member_accounts',
    sql`insert into ledger_accounts (kind, member_id, org_unit_id)
        select 'member', m.id, m.org_unit_id from members m
        where m.id = any (${`{${memberIds.join(',')}}`}::uuid[])
        order by m.id
        on conflict (member_id) do nothing`,
  )
}

/**
 * The issuance account of each member's branch (as ensureOfficeAccount), created on first need, for many
 * members in one statement. Returns memberId -> account id (a member that does not exist is missing).
 */
export async function ensureIssuanceAccounts(db: Db, memberIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  if (memberIds.length === 0) return out
  const ids = `{${memberIds.join(',')}}`
  // Two attempts: a concurrent first posting may insert a row after this statement's snapshot.
  for (let i = 0; i < 2 && out.size < memberIds.length; i++) {
    const found = await named<{ memberId: string; id: string }>(
      db,
      'ledger_ensure_issuance_of_members',
      // The branch is looked up once per distinct home unit, not per member (members share units).
      sql`with mem as (select m.id as member_id, m.org_unit_id as home from members m where m.id = any (${ids}::uuid[])),
          home as (
            select h.home, coalesce(
              (select b.id from org_units u
                 join org_units b on b.id = any (string_to_array(btrim(u.path, '/'), '/')::uuid[])
               where u.id = h.home and b.kind = 'branch' order by b.depth desc limit 1),
              h.home) as id
            from (select distinct home from mem) h),
          unit as (select mem.member_id, home.id from mem join home using (home)),
          ins as (
            insert into ledger_accounts (kind, org_unit_id)
            select distinct 'issuance', id from unit order by id
            on conflict (kind, org_unit_id) where kind <> 'member' do nothing returning id, org_unit_id)
          select unit.member_id as "memberId", coalesce(ins.id, a.id) as id
          from unit left join ins on ins.org_unit_id = unit.id
            left join ledger_accounts a on a.kind = 'issuance' and a.org_unit_id = unit.id
          where coalesce(ins.id, a.id) is not null`,
    )
    for (const f of found) out.set(f.memberId, f.id)
  }
  return out
}

/**
 * The postings of these claims, if any, in two statements for the whole batch. The transaction-scoped advisory
 * lock on each claim (taken in ascending id order, so two batches cannot deadlock) makes a concurrent second
 * posting of a claim wait for the first to commit and then find it (the separate select takes a fresh
 * snapshot), instead of failing on the unique index ledger_transactions_claim_uq.
 */
export async function findClaimPostings(db: Db, claimIds: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  if (claimIds.length === 0) return out
  const ids = `{${[...claimIds].sort().join(',')}}`
  await named(
    db,
    'ledger_lock_claims',
    sql`select count(pg_advisory_xact_lock(hashtextextended(c::text, 4)))
        from (select c from unnest(${ids}::uuid[]) c order by c) s`,
  )
  const found = await named<{ id: string; claimId: string }>(
    db,
    'ledger_find_claim_postings',
    sql`select id, reference_id as "claimId" from ledger_transactions
        where reference_type = 'claim' and reference_id = any (${ids}::uuid[])`,
  )
  for (const f of found) out.set(f.claimId, f.id)
  return out
}
