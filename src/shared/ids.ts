import { v7 } from 'uuid'

/**
 * A new id for a row of a table that grows with every command (ledger transactions, redemptions): a
 * time-ordered UUID (version 7), so the primary key and every index on it take new rows on their rightmost
 * page instead of a random one. That keeps the indexes dense and the WAL small (migration 0027 explains the
 * measurement; the database's uuid_v7() does the same for ids it picks). Ids are not secrets: access is
 * decided by scope, never by knowing an id, so the creation time they carry gives nothing away that the row's
 * createdAt does not.
 */
export function newId(): string {
  return v7()
}
