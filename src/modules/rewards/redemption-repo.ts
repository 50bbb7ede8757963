import { type SQL, sql } from 'drizzle-orm'
import { type Db, named, one, prepared, rows } from '../../db/client'
import type { RedemptionStatus } from '../../db/schema/rewards'
import type { StoredAnswer } from '../../plugins/idempotency'
import { type Caller, type MemberScopeRow, memberScopeRow, pathInScope } from '../../shared/authz'
import { centsFromDb } from '../../shared/decimal'
import { postingJson, type prepareHold } from '../ledger'
import { effectiveThresholdAt } from '../org'
import type { RedemptionEnding } from './domain'
import { memberInCommunity, type RewardRow, rewardRow } from './repo'

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

/** Everything createRedemption decides on itself, in one statement (see redemptions.ts). */
export interface ReservePlan {
  now: Date
  stored: StoredAnswer | null
  member: MemberScopeRow | null
  /** From JSON: createdAt / updatedAt are text, pointsCost a number. */
  reward: RewardRow | null
  eligible: boolean
  threshold: string | number | null
  earned: string | number | null
}

export async function readReservePlan(
  db: Db,
  p: { userId: string; key: string; memberId: string; rewardId: string },
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
          (select lifetime_earned from ledger_accounts where member_id = ${p.memberId}) as "earned"`,
  )
  return { ...plan!, now: new Date(plan!.now) }
}

/**
 * A posting the ledger prepared (ledger/service.ts prepareHold, prepareSettlement) as the redemption functions
 * take it: keyed as ledger_post's parameters without the p_, written by ledger_post inside the function.
 */
type PreparedPosting = ReturnType<typeof prepareHold>

/** createRedemption's write, as redemption_reserve takes it (src/db/sql/rewards.sql). */
export interface ReserveCommand {
  userId: string
  key: string
  operation: string
  requestHash: string
  /** The 201 body: stored under the key and in the audit event. */
  answer: unknown
  id: string
  memberId: string
  rewardId: string
  orgUnitId: string
  quantity: number
  pointsCost: number
  amount: number
  at: Date
  /** The calendar year, in the service's zone, that the per-member limit counts. */
  year: { start: Date; end: Date }
  hold: PreparedPosting
  /** redemption.reserved, written by the same statement (events' preparedEvent; null: none). */
  event: Record<string, unknown> | null
}

/** What redemption_reserve decided: its one row, typed. */
export type ReserveDecision =
  | { outcome: 'ok' }
  | { outcome: 'stored'; stored: StoredAnswer }
  | { outcome: 'refused'; code: 'limit_reached'; detail: { limit: number; taken: number } }
  | { outcome: 'refused'; code: 'out_of_stock'; detail: { available: number } }
  | { outcome: 'refused'; code: 'insufficient_points'; detail: Record<string, never> }

const RESERVE = {
  name: 'redemption_reserve',
  text: 'select outcome, code, detail, stored from redemption_reserve($1::jsonb)',
}

/**
 * The whole reservation in one statement, redemption_reserve: it locks, decides stock, available points and
 * the yearly limit (their one owner), and writes the key with its answer, the redemption, the hold, the stock
 * movement and the audit event, or, refusing, nothing.
 */
export async function reserve(db: Db, c: ReserveCommand): Promise<ReserveDecision> {
  const [row] = await prepared<{
    outcome: string
    code: string | null
    detail: Record<string, unknown> | null
    stored: StoredAnswer | null
  }>(db, RESERVE, [
    JSON.stringify({
      userId: c.userId,
      key: c.key,
      operation: c.operation,
      requestHash: c.requestHash,
      answer: c.answer,
      id: c.id,
      memberId: c.memberId,
      rewardId: c.rewardId,
      orgUnitId: c.orgUnitId,
      quantity: c.quantity,
      pointsCost: c.pointsCost,
      amount: c.amount,
      at: c.at.toISOString(),
      yearStart: c.year.start.toISOString(),
      yearEnd: c.year.end.toISOString(),
      hold: postingJson(c.hold),
      event: c.event,
    }),
  ])
  if (!row) throw new Error('redemption_reserve returned no row')
  if (row.outcome === 'stored') return { outcome: 'stored', stored: row.stored! }
  return row as ReserveDecision
}

/** An ending's write, as redemption_end takes it (src/db/sql/rewards.sql). */
export interface EndCommand {
  id: string
  ending: RedemptionEnding
  /** What the ending makes of the redemption (ENDING_STATUS). */
  status: RedemptionStatus
  actorUserId: string | null
  reason: string | null
  /** The stock movement's note. */
  note: string | null
  at: Date
  posting: PreparedPosting
  /** The 200 body: the audit event's after. */
  answer: unknown
  /** redemption.fulfilled / .cancelled / .expired, written by the same statement (null: none). */
  event: Record<string, unknown> | null
}

/** What redemption_end decided: its one row, typed. */
export type EndDecision =
  | { outcome: 'ok' }
  | { outcome: 'refused'; code: 'invalid_state'; detail: { status: RedemptionStatus | 'missing' } }

const END = {
  name: 'redemption_end',
  text: 'select outcome, code, detail from redemption_end($1::jsonb)',
}

/**
 * Ends a reserved redemption in one statement, redemption_end: the conditional status update (WHERE status =
 * 'reserved' makes fulfil, cancel and expiry mutually exclusive: a racer blocks on the row lock, then finds
 * the status changed and is refused invalid_state), the settlement posting, the stock movement and the audit
 * event.
 */
export async function end(db: Db, e: EndCommand): Promise<EndDecision> {
  const [row] = await prepared<EndDecision>(db, END, [
    JSON.stringify({
      id: e.id,
      ending: e.ending,
      status: e.status,
      actorUserId: e.actorUserId,
      reason: e.reason,
      note: e.note,
      at: e.at.toISOString(),
      posting: postingJson(e.posting),
      answer: e.answer,
      event: e.event,
    }),
  ])
  if (!row) throw new Error('redemption_end returned no row')
  return row
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

/**
 * Reserved redemptions whose hold lapses within a day (made before `noticeCutoff`, after `expiryCutoff`) and
 * that have had no redemption.expiring event yet (events_once_idx serves the test; it also makes a second one
 * impossible when two sweeps race).
 */
export async function dueForExpiringNotice(
  db: Db,
  noticeCutoff: Date,
  expiryCutoff: Date,
  limit: number,
): Promise<RedemptionRow[]> {
  const found = await rows<RedemptionRow>(
    db,
    sql`select ${COLUMNS} from ${FROM}
        where d.status = 'reserved' and d.created_at < ${noticeCutoff.toISOString()}
          and d.created_at >= ${expiryCutoff.toISOString()}
          and not exists (select 1 from events e where e.type = 'redemption.expiring' and e.subject_id = d.id)
        order by d.created_at, d.id limit ${limit}`,
  )
  return found.map(toRow)
}
