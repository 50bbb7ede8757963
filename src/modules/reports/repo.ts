import { sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { centsFromDb } from '../../shared/decimal'

/**
 * Report queries. Reports read other modules' tables (members, ledger, redemptions) READ-ONLY, each
 * figure in one aggregate query: going through per-member service calls would turn a county ranking
 * into thousands of round trips. Nothing here writes.
 */

/** Kinds that move a member's earned points; hold/post/void are redemptions and never count. */
const EARNING_KINDS = sql`('award','deduction','adjustment','reversal')`

export interface RankedRow {
  rank: number
  memberId: string
  name: string
  pointsCents: number
}

/**
 * Members whose home unit lies in the subtree, ranked by net points earned in [start, end) — zero for
 * those with none — with rank() so ties share a rank. Keyset on (rank, memberId).
 */
export async function rankMembers(
  db: Db,
  unitPath: string,
  start: Date,
  end: Date,
  after: { rank: number; memberId: string } | undefined,
  limit: number | null,
): Promise<RankedRow[]> {
  const found = await rows<{ rank: string; memberId: string; name: string; cents: string }>(
    db,
    sql`with m as (
          select m.id, m.name from members m join org_units u on u.id = m.org_unit_id
          where u.path like ${`${unitPath}%`}),
        p as (
          select t.member_id, sum(e.amount) as cents
          from ledger_transactions t
          join ledger_entries e on e.transaction_id = t.id and e.account_id = t.account_id
          where t.member_id in (select id from m) and t.kind in ${EARNING_KINDS}
            and t.created_at >= ${start.toISOString()}::timestamptz and t.created_at < ${end.toISOString()}::timestamptz
          group by t.member_id),
        ranked as (
          select m.id, m.name, coalesce(p.cents, 0) as cents,
                 rank() over (order by coalesce(p.cents, 0) desc) as rank
          from m left join p on p.member_id = m.id)
        select rank, id as "memberId", name, cents from ranked
        ${after ? sql`where (rank, id) > (${after.rank}::bigint, ${after.memberId}::uuid)` : sql``}
        order by rank, id
        ${limit === null ? sql`` : sql`limit ${limit}`}`,
  )
  return found.map((r) => ({
    rank: Number(r.rank),
    memberId: r.memberId,
    name: r.name,
    pointsCents: centsFromDb(r.cents),
  }))
}

export interface PointsFigures {
  issuedCents: number
  deductedCents: number
  redeemedCents: number
  redemptions: number
}

/**
 * Points posted to members of the subtree (by home unit) in [start, end): positive and negative
 * earning postings separately; and their fulfilled redemptions (wherever handed out, so the same
 * members are counted on both sides of the points, as in the ranking).
 */
export async function pointsFigures(
  db: Db,
  unitPath: string,
  start: Date | null,
  end: Date | null,
): Promise<PointsFigures> {
  const like = `${unitPath}%`
  const within = (col: ReturnType<typeof sql>) =>
    sql`(${start?.toISOString() ?? null}::timestamptz is null or ${col} >= ${start?.toISOString() ?? null}::timestamptz)
        and (${end?.toISOString() ?? null}::timestamptz is null or ${col} < ${end?.toISOString() ?? null}::timestamptz)`
  const posted = await one<{ issued: string | null; deducted: string | null }>(
    db,
    sql`select sum(e.amount) filter (where e.amount > 0) as issued,
               -sum(e.amount) filter (where e.amount < 0) as deducted
        from ledger_transactions t
        join ledger_entries e on e.transaction_id = t.id and e.account_id = t.account_id
        join members m on m.id = t.member_id
        join org_units u on u.id = m.org_unit_id
        where u.path like ${like} and t.kind in ${EARNING_KINDS} and ${within(sql`t.created_at`)}`,
  )
  const redeemed = await one<{ cents: string | null; n: string }>(
    db,
    sql`select sum(r.amount) as cents, count(*) as n
        from redemptions r join members m on m.id = r.member_id join org_units u on u.id = m.org_unit_id
        where u.path like ${like} and r.status = 'fulfilled' and ${within(sql`r.fulfilled_at`)}`,
  )
  return {
    issuedCents: centsFromDb(posted?.issued ?? null),
    deductedCents: centsFromDb(posted?.deducted ?? null),
    redeemedCents: centsFromDb(redeemed?.cents ?? null),
    redemptions: Number(redeemed?.n ?? 0),
  }
}
