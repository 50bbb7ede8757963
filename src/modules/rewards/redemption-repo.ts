import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import type { RedemptionStatus } from '../../db/schema/rewards'
import { centsFromDb } from '../../shared/decimal'
import { type Caller, pathInScope } from '../identity/scope'
import type { RedemptionEnding } from './domain'

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

export async function insertRedemption(
  tx: Db,
  d: {
    id: string
    memberId: string
    rewardId: string
    orgUnitId: string
    quantity: number
    pointsCost: number
    amount: number
    createdBy: string
  },
): Promise<void> {
  await tx.execute(
    sql`insert into redemptions (id, member_id, reward_id, org_unit_id, quantity, points_cost, amount, created_by)
        values (${d.id}, ${d.memberId}, ${d.rewardId}, ${d.orgUnitId}, ${d.quantity}, ${d.pointsCost}, ${d.amount},
                ${d.createdBy})`,
  )
}

/**
 * Ends a reserved redemption. The WHERE status = 'reserved' is what makes fulfil, cancel and expiry
 * mutually exclusive: a racer blocks on the row lock, then finds the status changed and updates nothing.
 */
export async function endRedemption(
  tx: Db,
  id: string,
  ending: RedemptionEnding,
  by: { userId: string | null; reason?: string | null },
): Promise<{ rewardId: string; quantity: number; orgUnitId: string } | undefined> {
  const set =
    ending === 'fulfil'
      ? sql`status = 'fulfilled', fulfilled_at = now(), fulfilled_by = ${by.userId}`
      : ending === 'cancel'
        ? sql`status = 'cancelled', cancelled_at = now(), cancelled_by = ${by.userId}, cancel_reason = ${by.reason ?? null}`
        : sql`status = 'expired', expired_at = now()`
  return one(
    tx,
    sql`update redemptions set ${set} where id = ${id} and status = 'reserved'
        returning reward_id as "rewardId", quantity, org_unit_id as "orgUnitId"`,
  )
}

export async function setLedgerReference(
  tx: Db,
  id: string,
  field: 'hold' | 'capture' | 'release',
  ledgerId: string,
): Promise<void> {
  const column = {
    hold: sql`hold_id`,
    capture: sql`capture_transaction_id`,
    release: sql`release_transaction_id`,
  }[field]
  await tx.execute(sql`update redemptions set ${column} = ${ledgerId} where id = ${id}`)
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
