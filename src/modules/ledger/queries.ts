import { type SQL, sql } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import { type Db, one, prepared, rows } from '../../db/client'
import type { Role } from '../../db/schema/identity'
import type { LedgerKind } from '../../db/schema/ledger'
import { type Caller, hasRole, memberVisibleWhere, requireMemberVisible } from '../../shared/authz'
import { centsFromDb, formatCents } from '../../shared/decimal'
import { forbidden, notFound } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { addDays, formatInstant, startOfLocalDate } from '../../shared/time'
import { DEFAULT_VOLUNTEER_STARS, type VolunteerStar, volunteerStarFor, volunteerStarsAt } from '../org'
import type { Balance, LedgerQuery, LedgerRow, LedgerTransaction } from './schemas'

/**
 * Who reads a member's points: the member, and staff whose units cover the member (secretary, grid
 * worker, clerk at the counter). Panelists are left out on purpose: they score claims and need no
 * balances. Outside that scope the member does not exist (404).
 */
export const LEDGER_READERS: readonly Role[] = ['secretary', 'grid_worker', 'clerk']

const BALANCE_STATEMENT = {
  name: 'ledger_balance_read',
  text: 'select balance, held, lifetime_earned as earned from ledger_accounts where member_id = $1::uuid',
}

/**
 * Balance, held, available = balance - held, lifetimeEarned (every movement except redemptions), in cents. The
 * hottest read of the service: one named statement with constant text (see `prepared`).
 */
export async function readBalanceCents(db: Db, memberId: string) {
  const [row] = await prepared<{ balance: string; held: string; earned: string }>(db, BALANCE_STATEMENT, [
    memberId,
  ])
  const balance = centsFromDb(row?.balance)
  const held = centsFromDb(row?.held)
  return { balance, held, available: balance - held, lifetimeEarned: centsFromDb(row?.earned) }
}

/**
 * SQL expression: the member's available points (balance - held) in cents, null without an account, for other
 * modules' lists that show it beside a member (the redemption counter's lookup) in their own statement: the
 * ledger's tables stay read here only.
 */
export function availableCentsOf(memberIdExpr: SQL): SQL {
  return sql`(select la.balance - la.held from ledger_accounts la where la.member_id = ${memberIdExpr})`
}

/**
 * The balance answer in one named statement: the account's cached figures, the member's cumulative verified hours
 * from their rollup row (report_member_hours, kept equal to the sum over verified_service_hours by the hours
 * triggers) and the volunteer stars their home unit inherits (org's volunteerStarsAt, the one definition). Was two
 * round trips (the second a sum over the member's participations through the view).
 */
const BALANCE_ANSWER_STATEMENT = {
  name: 'ledger_balance_answer',
  text: `select a.balance, a.held, a.lifetime_earned as earned, h.hours_cents as hours,
  ${new PgDialect().sqlToQuery(volunteerStarsAt(sql.raw('u.path'))).sql} as stars
from members m join org_units u on u.id = m.org_unit_id
  left join ledger_accounts a on a.member_id = m.id
  left join report_member_hours h on h.member_id = m.id
where m.id = $1::uuid`,
}

export async function getBalance(db: Db, caller: Caller, memberId: string): Promise<Balance> {
  // A member reading their own balance is the hottest read of the service; their member record exists
  // (users.member_id is a foreign key), so the visibility query would only cost a round trip.
  if (caller.memberId !== memberId) await requireMemberVisible(db, caller, memberId, LEDGER_READERS)
  const [row] = await prepared<{
    balance: string | null
    held: string | null
    earned: string | null
    hours: string | null
    stars: VolunteerStar[] | null
  }>(db, BALANCE_ANSWER_STATEMENT, [memberId])
  const balance = centsFromDb(row?.balance ?? null)
  const held = centsFromDb(row?.held ?? null)
  return {
    memberId,
    balance: formatCents(balance),
    held: formatCents(held),
    available: formatCents(balance - held),
    lifetimeEarned: formatCents(centsFromDb(row?.earned ?? null)),
    volunteerStar: volunteerStarFor(centsFromDb(row?.hours ?? null), row?.stars ?? DEFAULT_VOLUNTEER_STARS),
  }
}

interface LedgerDbRow {
  transactionId: string
  kind: LedgerKind
  referenceType: LedgerRow['referenceType']
  referenceId: string | null
  amount: string
  balanceAfter: string
  heldChange: string
  heldAfter: string
  memo: string
  effectiveDate: string
  createdAt: string
  version: string
}

const toRow = (r: LedgerDbRow): LedgerRow => ({
  transactionId: r.transactionId,
  kind: r.kind,
  referenceType: r.referenceType,
  referenceId: r.referenceId,
  amount: formatCents(r.amount),
  balanceAfter: formatCents(r.balanceAfter),
  heldChange: formatCents(r.heldChange),
  heldAfter: formatCents(r.heldAfter),
  memo: r.memo,
  effectiveDate: r.effectiveDate,
  createdAt: formatInstant(r.createdAt),
})

/**
 * One member's ledger, newest first. The rows are the member account's transactions, whose `chain_seq` is the
 * account's gapless version: it is the keyset (an index range scan however deep the page), and `balanceAfter`
 * is stored on the member's entry of the same version, so no page needs the rows before it. Every posting
 * (ledger_post_many) writes the transaction at chain_seq = the account's new version and the member's entry at
 * account_version = that version, so the page is two range scans of one account's index neighbourhood
 * ((account_id, chain_seq) and (account_id, account_version)) instead of one lookup in the transactions' primary
 * key per row; the join also matches the entry's transaction id. One named statement with constant text (see
 * `prepared`): the cursor and the period are parameters that may be null, so PostgreSQL plans it once per
 * connection instead of on every page (planning the three-table join cost more than running it). Dates and
 * instants come as PostgreSQL's text (to_char and to_json cost more than the rest of the row).
 */
function ledgerPageSql(member: SQL, before: SQL, period: SQL, limit: SQL): SQL {
  return sql`select t.id as "transactionId", t.kind, t.reference_type as "referenceType",
       t.reference_id as "referenceId", e.amount, e.balance_after as "balanceAfter", e.held_change as "heldChange",
       e.held_after as "heldAfter", t.memo, t.effective_date::text as "effectiveDate",
       t.created_at::text as "createdAt", t.chain_seq as version
  from ledger_accounts a
    join ledger_transactions t on t.account_id = a.id
    join ledger_entries e on e.account_id = a.id and e.account_version = t.chain_seq
      and (e.transaction_id = t.id) is true
  where a.member_id = ${member} and t.chain_seq < coalesce(${before}, 9223372036854775807) ${period}
  order by t.chain_seq desc
  limit ${limit}`
}

/**
 * The page without a period, the one a member's app asks for, is named; a period runs as an unnamed statement,
 * planned with its dates. One named statement for both (the period as nullable parameters) got a generic plan
 * that intersected the transactions' created_at index over every transaction in the database (a BitmapAnd: 4.6
 * of 5.1 ms a page at 200 k entries). The entry's transaction id is checked as a filter (`is true`), not offered
 * as a join key: as one, the generic plan fetched each entry through ledger_entries (transaction_id), a random
 * descent per row (7.8 ms a page against 0.4-0.5 ms through (account_id, account_version), EXPLAIN ANALYZE).
 */
const LEDGER_PAGE_STATEMENT = {
  name: 'ledger_member_page',
  text: new PgDialect().sqlToQuery(
    ledgerPageSql(sql.raw('$1::uuid'), sql.raw('$2::bigint'), sql.raw(''), sql.raw('$3::int')),
  ).sql,
}

async function fetchLedger(
  db: Db,
  memberId: string,
  q: { fromTs: Date | null; toTs: Date | null; beforeVersion: number | null; limit: number },
): Promise<LedgerDbRow[]> {
  if (!q.fromTs && !q.toTs)
    return prepared<LedgerDbRow>(db, LEDGER_PAGE_STATEMENT, [memberId, q.beforeVersion, q.limit])
  const period = sql.join(
    [
      q.fromTs ? sql`and t.created_at >= ${q.fromTs.toISOString()}` : sql``,
      q.toTs ? sql`and t.created_at < ${q.toTs.toISOString()}` : sql``,
    ],
    sql` `,
  )
  return rows<LedgerDbRow>(
    db,
    ledgerPageSql(sql`${memberId}::uuid`, sql`${q.beforeVersion}::bigint`, period, sql`${q.limit}`),
  )
}

/** The member reading their own ledger exists (users.member_id is a foreign key): no visibility read. */
async function requireLedgerReader(db: Db, caller: Caller, memberId: string): Promise<void> {
  if (caller.memberId !== memberId) await requireMemberVisible(db, caller, memberId, LEDGER_READERS)
}

function period(query: LedgerQuery, timezone: string) {
  return {
    fromTs: query.from ? startOfLocalDate(query.from, timezone) : null,
    toTs: query.to ? startOfLocalDate(addDays(query.to, 1), timezone) : null,
  }
}

export async function listMemberLedger(
  db: Db,
  caller: Caller,
  memberId: string,
  query: LedgerQuery,
  timezone: string,
): Promise<{ items: LedgerRow[]; nextCursor: string | null }> {
  await requireLedgerReader(db, caller, memberId)
  const limit = pageLimit(query.limit)
  const cursor = decodeCursor(query.cursor, ['int'])
  const found = await fetchLedger(db, memberId, {
    ...period(query, timezone),
    beforeVersion: cursor ? Number(cursor[0]) : null,
    limit: limit + 1,
  })
  return toPage(found, limit, (r) => [Number(r.version)], toRow)
}

/** Every row of the period for a spreadsheet (CSV), newest first, read in pages to bound each query. */
export async function exportMemberLedger(
  db: Db,
  caller: Caller,
  memberId: string,
  query: LedgerQuery,
  timezone: string,
  max = 100_000,
): Promise<LedgerRow[]> {
  await requireLedgerReader(db, caller, memberId)
  const out: LedgerRow[] = []
  let beforeVersion: number | null = null
  while (out.length < max) {
    const page = await fetchLedger(db, memberId, { ...period(query, timezone), beforeVersion, limit: 1000 })
    out.push(...page.map(toRow))
    if (page.length < 1000) break
    beforeVersion = Number(page[page.length - 1]!.version)
  }
  return out.slice(0, max)
}

interface TransactionDbRow {
  id: string
  kind: LedgerKind
  memberId: string
  memo: string
  reason: string | null
  referenceType: LedgerTransaction['referenceType']
  referenceId: string | null
  reversedBy: string | null
  effectiveDate: string
  actorUserId: string | null
  createdAt: string
  entries: {
    accountId: string
    accountKind: 'member' | 'issuance' | 'redemption'
    orgUnitId: string
    memberId: string | null
    amount: number
    heldChange: number
    balanceAfter: number | null
  }[]
}

/** A transaction with all its entries, as the API shows it (used by the commands' answers too). */
/** The transaction with its entries; with `scope` (a condition on `t`), only if it holds (one statement). */
export async function transactionView(
  db: Db,
  id: string,
  scope: SQL = sql`true`,
): Promise<LedgerTransaction | undefined> {
  const row = await one<TransactionDbRow>(
    db,
    sql`select t.id, t.kind, t.member_id as "memberId", t.memo, t.reason, t.reference_type as "referenceType",
               t.reference_id as "referenceId",
               (select r.id from ledger_transactions r where r.kind = 'reversal' and r.reference_id = t.id) as "reversedBy",
               to_char(t.effective_date, 'YYYY-MM-DD') as "effectiveDate", t.actor_user_id as "actorUserId",
               to_json(t.created_at) #>> '{}' as "createdAt",
               (select json_agg(json_build_object('accountId', e.account_id, 'accountKind', a.kind,
                        'orgUnitId', a.org_unit_id, 'memberId', a.member_id, 'amount', e.amount,
                        'heldChange', e.held_change, 'balanceAfter', e.balance_after) order by e.id)
                  from ledger_entries e join ledger_accounts a on a.id = e.account_id
                 where e.transaction_id = t.id) as entries
        from ledger_transactions t where t.id = ${id} and ${scope}`,
  )
  if (!row) return undefined
  return {
    ...row,
    createdAt: formatInstant(row.createdAt),
    entries: (row.entries ?? []).map((e) => ({
      ...e,
      amount: formatCents(e.amount),
      heldChange: formatCents(e.heldChange),
      balanceAfter: e.balanceAfter === null ? null : formatCents(e.balanceAfter),
    })),
  }
}

export async function getLedgerTransaction(db: Db, caller: Caller, id: string): Promise<LedgerTransaction> {
  if (!caller.memberId && !hasRole(caller, LEDGER_READERS)) throw forbidden()
  // Scope in the same statement: a transaction outside the caller's scope is read and refused exactly like an
  // id that does not exist (same answer, same work, so the same time).
  const view = await transactionView(db, id, memberVisibleWhere(sql`t.member_id`, caller, LEDGER_READERS))
  if (!view) throw notFound('ledger transaction')
  return view
}
