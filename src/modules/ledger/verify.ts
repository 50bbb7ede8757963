import { type SQL, sql } from 'drizzle-orm'
import { type Db, rows } from '../../db/client'
import type { LedgerKind } from '../../db/schema/ledger'
import { type Caller, pathInScope, requireRole, requireUnitInScope } from '../../shared/authz'
import { formatCents } from '../../shared/decimal'
import { canonicalContent, EARNING_KINDS, type Problem } from './domain'
import { MAX_VERIFY_PROBLEMS, type VerifyResult } from './schemas'

/**
 * verifyLedger: re-derives everything the ledger caches or chains, for the members whose home unit lies
 * in the unit's subtree (default: every unit the caller is secretary of), and lists each problem:
 * - every transaction has entries summing to zero;
 * - each member account's cached balance, held and lifetimeEarned equal the sums of its entries;
 * - each member entry's balanceAfter / heldAfter equal the running sums (first break per account);
 * - each transaction's hash equals ledger_chain_link(previous link's stored hash, its content rebuilt from
 *   what is stored, its date), the formula ledger_post wrote it with; links gapless, and the account's chain
 *   head is its last link. Comparing against the stored previous hash pinpoints exactly the altered
 *   transactions instead of flagging every later link.
 * Nothing here trusts the triggers: it is meant to catch changes made with triggers disabled.
 */
export async function verifyLedger(
  db: Db,
  caller: Caller,
  query: { orgUnitId?: string },
): Promise<VerifyResult> {
  requireRole(caller, ['secretary'])
  const scope = query.orgUnitId
    ? sql`u.path like ${`${(await requireUnitInScope(db, caller, query.orgUnitId, ['secretary'])).path}%`}`
    : pathInScope(sql`u.path`, caller, ['secretary'])
  const inScope = sql`select m.id from members m join org_units u on u.id = m.org_unit_id where ${scope}`

  const problems: Problem[] = []
  const checkedTransactions = await checkSums(db, inScope, problems)
  const accounts = await checkAccounts(db, inScope, problems)
  await checkRunningBalances(db, inScope, problems)
  await checkChains(db, inScope, accounts, problems)
  // A ledger damaged everywhere must not produce an answer of unbounded size: the first ones and the count.
  return {
    ok: problems.length === 0,
    checkedTransactions,
    checkedAccounts: accounts.size,
    problemCount: problems.length,
    problems: problems.slice(0, MAX_VERIFY_PROBLEMS),
  }
}

async function checkSums(db: Db, inScope: SQL, problems: Problem[]): Promise<number> {
  const found = await rows<{ id: string | null; memberId: string | null; total: string | null; n: string }>(
    db,
    sql`with t as (
          select t.id, t.member_id, (select count(*) from ledger_entries e where e.transaction_id = t.id) as n,
                 (select sum(e.amount) from ledger_entries e where e.transaction_id = t.id) as total
          from ledger_transactions t where t.member_id in (${inScope}))
        select null as id, null as "memberId", null as total, count(*) as n from t
        union all
        select id, member_id, total, n from t where n = 0 or total <> 0`,
  )
  for (const r of found.slice(1)) {
    problems.push({
      type: 'unbalanced',
      transactionId: r.id!,
      memberId: r.memberId!,
      detail: `entries sum to ${formatCents(r.total ?? 0)} over ${r.n} entries, not 0.00`,
    })
  }
  return Number(found[0]?.n ?? 0)
}

interface AccountRow {
  id: string
  memberId: string
  balance: string
  held: string
  earned: string
  version: string
  headHash: string
  sumAmount: string
  sumHeld: string
  sumEarned: string
}

async function checkAccounts(db: Db, inScope: SQL, problems: Problem[]): Promise<Map<string, AccountRow>> {
  const earning = sql.join(
    EARNING_KINDS.map((k) => sql`${k}`),
    sql`, `,
  )
  const found = await rows<AccountRow>(
    db,
    sql`select a.id, a.member_id as "memberId", a.balance, a.held, a.lifetime_earned as earned, a.version,
               a.head_hash as "headHash",
               coalesce(s.amount, 0) as "sumAmount", coalesce(s.held, 0) as "sumHeld", coalesce(s.earned, 0) as "sumEarned"
        from ledger_accounts a
        left join lateral (
          select sum(e.amount) as amount, sum(e.held_change) as held,
                 sum(e.amount) filter (where t.kind in (${earning})) as earned
          from ledger_entries e join ledger_transactions t on t.id = e.transaction_id
          where e.account_id = a.id) s on true
        where a.member_id in (${inScope})`,
  )
  const byId = new Map<string, AccountRow>()
  for (const a of found) {
    byId.set(a.id, a)
    const compare = (type: Problem['type'], what: string, cached: string, summed: string) => {
      if (BigInt(cached) !== BigInt(summed)) {
        problems.push({
          type,
          accountId: a.id,
          memberId: a.memberId,
          detail: `cached ${what} ${formatCents(cached)} but the entries add up to ${formatCents(summed)}`,
        })
      }
    }
    compare('balance_mismatch', 'balance', a.balance, a.sumAmount)
    compare('held_mismatch', 'held', a.held, a.sumHeld)
    compare('earned_mismatch', 'lifetimeEarned', a.earned, a.sumEarned)
  }
  return byId
}

async function checkRunningBalances(db: Db, inScope: SQL, problems: Problem[]): Promise<void> {
  const found = await rows<{ accountId: string; memberId: string; transactionId: string; version: string }>(
    db,
    sql`select distinct on (x.account_id) x.account_id as "accountId", x.member_id as "memberId",
               x.transaction_id as "transactionId", x.account_version as version
        from (
          select e.account_id, a.member_id, e.transaction_id, e.account_version, e.balance_after, e.held_after,
                 sum(e.amount) over w as run_amount, sum(e.held_change) over w as run_held,
                 row_number() over w as rn
          from ledger_entries e join ledger_accounts a on a.id = e.account_id
          where a.member_id in (${inScope})
          window w as (partition by e.account_id order by e.account_version, e.id)) x
        where x.account_version is distinct from x.rn or x.balance_after <> x.run_amount or x.held_after <> x.run_held
        order by x.account_id, x.account_version`,
  )
  for (const r of found) {
    problems.push({
      type: 'running_balance_mismatch',
      accountId: r.accountId,
      memberId: r.memberId,
      transactionId: r.transactionId,
      detail: `from entry version ${r.version} on, balanceAfter/heldAfter disagree with the running sums`,
    })
  }
}

interface LinkRow {
  id: string
  kind: LedgerKind
  memberId: string
  memo: string
  reason: string | null
  referenceType: string | null
  referenceId: string | null
  actorUserId: string | null
  effectiveDate: string
  accountId: string
  chainSeq: string
  hash: string
  entries: [string, number, number][] | null
}

const BATCH = 2000

async function checkChains(
  db: Db,
  inScope: SQL,
  accounts: Map<string, AccountRow>,
  problems: Problem[],
): Promise<void> {
  let after: [string, number] | null = null
  let current: { accountId: string; seq: number; hash: string } | null = null
  const closeChain = () => {
    if (!current) return
    const a = accounts.get(current.accountId)
    if (a && (a.headHash !== current.hash || Number(a.version) !== current.seq)) {
      problems.push({
        type: 'chain_head_mismatch',
        accountId: current.accountId,
        memberId: a.memberId,
        detail: `the account's chain head (version ${a.version}) is not its last transaction (seq ${current.seq})`,
      })
    }
  }
  for (;;) {
    const batch: LinkRow[] = await rows<LinkRow>(
      db,
      sql`select t.id, t.kind, t.member_id as "memberId", t.memo, t.reason, t.reference_type as "referenceType",
                 t.reference_id as "referenceId", t.actor_user_id as "actorUserId",
                 to_char(t.effective_date, 'YYYY-MM-DD') as "effectiveDate", t.account_id as "accountId",
                 t.chain_seq as "chainSeq", t.hash,
                 (select json_agg(json_build_array(e.account_id, e.amount, e.held_change) order by e.id)
                    from ledger_entries e where e.transaction_id = t.id) as entries
          from ledger_transactions t
          where t.member_id in (${inScope})
            ${after ? sql`and (t.account_id, t.chain_seq) > (${after[0]}::uuid, ${after[1]})` : sql``}
          order by t.account_id, t.chain_seq
          limit ${BATCH}`,
    )
    const expected = await expectedLinks(db, batch, current)
    for (const [i, link] of batch.entries()) {
      const seq = Number(link.chainSeq)
      if (!current || current.accountId !== link.accountId) {
        closeChain()
        current = { accountId: link.accountId, seq: 0, hash: '' }
      }
      if (seq !== current.seq + 1 || expected[i] !== link.hash) {
        problems.push({
          type: 'chain_broken',
          accountId: link.accountId,
          memberId: link.memberId,
          transactionId: link.id,
          detail:
            seq !== current.seq + 1
              ? `link ${seq} follows link ${current.seq}: transactions are missing`
              : `the stored hash of link ${seq} does not match its content: the transaction or its entries were altered`,
        })
      }
      current = { accountId: link.accountId, seq, hash: link.hash }
    }
    if (batch.length < BATCH) break
    const last = batch[batch.length - 1]!
    after = [last.accountId, Number(last.chainSeq)]
  }
  closeChain()
}

/**
 * What each link's hash should be: ledger_chain_link (the formula ledger_post wrote it with) over the previous
 * link's stored hash ('' at the start of an account's chain; `last` is the link before the batch), the content
 * rebuilt from the stored rows and the stored date. One statement per batch.
 */
async function expectedLinks(
  db: Db,
  batch: LinkRow[],
  last: { accountId: string; hash: string } | null,
): Promise<string[]> {
  if (batch.length === 0) return []
  let before = last
  const links = batch.map((link, n) => {
    const previous = before?.accountId === link.accountId ? before.hash : ''
    before = link
    return { n, previous, content: contentOf(link), d: link.effectiveDate }
  })
  const found = await rows<{ hash: string }>(
    db,
    sql`select ledger_chain_link(x.previous, x.content, x.d) as hash
        from jsonb_to_recordset(${JSON.stringify(links)}::jsonb) as x(n int, previous text, content text, d date)
        order by x.n`,
  )
  return found.map((r) => r.hash)
}

/** Rebuilds the hashed content from what is stored (see canonicalContent and service.postTransaction). */
function contentOf(link: LinkRow): string {
  const entries = link.entries ?? []
  const own = entries.filter((e) => e[0] === link.accountId)
  const other = entries.filter((e) => e[0] !== link.accountId)
  return canonicalContent({
    id: link.id,
    kind: link.kind,
    memberId: link.memberId,
    memo: link.memo,
    reason: link.reason,
    referenceType: link.referenceType,
    referenceId: link.referenceId,
    actorUserId: link.actorUserId,
    amount: own.length === 1 ? Number(own[0]![1]) : Number.NaN,
    heldChange: own.length === 1 ? Number(own[0]![2]) : Number.NaN,
    counterAccountId: other.length === 1 ? other[0]![0] : other.length === 0 ? null : 'several',
    counterAmount: other.length === 1 ? Number(other[0]![1]) : 0,
  })
}
