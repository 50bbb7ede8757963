import { sql } from 'drizzle-orm'
import { type Db, one, transaction } from '../../db/client'
import { idempotent } from '../../plugins/idempotency'
import { type Caller, coversPath, findUnit, requireRole, requireUnitInScope } from '../../shared/authz'
import { parseCents } from '../../shared/decimal'
import { notFound, validation } from '../../shared/errors'
import { decodeCursor, pageLimit, toPage } from '../../shared/pagination'
import { recordAudit } from '../audit'
import { outOfStock } from './domain'
import { movementDto, type RewardsContext, rewardDto } from './dto'
import * as repo from './repo'
import type {
  CreateRewardBody,
  ListRewardsQuery,
  ReceiveStockBody,
  UpdateRewardBody,
  WriteOffStockBody,
} from './schemas'

const CLERK = ['clerk'] as const

function positiveCost(input: unknown): number {
  const cents = parseCents(input, 'pointsCost')
  if (cents <= 0) throw validation('pointsCost', 'must be greater than 0')
  return cents
}

/** The reward, if the caller keeps that office's catalogue (clerk in scope); else 404. */
async function requireClerkReward(tx: Db, caller: Caller, rewardId: string, lock = false) {
  requireRole(caller, CLERK)
  const reward = await repo.findReward(tx, rewardId, lock)
  if (!reward || !coversPath(caller, reward.path, CLERK)) throw notFound('reward')
  return reward
}

export async function createReward(db: Db, caller: Caller, body: CreateRewardBody, ctx: RewardsContext) {
  return transaction(db, async (tx) => {
    const unit = await requireUnitInScope(tx, caller, body.orgUnitId, CLERK)
    if (unit.kind !== 'community') {
      throw validation('orgUnitId', 'must be a community: rewards are kept by a community office')
    }
    const id = await repo.insertReward(tx, {
      orgUnitId: unit.id,
      name: body.name.trim(),
      description: body.description ?? null,
      pointsCost: positiveCost(body.pointsCost),
      perMemberLimit: body.perMemberLimit ?? null,
      active: body.active ?? true,
      createdBy: caller.userId,
    })
    const reward = rewardDto((await repo.findReward(tx, id))!, ctx.timezone)
    await recordAudit(tx, caller, {
      action: 'reward.create',
      targetType: 'reward',
      targetId: id,
      orgUnitId: unit.id,
      after: reward,
    })
    return reward
  })
}

export async function updateReward(
  db: Db,
  caller: Caller,
  id: string,
  body: UpdateRewardBody,
  ctx: RewardsContext,
) {
  return transaction(db, async (tx) => {
    const before = rewardDto(await requireClerkReward(tx, caller, id, true), ctx.timezone)
    if (Object.values(body).every((v) => v === undefined)) return before
    await repo.updateReward(tx, id, {
      name: body.name?.trim(),
      description: body.description,
      pointsCost: body.pointsCost === undefined ? undefined : positiveCost(body.pointsCost),
      perMemberLimit: body.perMemberLimit,
      active: body.active,
    })
    const after = rewardDto((await repo.findReward(tx, id))!, ctx.timezone)
    await recordAudit(tx, caller, {
      action: 'reward.update',
      targetType: 'reward',
      targetId: id,
      orgUnitId: after.orgUnitId,
      before,
      after,
    })
    return after
  })
}

export async function getReward(db: Db, caller: Caller, id: string, ctx: RewardsContext) {
  const row = await one<{ ok: boolean }>(
    db,
    sql`select ${repo.rewardVisible(caller, sql`u.path`)} as ok
        from rewards r join org_units u on u.id = r.org_unit_id where r.id = ${id}`,
  )
  if (!row?.ok) throw notFound('reward')
  return rewardDto((await repo.findReward(db, id))!, ctx.timezone)
}

export async function listRewards(db: Db, caller: Caller, q: ListRewardsQuery, ctx: RewardsContext) {
  const limit = pageLimit(q.limit)
  let unitPath: string | undefined
  if (q.orgUnitId) {
    const unit = await findUnit(db, q.orgUnitId)
    if (!unit) throw notFound('org unit')
    unitPath = unit.path
  }
  const after = decodeCursor(q.cursor, ['text', 'uuid'])
  const found = await repo.listRewards(db, caller, { unitPath, active: q.active, after, limit })
  return toPage(
    found,
    limit,
    (r) => [r.name, r.id],
    (r) => rewardDto(r, ctx.timezone),
  )
}

async function changeStock(
  tx: Db,
  caller: Caller,
  rewardId: string,
  change: { kind: 'received' | 'written_off'; quantity: number; note: string | null },
  ctx: RewardsContext,
) {
  const reward = await requireClerkReward(tx, caller, rewardId)
  const moved = await repo.moveStock(tx, {
    rewardId,
    kind: change.kind,
    quantity: change.quantity,
    note: change.note,
    actorUserId: caller.userId,
  })
  if (!moved) {
    const now = await repo.findReward(tx, rewardId)
    throw outOfStock(now?.available ?? 0, change.quantity)
  }
  const after = rewardDto((await repo.findReward(tx, rewardId))!, ctx.timezone)
  await recordAudit(tx, caller, {
    action: change.kind === 'received' ? 'reward.stock_receive' : 'reward.stock_write_off',
    targetType: 'reward',
    targetId: rewardId,
    orgUnitId: reward.orgUnitId,
    before: { stockOnHand: reward.stockOnHand, reserved: reward.reserved, available: reward.available },
    after: {
      movementId: moved.movementId,
      quantity: change.quantity,
      note: change.note,
      stockOnHand: after.stockOnHand,
      reserved: after.reserved,
      available: after.available,
    },
  })
  const movement = movementDto((await repo.findMovement(tx, moved.movementId))!, ctx.timezone)
  return { status: 201, body: { movement, reward: after } }
}

export async function receiveStock(
  db: Db,
  caller: Caller,
  key: string,
  rewardId: string,
  body: ReceiveStockBody,
  ctx: RewardsContext,
) {
  requireRole(caller, CLERK)
  const note = body.note?.trim() || null
  return idempotent(db, caller, key, 'receiveStock', { rewardId, ...body }, (tx) =>
    changeStock(tx, caller, rewardId, { kind: 'received', quantity: body.quantity, note }, ctx),
  )
}

export async function writeOffStock(
  db: Db,
  caller: Caller,
  key: string,
  rewardId: string,
  body: WriteOffStockBody,
  ctx: RewardsContext,
) {
  requireRole(caller, CLERK)
  const note = body.reason.trim()
  return idempotent(db, caller, key, 'writeOffStock', { rewardId, ...body }, (tx) =>
    changeStock(tx, caller, rewardId, { kind: 'written_off', quantity: body.quantity, note }, ctx),
  )
}

export async function listStockMovements(
  db: Db,
  caller: Caller,
  rewardId: string,
  q: { limit?: number; cursor?: string },
  ctx: RewardsContext,
) {
  await requireClerkReward(db, caller, rewardId)
  const limit = pageLimit(q.limit)
  const after = decodeCursor(q.cursor, ['timestamp', 'uuid'])
  const found = await repo.listMovements(db, rewardId, { after, limit })
  return toPage(
    found,
    limit,
    (m) => [m.cursorAt, m.id],
    (m) => movementDto(m, ctx.timezone),
  )
}
