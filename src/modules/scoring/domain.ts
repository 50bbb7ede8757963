import type { ClaimStatus, ObjectionStatus, RoundStatus } from '../../db/schema/scoring'
import { type Aggregation, aggregate, type Cents, divRoundHalfUp, formatCents } from '../../shared/decimal'

/**
 * The state machines, in one place so the service and the tests agree on what is legal:
 * claim:     submitted -> scoring (a round takes it in) -> scored (round closes) -> posted (finalize)
 *            submitted -> withdrawn; scored -> scoring (objection sent back for rescoring)
 * round:     scoring -> publicity (close) -> finalized; publicity -> scoring (a claim is rescored)
 * objection: open -> upheld | rescore
 */
const CLAIM_MOVES: Record<ClaimStatus, readonly ClaimStatus[]> = {
  submitted: ['scoring', 'withdrawn'],
  scoring: ['scored'],
  scored: ['posted', 'scoring'],
  posted: [],
  withdrawn: [],
}
const ROUND_MOVES: Record<RoundStatus, readonly RoundStatus[]> = {
  scoring: ['publicity'],
  publicity: ['finalized', 'scoring'],
  finalized: [],
}
const OBJECTION_MOVES: Record<ObjectionStatus, readonly ObjectionStatus[]> = {
  open: ['upheld', 'rescore'],
  upheld: [],
  rescore: [],
}

export const canMoveClaim = (from: ClaimStatus, to: ClaimStatus) => CLAIM_MOVES[from].includes(to)
export const canMoveRound = (from: RoundStatus, to: RoundStatus) => ROUND_MOVES[from].includes(to)
export const canMoveObjection = (from: ObjectionStatus, to: ObjectionStatus) =>
  OBJECTION_MOVES[from].includes(to)

/** A majority of the panel unless the round says otherwise. */
export function defaultQuorum(panelSize: number): number {
  return Math.floor(panelSize / 2) + 1
}

/**
 * Scores a claim needs before close: the round's quorum, but never more than the panelists who may score it
 * (a panelist never scores their own claim), and at least one.
 */
export function requiredScores(quorum: number, eligiblePanelists: number): number {
  return Math.max(1, Math.min(quorum, eligiblePanelists))
}

/** The claim's legal range of points: [0, ceiling] for awards, [ceiling, 0] for deductions. */
export function inRange(points: Cents, ceiling: Cents): boolean {
  return points >= Math.min(0, ceiling) && points <= Math.max(0, ceiling)
}

export interface ClaimResult {
  result: Cents
  spread: Cents
  divergent: boolean
}

/**
 * The panel's result (half-up to 0.01 by the aggregation), the spread between highest and lowest points,
 * and whether the panel diverged: spread above the round's threshold, by default a third of the ceiling.
 */
export function computeResult(
  rule: Aggregation,
  points: readonly Cents[],
  ceiling: Cents,
  threshold: Cents | null,
): ClaimResult {
  const result = aggregate(rule, points)
  const spread = Math.max(...points) - Math.min(...points)
  const limit = threshold ?? divRoundHalfUp(Math.abs(ceiling), 3)
  return { result, spread, divergent: spread > limit }
}

export interface CapOutcome {
  awarded: Cents
  cappedAmount: Cents
  reason: string | null
}

/**
 * The item's yearly cap per member, in magnitude (deductions are capped too): award what is left under the
 * cap given what was already posted this year, and say why when it cut the result.
 */
export function applyCap(
  result: Cents,
  postedThisYear: Cents,
  capPerYear: Cents,
  describe: { itemCode: string; year: number },
): CapOutcome {
  const sign = result < 0 ? -1 : 1
  const wanted = Math.abs(result)
  const left = Math.max(0, capPerYear - Math.abs(postedThisYear))
  const granted = Math.min(wanted, left)
  if (granted === wanted) return { awarded: result, cappedAmount: 0, reason: null }
  const fmt = formatCents
  return {
    awarded: sign * granted,
    cappedAmount: sign * (wanted - granted),
    reason: `capPerYear ${fmt(capPerYear)} of ${describe.itemCode} in ${describe.year}: ${fmt(Math.abs(postedThisYear))} already posted, ${fmt(left)} left`,
  }
}
