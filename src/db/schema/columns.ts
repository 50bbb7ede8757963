import { type SQL, sql } from 'drizzle-orm'
import { type AnyPgColumn, type ReferenceConfig, timestamp, uuid } from 'drizzle-orm/pg-core'
import { users } from './identity'
import { members } from './members'
import { orgUnits } from './org'

/*
 * The columns most tables share, declared once: a table file imports them as `col` and says `id: col.id()` or
 * `orgUnitId: col.orgUnitId()`, and gets the same column as every other table that has one. Each helper returns a new builder (drizzle binds a builder to one
 * table). They are function declarations, not arrow constants, because this file and the table files import each
 * other: a hoisted function can be called while the cycle is still loading, a constant could not; and each
 * reference's target is typed AnyPgColumn, so no table's type waits on another's.
 *
 * Only how the TypeScript is written: test/foundation/schema-drift.test.ts holds the tables these make against the
 * migrated database and drizzle-kit's snapshot, so a helper that changed a column would fail there.
 */

/** The surrogate key: a random uuid the database fills in. */
export function id() {
  return uuid().primaryKey().defaultRandom()
}

/** A moment, with its time zone (every timestamp of the schema is one). */
export function at() {
  return timestamp({ withTimezone: true })
}

/** When the row was written, by the database's clock. */
export function createdAt() {
  return at().notNull().defaultNow()
}

/** createdAt and updatedAt of a row that changes: both start at the insert, the service moves updatedAt. */
export function timestamps() {
  return { createdAt: createdAt(), updatedAt: createdAt() }
}

/** A reference that every row has: a uuid, never null, naming a row of `target`'s table. */
export function required(target: () => AnyPgColumn, actions?: ReferenceConfig['actions']) {
  return uuid().notNull().references(target, actions)
}

/** A reference that may be empty: a uuid naming a row of `target`'s table, or null. */
export function optionalRef(target: () => AnyPgColumn, actions?: ReferenceConfig['actions']) {
  return uuid().references(target, actions)
}

/** The org unit the row belongs to (whose scope it is in). */
export function orgUnitId() {
  return required((): AnyPgColumn => orgUnits.id)
}

/** The member the row is about. */
export function memberId() {
  return required((): AnyPgColumn => members.id)
}

/** The user who did it. */
export function userId() {
  return required((): AnyPgColumn => users.id)
}

/** The user who did it, where it may have been nobody (the system, or not yet). */
export function optionalUserId() {
  return uuid().references((): AnyPgColumn => users.id)
}

/**
 * The CHECK condition that `column` holds one of `values`: a status or kind is allowed by the same list its
 * TypeScript type is made of (`check('claims_status_chk', oneOf(t.status, CLAIM_STATUSES))`). Written as the
 * migrations have it, `col in ('a','b')`, so drizzle-kit sees the CHECK it already has.
 */
export function oneOf(column: AnyPgColumn, values: readonly string[]): SQL {
  return sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(','))})`
}
