import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  smallint,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import * as col from './columns'
import { rubricItems, rubrics } from './rubrics'

export const ROUND_STATUSES = ['scoring', 'publicity', 'finalized'] as const
export type RoundStatus = (typeof ROUND_STATUSES)[number]
export const AGGREGATIONS = ['mean', 'median', 'trimmed_mean'] as const

/** A panel scores all claims of a branch, rubric and period (评议). */
export const scoringRounds = pgTable(
  'scoring_rounds',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    rubricId: col.required(() => rubrics.id),
    periodStart: date({ mode: 'string' }).notNull(),
    periodEnd: date({ mode: 'string' }).notNull(),
    quorum: integer().notNull(),
    aggregation: text().$type<(typeof AGGREGATIONS)[number]>().notNull().default('mean'),
    /** Override of the org setting; null means "the nearest unit's publicityDays, else 5", read at close. */
    publicityDays: integer(),
    /** Hundredths; null means a third of each claim's ceiling. */
    divergenceThreshold: bigint({ mode: 'number' }),
    status: text().$type<RoundStatus>().notNull().default('scoring'),
    closedAt: col.at(),
    publicityEndsAt: col.at(),
    finalizedAt: col.at(),
    createdBy: col.optionalUserId(),
    ...col.timestamps(),
  },
  (t) => [
    index('scoring_rounds_unit_idx').on(t.orgUnitId, t.createdAt),
    check('scoring_rounds_status_chk', col.oneOf(t.status, ROUND_STATUSES)),
    check('scoring_rounds_aggregation_chk', col.oneOf(t.aggregation, AGGREGATIONS)),
    check('scoring_rounds_period_chk', sql`${t.periodStart} <= ${t.periodEnd}`),
    check('scoring_rounds_quorum_chk', sql`${t.quorum} >= 1`),
    check(
      'scoring_rounds_publicity_chk',
      sql`${t.publicityDays} is null or ${t.publicityDays} between 0 and 60`,
    ),
    check(
      'scoring_rounds_divergence_chk',
      sql`${t.divergenceThreshold} is null or ${t.divergenceThreshold} >= 0`,
    ),
    check(
      'scoring_rounds_publicity_state_chk',
      sql`${t.status} = 'scoring' or (${t.closedAt} is not null and ${t.publicityEndsAt} is not null)`,
    ),
    check('scoring_rounds_finalized_chk', sql`(${t.status} = 'finalized') = (${t.finalizedAt} is not null)`),
  ],
)

export const roundPanelists = pgTable(
  'round_panelists',
  {
    roundId: col.required(() => scoringRounds.id),
    userId: col.userId(),
  },
  (t) => [primaryKey({ columns: [t.roundId, t.userId] }), index('round_panelists_user_idx').on(t.userId)],
)

export const CLAIM_STATUSES = ['submitted', 'scoring', 'scored', 'posted', 'withdrawn'] as const
export type ClaimStatus = (typeof CLAIM_STATUSES)[number]

/** 积分申报. Amounts in hundredths; `ceiling`, `result` and `awarded` are negative for deductions. */
export const claims = pgTable(
  'claims',
  {
    id: col.id(),
    memberId: col.memberId(),
    /** The member's home unit when the claim was made: scope and the branch whose round takes it in. */
    orgUnitId: col.orgUnitId(),
    rubricId: uuid().notNull(),
    itemCode: text().notNull(),
    kind: text().$type<'award' | 'deduction'>().notNull(),
    occurredOn: date({ mode: 'string' }).notNull(),
    quantity: bigint({ mode: 'number' }).notNull(),
    ceiling: bigint({ mode: 'number' }).notNull(),
    description: text().notNull(),
    evidence: jsonb().notNull().default({}),
    source: text().$type<'manual' | 'activity' | 'service_request'>().notNull().default('manual'),
    status: text().$type<ClaimStatus>().notNull().default('submitted'),
    roundId: uuid().references(() => scoringRounds.id),
    /** Rescoring after an objection starts a new attempt; only the current attempt's scores count. */
    attempt: integer().notNull().default(1),
    result: bigint({ mode: 'number' }),
    spread: bigint({ mode: 'number' }),
    divergent: boolean(),
    awarded: bigint({ mode: 'number' }),
    cappedAmount: bigint({ mode: 'number' }),
    capReason: text(),
    ledgerTransactionId: uuid(),
    /** 批量申报 (issue 18): the claims filed together by one createClaimsBatch share this id. */
    batchId: uuid(),
    createdBy: col.optionalUserId(),
    ...col.timestamps(),
  },
  (t) => [
    foreignKey({
      columns: [t.rubricId, t.itemCode],
      foreignColumns: [rubricItems.rubricId, rubricItems.code],
    }),
    index('claims_member_idx').on(t.memberId, t.createdAt),
    index('claims_unit_idx').on(t.orgUnitId, t.createdAt),
    index('claims_round_idx').on(t.roundId),
    index('claims_batch_idx').on(t.batchId).where(sql`${t.batchId} is not null`),
    index('claims_pending_idx').on(t.rubricId, t.occurredOn).where(sql`${t.status} = 'submitted'`),
    check('claims_status_chk', col.oneOf(t.status, CLAIM_STATUSES)),
    check('claims_kind_chk', sql`${t.kind} in ('award','deduction')`),
    check('claims_source_chk', sql`${t.source} in ('manual','activity','service_request')`),
    check('claims_quantity_chk', sql`${t.quantity} > 0`),
    check(
      'claims_ceiling_sign_chk',
      sql`(${t.kind} = 'award' and ${t.ceiling} > 0) or (${t.kind} = 'deduction' and ${t.ceiling} < 0)`,
    ),
    check(
      'claims_result_range_chk',
      sql`${t.result} is null or ${t.result} between least(0, ${t.ceiling}) and greatest(0, ${t.ceiling})`,
    ),
    check(
      'claims_awarded_chk',
      sql`${t.awarded} is null or ${t.awarded} between least(0, ${t.result}) and greatest(0, ${t.result})`,
    ),
    check('claims_round_state_chk', sql`(${t.status} in ('submitted','withdrawn')) = (${t.roundId} is null)`),
    check('claims_scored_chk', sql`${t.status} not in ('scored','posted') or ${t.result} is not null`),
    check('claims_posted_chk', sql`(${t.status} = 'posted') = (${t.awarded} is not null)`),
  ],
)

/**
 * Which activity or service request backs which claim. The unique index makes "the same activity cannot be
 * claimed twice under one item" (per member) hold under races; rows go when their claim is withdrawn.
 */
export const claimEvidence = pgTable(
  'claim_evidence',
  {
    claimId: col.required(() => claims.id, { onDelete: 'cascade' }),
    memberId: uuid().notNull(),
    itemCode: text().notNull(),
    refKind: text().$type<'activity' | 'service_request'>().notNull(),
    refId: uuid().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.claimId, t.refKind, t.refId] }),
    uniqueIndex('claim_evidence_once_uq').on(t.memberId, t.itemCode, t.refKind, t.refId),
    // Reports (migration 0017): the claims that name a page of activities as evidence.
    index('claim_evidence_ref_idx').on(t.refKind, t.refId),
    check('claim_evidence_kind_chk', sql`${t.refKind} in ('activity','service_request')`),
  ],
)

/** One panelist's score of one claim in one attempt; editable until the claim's scoring closes. */
export const claimScores = pgTable(
  'claim_scores',
  {
    claimId: col.required(() => claims.id),
    attempt: integer().notNull(),
    panelistUserId: col.userId(),
    time: smallint().notNull(),
    content: smallint().notNull(),
    quality: smallint().notNull(),
    points: bigint({ mode: 'number' }).notNull(),
    comment: text(),
    ...col.timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.claimId, t.attempt, t.panelistUserId] }),
    check('claim_scores_time_chk', sql`${t.time} between 0 and 5`),
    check('claim_scores_content_chk', sql`${t.content} between 0 and 5`),
    check('claim_scores_quality_chk', sql`${t.quality} between 0 and 5`),
  ],
)

export const OBJECTION_STATUSES = ['open', 'upheld', 'rescore'] as const
export type ObjectionStatus = (typeof OBJECTION_STATUSES)[number]

/** 异议 during publicity; the secretary answers it (upheld, with a reply) or sends the claim back. */
export const objections = pgTable(
  'objections',
  {
    id: col.id(),
    claimId: col.required(() => claims.id),
    roundId: col.required(() => scoringRounds.id),
    memberId: col.memberId(),
    filedBy: col.userId(),
    reason: text().notNull(),
    status: text().$type<ObjectionStatus>().notNull().default('open'),
    reply: text(),
    resolvedBy: col.optionalUserId(),
    resolvedAt: col.at(),
    createdAt: col.createdAt(),
  },
  (t) => [
    index('objections_claim_idx').on(t.claimId),
    index('objections_open_idx').on(t.roundId).where(sql`${t.status} = 'open'`),
    check('objections_status_chk', col.oneOf(t.status, OBJECTION_STATUSES)),
    check('objections_resolved_chk', sql`(${t.status} = 'open') = (${t.resolvedAt} is null)`),
  ],
)
