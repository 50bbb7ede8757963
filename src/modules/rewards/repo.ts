import { type SQL, sql } from 'drizzle-orm'
import { type Db, one, rows } from '../../db/client'
import { ROLES } from '../../db/schema/identity'
import type { RedemptionStatus, StockMovementKind } from '../../db/schema/rewards'
import { type Caller, pathInScope, registeredWhere } from '../../shared/authz'
import { centsFromDb } from '../../shared/decimal'
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

export function toReward(row: RewardRow): RewardRow {
  return { ...row, pointsCost: centsFromDb(row.pointsCost) }
}

/** The reward as a RewardRow (createdAt/updatedAt as Date on pg, as text inside JSON). */
export function rewardRow(id: string): SQL {
  return sql`select ${REWARD_COLUMNS} from rewards r join org_units u on u.id = r.org_unit_id where r.id = ${id}`
}

export async function findReward(db: Db, id: string, lock = false): Promise<RewardRow | undefined> {
  // FOR UPDATE OF r: lock the reward only, never the shared org unit row.
  const row = await one<RewardRow>(db, sql`${rewardRow(id)} ${lock ? sql`for update of r` : sql``}`)
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
export function memberInCommunity(memberId: SQL, communityPath: SQL): SQL {
  return sql`(exists (select 1 from members m join org_units mu on mu.id = m.org_unit_id
                      where m.id = ${memberId} and mu.path like ${communityPath} || '%')
           or ${registeredWhere(memberId, (path) => sql`${path} like ${communityPath} || '%'`)})`
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
 * Moves stock and records the movement, in the caller's transaction, through `reward_move_stock()` (src/db/sql/
 * rewards.sql, the single definition the redemption functions use too). Movements that take from what is available
 * (reserve, write off) are conditional on it, so concurrent reservations can never oversell: undefined means
 * "not enough available". The CHECK constraints on rewards back this up.
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
  return one<{ movementId: string; available: number }>(
    tx,
    sql`select movement_id as "movementId", available
        from reward_move_stock(${m.rewardId}::uuid, ${m.kind}::text, ${m.quantity}::int, ${e.received}::int,
          ${e.handedOut}::int, ${e.writtenOff}::int, ${e.reserved}::int, ${m.redemptionId ?? null}::uuid,
          ${m.note ?? null}::text, ${m.actorUserId}::uuid)`,
  )
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

export type { RedemptionStatus }
