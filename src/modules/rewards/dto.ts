import { formatCents } from '../../shared/decimal'
import { formatInstant } from '../../shared/time'
import { expiresAt } from './domain'
import type { RedemptionRow } from './redemption-repo'
import type { MovementRow, RewardRow } from './repo'
import type { Redemption, Reward, StockMovement } from './schemas'

/** Settings the rewards use cases need from the app (service zone, hold period). */
export interface RewardsContext {
  timezone: string
  holdDays: number
}

const at = (d: Date | string, tz: string) => formatInstant(d, tz)
const atOrNull = (d: Date | string | null, tz: string) => (d === null ? null : at(d, tz))

export function rewardDto(r: RewardRow, tz: string): Reward {
  return {
    id: r.id,
    orgUnitId: r.orgUnitId,
    name: r.name,
    description: r.description,
    pointsCost: formatCents(r.pointsCost),
    perMemberLimit: r.perMemberLimit,
    active: r.active,
    stockOnHand: r.stockOnHand,
    reserved: r.reserved,
    available: r.available,
    createdAt: at(r.createdAt, tz),
    updatedAt: at(r.updatedAt, tz),
  }
}

export function movementDto(m: MovementRow, tz: string): StockMovement {
  return {
    id: m.id,
    rewardId: m.rewardId,
    kind: m.kind,
    quantity: m.quantity,
    redemptionId: m.redemptionId,
    note: m.note,
    actorUserId: m.actorUserId,
    createdAt: at(m.createdAt, tz),
  }
}

export function redemptionDto(d: RedemptionRow, ctx: RewardsContext): Redemption {
  const tz = ctx.timezone
  return {
    id: d.id,
    memberId: d.memberId,
    rewardId: d.rewardId,
    rewardName: d.rewardName,
    orgUnitId: d.orgUnitId,
    quantity: d.quantity,
    pointsCost: formatCents(d.pointsCost),
    amount: formatCents(d.amount),
    status: d.status,
    createdAt: at(d.createdAt, tz),
    expiresAt: d.status === 'reserved' ? at(expiresAt(new Date(d.createdAt), ctx.holdDays), tz) : null,
    fulfilledAt: atOrNull(d.fulfilledAt, tz),
    cancelledAt: atOrNull(d.cancelledAt, tz),
    cancelReason: d.cancelReason,
    expiredAt: atOrNull(d.expiredAt, tz),
  }
}
