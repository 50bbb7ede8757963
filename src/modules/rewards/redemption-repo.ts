import { type SQL, sql } from 'drizzle-orm'
import { type Db, named, one, prepared, rows } from '../../db/client'
import type { RedemptionStatus } from '../../db/schema/rewards'
import type { StoredAnswer } from '../../plugins/idempotency'
import { centsFromDb } from '../../shared/decimal'
import { type Caller, type MemberScopeRow, memberScopeRow, pathInScope } from '../identity/scope'
import { effectiveThresholdAt } from '../org/repo'
import type { RedemptionEnding } from './domain'
import { memberInCommunity, type RewardRow, rewardRow, unitsTakenSql } from './repo'

export interface RedemptionRow {
  id: string
  memberId: string
  rewardId: string
  rewardName: string
  orgUnitId: string
  path: string
  quantity: number
  pointsCost: number
  amount: number
  status: RedemptionStatus
  createdAt: Date
  fulfilledAt: Date | null
  cancelledAt: Date | null
  cancelReason: string | null
  expiredAt: Date | null
  /** created_at to the microsecond, for keyset cursors (a JS Date keeps only milliseconds). */
  cursorAt: string
}

const COLUMNS = sql`d.id, d.member_id as "memberId", d.reward_id as "rewardId", r.name as "rewardName",
  d.org_unit_id as "orgUnitId", u.path, d.quantity, d.points_cost as "pointsCost", d.amount, d.status,
  d.created_at as "createdAt", d.fulfilled_at as "fulfilledAt", d.cancelled_at as "cancelledAt",
  d.cancel_reason as "cancelReason", d.expired_at as "expiredAt", d.created_at::text as "cursorAt"`
const FROM = sql`redemptions d join rewards r on r.id = d.reward_id join org_units u on u.id = d.org_unit_id`

function toRow(row: RedemptionRow): RedemptionRow {
  return { ...row, pointsCost: centsFromDb(row.pointsCost), amount: centsFromDb(row.amount) }
}

export async function findRedemption(db: Db, id: string): Promise<RedemptionRow | undefined> {
  const row = await one<RedemptionRow>(db, sql`select ${COLUMNS} from ${FROM} where d.id = ${id}`)
  return row && toRow(row)
}

/** A redemption to end, with the database's clock: the ending's timestamp (what the answer shows too). */
export async function findRedemptionToEnd(
  db: Db,
  id: string,
): Promise<(RedemptionRow & { now: Date }) | undefined> {
  const [row] = await named<RedemptionRow & { now: Date }>(
    db,
    'redemption_to_end',
    sql`select ${COLUMNS}, now() as "now" from ${FROM} where d.id = ${id}::uuid`,
  )
  return row && { ...toRow(row), now: new Date(row.now) }
}

/** Everything createRedemption decides on, in one statement (see redemptions.ts). */
export interface ReservePlan {
  now: Date
  stored: StoredAnswer | null
  member: MemberScopeRow | null
  /** From JSON: createdAt / updatedAt are text, pointsCost a number. */
  reward: RewardRow | null
  eligible: boolean
  threshold: string | number | null
  earned: string | number | null
  taken: number
}

export async function readReservePlan(
  db: Db,
  p: { userId: string; key: string; memberId: string; rewardId: string; year: { start: Date; end: Date } },
): Promise<ReservePlan> {
  const [plan] = await named<ReservePlan>(
    db,
    'redemption_plan',
    sql`select now() as "now",
          (select row_to_json(k) from (
             select request_hash as "requestHash", status_code as "statusCode", response_body as "responseBody"
             from idempotency_keys where user_id = ${p.userId} and key = ${p.key}) k) as "stored",
          (select row_to_json(m) from (${memberScopeRow(p.memberId)}) m) as "member",
          (select row_to_json(r) from (${rewardRow(p.rewardId)}) r) as "reward",
          ${memberInCommunity(
            sql`${p.memberId}::uuid`,
            sql`(select u.path from rewards r join org_units u on u.id = r.org_unit_id where r.id = ${p.rewardId})`,
          )} as "eligible",
          (select ${effectiveThresholdAt(sql`u.path`)} from members m join org_units u on u.id = m.org_unit_id
            where m.id = ${p.memberId}) as "threshold",
          (select lifetime_earned from ledger_accounts where member_id = ${p.memberId}) as "earned",
          (${unitsTakenSql(p.memberId, p.rewardId, p.year)}) as "taken"`,
  )
  return { ...plan!, now: new Date(plan!.now), taken: Number(plan!.taken) }
}

const RESERVE = {
  name: 'redemption_reserve',
  text: `select outcome, status_code as "statusCode", response_body as "responseBody", request_hash as "requestHash"
         from redemption_reserve($1::uuid, $2::text, $3::text, $4::text, $5::jsonb, $6::uuid, $7::uuid, $8::uuid,
           $9::uuid, $10::int, $11::bigint, $12::bigint, $13::timestamptz, $14::int, $15::timestamptz,
           $16::timestamptz, $17::uuid, $18::text, $19::text)`,
}

/**
 * The whole reservation in one statement (redemption_reserve, migration 0026): key, limit re-count, redemption,
 * hold, stock, audit. 'stored': the key already held an answer, returned instead. A refusal raises VP422.
 */
export async function reserve(
  db: Db,
  r: {
    userId: string
    key: string
    operation: string
    requestHash: string
    answer: unknown
    id: string
    memberId: string
    rewardId: string
    orgUnitId: string
    quantity: number
    pointsCost: number
    amount: number
    at: Date
    perMemberLimit: number | null
    year: { start: Date; end: Date }
    hold: { id: string; memo: string; content: string }
  },
): Promise<({ outcome: 'done' | 'stored' } & StoredAnswer) | undefined> {
  const [row] = await prepared<{ outcome: 'done' | 'stored' } & StoredAnswer>(db, RESERVE, [
    r.userId,
    r.key,
    r.operation,
    r.requestHash,
    JSON.stringify(r.answer),
    r.id,
    r.memberId,
    r.rewardId,
    r.orgUnitId,
    r.quantity,
    r.pointsCost,
    r.amount,
    r.at.toISOString(),
    r.perMemberLimit,
    r.year.start.toISOString(),
    r.year.end.toISOString(),
    r.hold.id,
    r.hold.memo,
    r.hold.content,
  ])
  return row
}

const END = {
  name: 'redemption_end',
  text: `select redemption_end($1::uuid, $2::text, $3::uuid, $4::text, $5::text, $6::timestamptz, $7::uuid, $8::text,
           $9::bigint, $10::bigint, $11::uuid, $12::text, $13::text, $14::bigint, $15::int, $16::int, $17::int,
           $18::jsonb)`,
}

/**
 * Ends a reserved redemption in one statement (redemption_end, migration 0026): the conditional status update
 * (WHERE status = 'reserved' makes fulfil, cancel and expiry mutually exclusive: a racer blocks on the row
 * lock, then finds the status changed and gets VP422 invalid_state), the settlement posting, the stock
 * movement and the audit event.
 */
export async function end(
  db: Db,
  e: {
    id: string
    ending: RedemptionEnding
    actorUserId: string | null
    reason: string | null
    note: string | null
    at: Date
    posting: {
      id: string
      kind: string
      amount: number
      heldChange: number
      counterAccountId: string | null
      memo: string
      content: string
      needHeld: number
    }
    quantity: number
    stock: { handedOut: number; reserved: number }
    answer: unknown
  },
): Promise<void> {
  await prepared(db, END, [
    e.id,
    e.ending,
    e.actorUserId,
    e.reason,
    e.note,
    e.at.toISOString(),
    e.posting.id,
    e.posting.kind,
    e.posting.amount,
    e.posting.heldChange,
    e.posting.counterAccountId,
    e.posting.memo,
    e.posting.content,
    e.posting.needHeld,
    e.quantity,
    e.stock.handedOut,
    e.stock.reserved,
    JSON.stringify(e.answer),
  ])
}

export async function listRedemptions(
  db: Db,
  caller: Caller,
  q: {
    unitPath?: string
    memberId?: string
    rewardId?: string
    status?: RedemptionStatus
    after?: [string, string]
    limit: number
  },
): Promise<RedemptionRow[]> {
  // Clerks see their offices' redemptions; anyone linked to a member sees their own.
  const visible: SQL[] = [pathInScope(sql`u.path`, caller, ['clerk'])]
  if (caller.memberId) visible.push(sql`d.member_id = ${caller.memberId}`)
  const conds: SQL[] = [sql`(${sql.join(visible, sql` or `)})`]
  if (q.unitPath) conds.push(sql`u.path like ${`${q.unitPath}%`}`)
  if (q.memberId) conds.push(sql`d.member_id = ${q.memberId}`)
  if (q.rewardId) conds.push(sql`d.reward_id = ${q.rewardId}`)
  if (q.status) conds.push(sql`d.status = ${q.status}`)
  if (q.after) {
    conds.push(sql`(d.created_at, d.id) < (${q.after[0]}::timestamptz, ${q.after[1]}::uuid)`)
  }
  const found = await rows<RedemptionRow>(
    db,
    sql`select ${COLUMNS} from ${FROM} where ${sql.join(conds, sql` and `)}
        order by d.created_at desc, d.id desc limit ${q.limit + 1}`,
  )
  return found.map(toRow)
}

/**
 * Reserved redemptions made before `cutoff`, locked for this sweep. SKIP LOCKED lets several processes
 * sweep at once: each row goes to exactly one of them, and rows a clerk is fulfilling right now are left.
 */
export async function lockExpired(
  tx: Db,
  cutoff: Date,
  limit: number,
  exclude: readonly string[] = [],
): Promise<{ id: string; memberId: string; orgUnitId: string }[]> {
  const skip = exclude.length
    ? sql`and id not in (${sql.join(
        exclude.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``
  return rows(
    tx,
    sql`select id, member_id as "memberId", org_unit_id as "orgUnitId" from redemptions
        where status = 'reserved' and created_at < ${cutoff.toISOString()} ${skip}
        order by created_at, id limit ${limit} for update skip locked`,
  )
}
