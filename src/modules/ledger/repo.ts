import { type SQL, sql } from 'drizzle-orm'
import { type Db, named, one } from '../../db/client'
import type { LedgerKind } from '../../db/schema/ledger'
import type { Leg } from './domain'

export interface BalanceRow {
  balance: string
  held: string
  earned: string
}

export async function readBalance(db: Db, memberId: string): Promise<BalanceRow | undefined> {
  const found = await named<BalanceRow>(
    db,
    'ledger_balance',
    sql`select balance, held, lifetime_earned as earned from ledger_accounts where member_id = ${memberId}::uuid`,
  )
  return found[0]
}

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
 * The whole posting in ONE statement, `ledger_post()` (migration 0026: the single definition, also called by
 * the redemption functions): the conditional update of the member account (balance, held, lifetimeEarned,
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

export interface HoldRow {
  transactionId: string
  memberId: string
  amount: string
  settledBy: string | null
}

/**
 * The hold of a redemption, and the post or void that settled it, if any. `for update` on the hold's
 * row (a lock, not a change: the append-only trigger is not involved) makes concurrent settlements of
 * one redemption queue; the posting statement that follows then sees the winner's settlement and writes
 * nothing, so the loser gets a clean invalid_state instead of an aborted transaction.
 */
export async function findHold(db: Db, redemptionId: string): Promise<HoldRow | undefined> {
  const found = await named<HoldRow>(
    db,
    'ledger_find_hold',
    sql`select t.id as "transactionId", t.member_id as "memberId", e.held_change as amount,
               (select s.kind from ledger_transactions s
                 where s.reference_id = t.reference_id and s.kind in ('post','void')) as "settledBy"
        from ledger_transactions t join ledger_entries e on e.transaction_id = t.id and e.account_id = t.account_id
        where t.reference_id = ${redemptionId}::uuid and t.kind = 'hold'
        for update of t`,
  )
  return found[0]
}

/**
 * The posting of a claim, if any. The transaction-scoped advisory lock on the claim makes a concurrent
 * second posting of the same claim wait for the first to commit and then find it (this separate select
 * takes a fresh snapshot), instead of failing on the unique index ledger_transactions_claim_uq.
 */
export async function findClaimPosting(db: Db, claimId: string): Promise<string | undefined> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtextextended(${claimId}::uuid::text, 4))`)
  const row = await one<{ id: string }>(
    db,
    sql`select id from ledger_transactions where reference_type = 'claim' and reference_id = ${claimId}::uuid`,
  )
  return row?.id
}

/**
 * Many postings in ONE statement, at most one per member (the caller splits a batch into waves of
 * distinct members): the same conditional update, chain step, transaction row and entries as `post`,
 * set-based. Each member account moves exactly one version, so the chain hash of each row is computed
 * from that account's head exactly as `post` would. Only unconditional postings (no needAvailable /
 * needHeld / settles). Returns a row per posting whose member account exists.
 * The accounts are locked in the join's order, not a fixed one: callers that lock several accounts at once
 * must already be serialised on those members (finalize holds their cap locks, taken in ascending order);
 * every other posting locks a single account, so no lock cycle can form.
 */
export async function postMany(db: Db, ps: PostInput[]): Promise<(Posted & { memberId: string })[]> {
  if (ps.length === 0) return []
  const payload = ps.map((p) => {
    if (p.needAvailable !== null || p.needHeld !== null || p.settles !== null)
      throw new Error('postMany takes unconditional postings only')
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
    }
  })
  return named<Posted & { memberId: string }>(
    db,
    'ledger_post_many',
    sql`with x as (
          select x.*, coalesce(x.effective_date, current_date) as d
          from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(
            id uuid, kind text, member_id uuid, amount bigint, held_change bigint, earned_change bigint,
            counter_account_id uuid, memo text, reason text, reference_type text, reference_id uuid,
            effective_date date, actor_user_id uuid, content text)),
        acct as (
          update ledger_accounts a
             set balance = a.balance + x.amount,
                 held = a.held + x.held_change,
                 lifetime_earned = a.lifetime_earned + x.earned_change,
                 version = a.version + 1,
                 head_hash = encode(sha256(convert_to(
                   a.head_hash || x.content || '|' || to_char(x.d, 'YYYY-MM-DD'), 'UTF8')), 'hex')
            from x
           where a.member_id = x.member_id
          returning x.id as tx_id, a.id, a.balance, a.held, a.version, a.head_hash),
        t as (
          insert into ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, reason,
                                           reference_type, reference_id, effective_date, actor_user_id)
          select x.id, x.kind, x.member_id, acct.id, acct.version, acct.head_hash, x.memo, x.reason,
                 x.reference_type, x.reference_id, x.d, x.actor_user_id
          from x join acct on acct.tx_id = x.id
          returning id, member_id, created_at),
        e as (
          insert into ledger_entries (transaction_id, account_id, amount, held_change, account_version,
                                      balance_after, held_after)
          select t.id, acct.id, x.amount, x.held_change, acct.version, acct.balance, acct.held
          from t join acct on acct.tx_id = t.id join x on x.id = t.id
          union all
          select t.id, x.counter_account_id, -x.amount, 0, null, null, null
          from t join x on x.id = t.id where x.counter_account_id is not null and x.amount <> 0)
        select t.id, t.member_id as "memberId", to_json(t.created_at) #>> '{}' as "createdAt",
               acct.balance, acct.held, acct.version
        from t join acct on acct.tx_id = t.id`,
  )
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
 * The postings of these claims, if any, after taking each claim's advisory lock (as findClaimPosting,
 * in ascending id order so two batches cannot deadlock): two statements for the whole batch.
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
