import { sql } from 'drizzle-orm'
import { bigint, boolean, check, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core'
import * as col from './columns'

/**
 * A reward in a community office's catalogue. The stock counters are a cache of reward_stock_movements,
 * kept in the same transaction as each movement; the CHECKs make an oversell impossible even if the
 * TypeScript were wrong: available = on hand - reserved, none below zero, and on hand always equals
 * received - handed out - written off (so reserved + handed out never exceeds what was received).
 */
export const rewards = pgTable(
  'rewards',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    name: text().notNull(),
    description: text(),
    /** Points per unit, in hundredths. */
    pointsCost: bigint({ mode: 'number' }).notNull(),
    /** Units one member may take per calendar year (reserved + fulfilled); null = no limit. */
    perMemberLimit: integer(),
    active: boolean().notNull().default(true),
    stockReceived: integer().notNull().default(0),
    stockHandedOut: integer().notNull().default(0),
    stockWrittenOff: integer().notNull().default(0),
    stockOnHand: integer().notNull().default(0),
    stockReserved: integer().notNull().default(0),
    stockAvailable: integer().notNull().default(0),
    createdBy: col.optionalUserId(),
    ...col.timestamps(),
  },
  (t) => [
    index('rewards_org_unit_idx').on(t.orgUnitId, t.name, t.id),
    check('rewards_points_cost_chk', sql`${t.pointsCost} > 0`),
    check('rewards_limit_chk', sql`${t.perMemberLimit} is null or ${t.perMemberLimit} > 0`),
    check('rewards_name_chk', sql`length(btrim(${t.name})) > 0`),
    check(
      'rewards_stock_nonneg_chk',
      sql`${t.stockReceived} >= 0 and ${t.stockHandedOut} >= 0 and ${t.stockWrittenOff} >= 0
          and ${t.stockOnHand} >= 0 and ${t.stockReserved} >= 0 and ${t.stockAvailable} >= 0`,
    ),
    check(
      'rewards_stock_on_hand_chk',
      sql`${t.stockOnHand} = ${t.stockReceived} - ${t.stockHandedOut} - ${t.stockWrittenOff}`,
    ),
    check('rewards_stock_available_chk', sql`${t.stockAvailable} = ${t.stockOnHand} - ${t.stockReserved}`),
  ],
)

export const REDEMPTION_STATUSES = ['reserved', 'fulfilled', 'cancelled', 'expired'] as const
export type RedemptionStatus = (typeof REDEMPTION_STATUSES)[number]

/** One member taking `quantity` units of a reward: points held and stock reserved until fulfil or cancel. */
export const redemptions = pgTable(
  'redemptions',
  {
    id: uuid().primaryKey(),
    memberId: col.memberId(),
    rewardId: col.required(() => rewards.id),
    /** The reward's community office, copied so scope checks and lists need no join through rewards. */
    orgUnitId: col.orgUnitId(),
    quantity: integer().notNull(),
    /** Price per unit and total at the time of reserving (hundredths): a later price change does not apply. */
    pointsCost: bigint({ mode: 'number' }).notNull(),
    amount: bigint({ mode: 'number' }).notNull(),
    status: text().$type<RedemptionStatus>().notNull().default('reserved'),
    holdId: text(),
    captureTransactionId: text(),
    releaseTransactionId: text(),
    createdBy: col.userId(),
    createdAt: col.createdAt(),
    fulfilledAt: col.at(),
    fulfilledBy: col.optionalUserId(),
    cancelledAt: col.at(),
    cancelledBy: col.optionalUserId(),
    cancelReason: text(),
    expiredAt: col.at(),
  },
  (t) => [
    index('redemptions_member_reward_idx').on(t.memberId, t.rewardId, t.createdAt),
    index('redemptions_org_unit_idx').on(t.orgUnitId, t.createdAt, t.id),
    index('redemptions_reserved_idx').on(t.createdAt).where(sql`${t.status} = 'reserved'`),
    // Reports (migrations 0013, 0017): fulfilled redemptions per member, and per reward (INCLUDE (quantity,
    // amount), see ./sql-only.ts: answered from the index alone).
    index('redemptions_member_fulfilled_idx')
      .on(t.memberId, t.fulfilledAt)
      .where(sql`${t.status} = 'fulfilled'`),
    index('redemptions_reward_fulfilled_idx')
      .on(t.rewardId, t.fulfilledAt)
      .where(sql`${t.status} = 'fulfilled'`),
    check('redemptions_status_chk', col.oneOf(t.status, REDEMPTION_STATUSES)),
    check('redemptions_quantity_chk', sql`${t.quantity} > 0`),
    check(
      'redemptions_amount_chk',
      sql`${t.pointsCost} > 0 and ${t.amount} = ${t.pointsCost} * ${t.quantity}`,
    ),
    check(
      'redemptions_timestamps_chk',
      sql`(${t.status} = 'fulfilled') = (${t.fulfilledAt} is not null)
          and (${t.status} = 'cancelled') = (${t.cancelledAt} is not null)
          and (${t.status} = 'expired') = (${t.expiredAt} is not null)`,
    ),
  ],
)

export const STOCK_MOVEMENT_KINDS = ['received', 'reserved', 'handed_out', 'released', 'written_off'] as const
export type StockMovementKind = (typeof STOCK_MOVEMENT_KINDS)[number]

/** Append-only ledger of stock: who moved how many units and why (a trigger refuses UPDATE and DELETE). */
export const rewardStockMovements = pgTable(
  'reward_stock_movements',
  {
    id: col.id(),
    rewardId: col.required(() => rewards.id),
    kind: text().$type<StockMovementKind>().notNull(),
    quantity: integer().notNull(),
    redemptionId: uuid().references(() => redemptions.id),
    note: text(),
    /** null: the system (expiry sweep). */
    actorUserId: col.optionalUserId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    index('reward_stock_movements_reward_idx').on(t.rewardId, t.createdAt, t.id),
    index('reward_stock_movements_redemption_idx').on(t.redemptionId),
    check('reward_stock_movements_kind_chk', col.oneOf(t.kind, STOCK_MOVEMENT_KINDS)),
    check('reward_stock_movements_quantity_chk', sql`${t.quantity} > 0`),
    // Movements of a redemption name it; a write-off says why.
    check(
      'reward_stock_movements_redemption_chk',
      sql`(${t.kind} in ('reserved','handed_out','released')) = (${t.redemptionId} is not null)`,
    ),
    check(
      'reward_stock_movements_reason_chk',
      sql`${t.kind} <> 'written_off' or length(btrim(coalesce(${t.note}, ''))) > 0`,
    ),
  ],
)
