/**
 * The ledger module's public surface, and other modules' only door to points: they never read or write the
 * ledger's tables themselves. A redemption's postings are prepared here (id, legs, chain content) and written by
 * the ledger's own `ledger_post_many()` inside the redemption's one statement, so points and stock move together
 * or not at all; scoring posts its results through `postClaimResults`.
 */
export { createAdjustment } from './corrections'
export { ledgerMemo } from './domain'
export { ledgerExamples } from './examples'
export { availableCentsOf } from './queries'
export { postingJson } from './repo'
export { ledgerRoutes } from './routes'
export {
  type ClaimResult,
  insufficientPoints,
  postClaimResults,
  prepareHold,
  prepareSettlement,
  redemptionAccountOf,
} from './service'
