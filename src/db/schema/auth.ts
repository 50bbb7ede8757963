import { bigint, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core'

/*
 * Throttling shared by every API process (migration 0028, security issue 15), read and written by
 * src/shared/counters.ts and the login throttle with prepared raw SQL (hot: every request, every login). Times are
 * Unix milliseconds of the API processes' clocks, so the windows a process keeps in memory and these agree.
 */

/**
 * Fixed-window counters (login, refresh and certificate-verification budgets per address, the per-caller budget).
 * UNLOGGED (./sql-only.ts; drizzle cannot declare it): no WAL on the hot path, emptied after a crash, which a rate
 * limit can afford.
 */
export const authCounters = pgTable('auth_counters', {
  key: text().primaryKey(),
  count: bigint({ mode: 'number' }).notNull(),
  windowEndMs: bigint({ mode: 'number' }).notNull(),
})

/**
 * Failed logins per account ('a:<username>') and per account and address ('a:<username>@<address>'), with the
 * time before which the next attempt is refused; forgotten after a quiet day.
 */
export const authFailures = pgTable('auth_failures', {
  key: text().primaryKey(),
  failures: integer().notNull(),
  blockedUntilMs: bigint({ mode: 'number' }).notNull(),
  expiresAtMs: bigint({ mode: 'number' }).notNull(),
})

/** Addresses that logged in to an account in the last 30 days: a locked account still admits them. */
export const authKnownAddresses = pgTable(
  'auth_known_addresses',
  {
    account: text().notNull(),
    address: text().notNull(),
    expiresAtMs: bigint({ mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ name: 'auth_known_addresses_pkey', columns: [t.account, t.address] })],
)
