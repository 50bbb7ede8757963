/**
 * The rewards module's only door to the ledger (its service functions, never its tables). A redemption's
 * postings are prepared by the ledger (id, legs, chain content) and written by the ledger's own
 * `ledger_post()` inside the redemption's one statement, so points and stock move together or not at all.
 */

export { postingJson } from '../ledger/repo'
export {
  insufficientPoints,
  prepareHold,
  prepareSettlement,
  redemptionAccountOf,
} from '../ledger/service'
