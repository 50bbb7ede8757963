/**
 * The rewards module's only door to the ledger (its service functions, never its tables). Holds,
 * captures and releases run in the caller's transaction, so points and stock move together or not at all.
 */
export { captureHold, getBalanceCents, holdPoints, releaseHold } from '../ledger/service'
