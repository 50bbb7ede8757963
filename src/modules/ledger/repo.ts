import { type SQL, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import { type Db, one } from '../../db/client'
import type { LedgerKind } from '../../db/schema/ledger'
import type { Leg } from './domain'

const dialect = new PgDialect()

/**
 * Runs a fixed statement as a named prepared statement: pg parses and plans it once per connection
 * (on PGlite the name is ignored). `db._.session` is drizzle's public handle on the connection or
 * transaction, so the hot paths keep raw-pg speed while staying inside the caller's transaction.
 * A name must always carry the same SQL text (only the parameters vary).
 */
export async function named<T>(db: Db, name: string, query: SQL): Promise<T[]> {
  const prepared = db._.session.prepareQuery(dialect.sqlToQuery(query), undefined, name, false)
  return ((await prepared.execute()) as { rows: T[] }).rows
}

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
 * The whole posting in ONE statement: the conditional update of the member account (balance, held,
 * lifetimeEarned, version and chain head move together), the transaction row carrying the new chain
 * hash, and its entries (the member entry records the state after it). No row back means the
 * condition failed (available or held short, or no account): nothing was written.
 */
export async function post(db: Db, p: PostInput): Promise<Posted | undefined> {
  const { leg } = p
  const found = await named<Posted>(
    db,
    'ledger_post',
    sql`with eff as (select coalesce(${p.effectiveDate}::date, current_date) as d),
        acct as (
          update ledger_accounts a
             set balance = a.balance + ${leg.amount}::bigint,
                 held = a.held + ${leg.heldChange}::bigint,
                 lifetime_earned = a.lifetime_earned + ${leg.earnedChange}::bigint,
                 version = a.version + 1,
                 head_hash = encode(sha256(convert_to(
                   a.head_hash || ${p.content}::text || '|' || to_char((select d from eff), 'YYYY-MM-DD'), 'UTF8')), 'hex')
           where a.member_id = ${p.memberId}::uuid
             and (${p.needAvailable}::bigint is null or a.balance - a.held >= ${p.needAvailable}::bigint)
             and (${p.needHeld}::bigint is null or a.held >= ${p.needHeld}::bigint)
             and (${p.settles}::uuid is null or not exists (
                   select 1 from ledger_transactions s
                   where s.reference_id = ${p.settles}::uuid and s.kind in ('post','void')))
          returning a.id, a.balance, a.held, a.version, a.head_hash),
        t as (
          insert into ledger_transactions (id, kind, member_id, account_id, chain_seq, hash, memo, reason,
                                           reference_type, reference_id, effective_date, actor_user_id)
          select ${p.id}::uuid, ${p.kind}::text, ${p.memberId}::uuid, acct.id, acct.version, acct.head_hash,
                 ${p.memo}::text, ${p.reason}::text, ${p.referenceType}::text, ${p.referenceId}::uuid,
                 (select d from eff), ${p.actorUserId}::uuid
          from acct
          returning id, created_at),
        e as (
          insert into ledger_entries (transaction_id, account_id, amount, held_change, account_version,
                                      balance_after, held_after)
          select t.id, acct.id, ${leg.amount}::bigint, ${leg.heldChange}::bigint, acct.version, acct.balance, acct.held
          from t, acct
          union all
          select t.id, ${leg.counterAccountId}::uuid, -${leg.amount}::bigint, 0, null, null, null
          from t where ${leg.counterAccountId}::uuid is not null and ${leg.amount}::bigint <> 0)
        select t.id, to_json(t.created_at) #>> '{}' as "createdAt", acct.balance, acct.held, acct.version
        from t, acct`,
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
