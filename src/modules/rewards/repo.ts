import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { ROLES } from '../../db/schema/identity'
import type { RedemptionStatus, StockMovementKind } from '../../db/schema/rewards'
import { centsFromDb } from '../../shared/decimal'
import { type Caller, pathInScope } from '../identity/scope'
import { stockEffect } from './domain'

export interface RewardRow {
  id: string
  orgUnitId: string
  path: string
  name: string
  description: string | null
  pointsCost: number
  perMemberLimit: number | null
  active: boolean
  stockOnHand: number
  reserved: number
  available: number
  createdAt: Date
  updatedAt: Date
}

const REWARD_COLUMNS = sql`r.id, r.org_unit_id as "orgUnitId", u.path, r.name, r.description,
  r.points_cost as "pointsCost", r.per_member_limit as "perMemberLimit", r.active,
  r.stock_on_hand as "stockOnHand", r.stock_reserved as "reserved", r.stock_available as "available",
  r.created_at as "createdAt", r.updated_at as "updatedAt"`

function toReward(row: RewardRow): RewardRow {
  return { ...row, pointsCost: centsFromDb(row.pointsCost) }
}

export async function findReward(db: Db, id: string, lock = false): Promise<RewardRow | undefined> {
  // FOR UPDATE OF r: lock the reward only, never the shared org unit row.
  const row = await one<RewardRow>(
    db,
    sql`select ${REWARD_COLUMNS} from rewards r join org_units u on u.id = r.org_unit_id
        where r.id = ${id} ${lock ? sql`for update of r` : sql``}`,
  )
  return row && toReward(row)
}

export async function insertReward(
  tx: Db,
  r: {
    orgUnitId: string
    name: string
    description: string | null
    pointsCost: number
    perMemberLimit: number | null
    active: boolean
    createdBy: string
  },
): Promise<string> {
  const row = await one<{ id: string }>(
    tx,
    sql`insert into rewards (org_unit_id, name, description, points_cost, per_member_limit, active, created_by)
        values (${r.orgUnitId}, ${r.name}, ${r.description}, ${r.pointsCost}, ${r.perMemberLimit}, ${r.active}, ${r.createdBy})
        returning id`,
  )
  return row!.id
}

export async function updateReward(
  tx: Db,
  id: string,
  p: Partial<Pick<RewardRow, 'name' | 'description' | 'pointsCost' | 'perMemberLimit' | 'active'>>,
): Promise<void> {
  const sets: SQL[] = [sql`updated_at = now()`]
  if (p.name !== undefined) sets.push(sql`name = ${p.name}`)
  if (p.description !== undefined) sets.push(sql`description = ${p.description}`)
  if (p.pointsCost !== undefined) sets.push(sql`points_cost = ${p.pointsCost}`)
  if (p.perMemberLimit !== undefined) sets.push(sql`per_member_limit = ${p.perMemberLimit}`)
  if (p.active !== undefined) sets.push(sql`active = ${p.active}`)
  await tx.execute(sql`update rewards set ${sql.join(sets, sql`, `)} where id = ${id}`)
}

/**
 * Who sees a reward: staff whose grant lies inside its community or above it, and members whose home unit
 * or a 双报到 registration lies inside that community.
 */
export function rewardVisible(caller: Caller, communityPath: SQL): SQL {
  const terms: SQL[] = [pathInScope(communityPath, caller, ROLES)]
  for (const g of caller.grants) terms.push(sql`${g.path} like ${communityPath} || '%'`)
  if (caller.memberId) terms.push(memberInCommunity(sql`${caller.memberId}::uuid`, communityPath))
  return sql`(${sql.join(terms, sql` or `)})`
}

/** The member belongs to that community's catalogue: home unit inside it, or registered with it. */
function memberInCommunity(memberId: SQL, communityPath: SQL): SQL {
  return sql`(exists (select 1 from members m join org_units mu on mu.id = m.org_unit_id
                      where m.id = ${memberId} and mu.path like ${communityPath} || '%')
           or exists (select 1 from member_registrations mr join org_units ru on ru.id = mr.org_unit_id
                      where mr.member_id = ${memberId} and ru.path like ${communityPath} || '%'))`
}

export async function memberEligible(db: Db, memberId: string, communityPath: string): Promise<boolean> {
  const row = await one<{ ok: boolean }>(
    db,
    sql`select ${memberInCommunity(sql`${memberId}::uuid`, sql`${communityPath}::text`)} as ok`,
  )
  return row?.ok === true
}

export async function listRewards(
  db: Db,
  caller: Caller,
  q: { unitPath?: string; active?: boolean; after?: [string, string]; limit: number },
): Promise<RewardRow[]> {
  const conds: SQL[] = [rewardVisible(caller, sql`u.path`)]
  // A unit filter means "the catalogue for this unit": communities inside it, or the community above it.
  if (q.unitPath) conds.push(sql`(u.path like ${`${q.unitPath}%`} or ${q.unitPath} like u.path || '%')`)
  if (q.active !== undefined) conds.push(sql`r.active = ${q.active}`)
  if (q.after) conds.push(sql`(r.name, r.id) > (${q.after[0]}, ${q.after[1]}::uuid)`)
  const found = await rows<RewardRow>(
    db,
    sql`select ${REWARD_COLUMNS} from rewards r join org_units u on u.id = r.org_unit_id
        where ${sql.join(conds, sql` and `)} order by r.name, r.id limit ${q.limit + 1}`,
  )
  return found.map(toReward)
}

/**
 * Moves stock and records the movement, in the caller's transaction. Movements that take from what is
 * available (reserve, write off) are conditional on it, so concurrent reservations can never oversell:
 * undefined means "not enough available". The CHECK constraints on rewards back this up.
 */
export async function moveStock(
  tx: Db,
  m: {
    rewardId: string
    kind: StockMovementKind
    quantity: number
    redemptionId?: string | null
    note?: string | null
    actorUserId: string | null
  },
): Promise<{ movementId: string; available: number } | undefined> {
  const e = stockEffect(m.kind, m.quantity)
  const onHandDelta = e.received - e.handedOut - e.writtenOff
  const availableDelta = onHandDelta - e.reserved
  const guard = availableDelta < 0 ? sql`and stock_available >= ${-availableDelta}` : sql``
  const updated = await one<{ available: number }>(
    tx,
    sql`update rewards set
          stock_received = stock_received + ${e.received},
          stock_handed_out = stock_handed_out + ${e.handedOut},
          stock_written_off = stock_written_off + ${e.writtenOff},
          stock_on_hand = stock_on_hand + ${onHandDelta},
          stock_reserved = stock_reserved + ${e.reserved},
          stock_available = stock_available + ${availableDelta},
          updated_at = now()
        where id = ${m.rewardId} ${guard}
        returning stock_available as available`,
  )
  if (!updated) return undefined
  const movement = await one<{ id: string }>(
    tx,
    sql`insert into reward_stock_movements (reward_id, kind, quantity, redemption_id, note, actor_user_id)
        values (${m.rewardId}, ${m.kind}, ${m.quantity}, ${m.redemptionId ?? null}, ${m.note ?? null}, ${m.actorUserId})
        returning id`,
  )
  return { movementId: movement!.id, available: updated.available }
}

export interface MovementRow {
  id: string
  rewardId: string
  kind: StockMovementKind
  quantity: number
  redemptionId: string | null
  note: string | null
  actorUserId: string | null
  createdAt: Date
  cursorAt: string
}

const MOVEMENT_COLUMNS = sql`id, reward_id as "rewardId", kind, quantity, redemption_id as "redemptionId", note,
  actor_user_id as "actorUserId", created_at as "createdAt", created_at::text as "cursorAt"`

export async function findMovement(db: Db, id: string): Promise<MovementRow | undefined> {
  return one<MovementRow>(db, sql`select ${MOVEMENT_COLUMNS} from reward_stock_movements where id = ${id}`)
}

export async function listMovements(
  db: Db,
  rewardId: string,
  q: { after?: [string, string]; limit: number },
): Promise<MovementRow[]> {
  const after = q.after
    ? sql`and (created_at, id) < (${q.after[0]}::timestamptz, ${q.after[1]}::uuid)`
    : sql``
  return rows<MovementRow>(
    db,
    sql`select ${MOVEMENT_COLUMNS} from reward_stock_movements where reward_id = ${rewardId} ${after}
        order by created_at desc, id desc limit ${q.limit + 1}`,
  )
}

/** Units of this reward the member holds or took in [start, end): reserved and fulfilled count. */
/** Serialises one member's redemptions of one reward until the transaction ends (per-member limits). */
export async function lockMemberReward(tx: Db, memberId: string, rewardId: string): Promise<void> {
  await tx.execute(
    sql`select pg_advisory_xact_lock(hashtextextended(${`redeem:${memberId}:${rewardId}`}, 0))`,
  )
}

export async function unitsTaken(
  db: Db,
  memberId: string,
  rewardId: string,
  range: { start: Date; end: Date },
): Promise<number> {
  const row = await one<{ n: string }>(
    db,
    sql`select coalesce(sum(quantity), 0) as n from redemptions
        where member_id = ${memberId} and reward_id = ${rewardId} and status in ('reserved', 'fulfilled')
          and created_at >= ${range.start.toISOString()} and created_at < ${range.end.toISOString()}`,
  )
  return Number(row?.n ?? 0)
}

export type { RedemptionStatus }
