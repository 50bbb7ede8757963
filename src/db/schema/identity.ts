import { sql } from 'drizzle-orm'
import {
  type AnyPgColumn,
  check,
  index,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { members } from './members'
import { orgUnits } from './org'

export const ROLES = ['admin', 'secretary', 'panelist', 'grid_worker', 'clerk', 'member'] as const
export type Role = (typeof ROLES)[number]

export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey().defaultRandom(),
    username: text().notNull().unique(),
    passwordHash: text().notNull(),
    memberId: uuid()
      .unique()
      .references(() => members.id),
    disabledAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** The secretary or admin who created the login (null: bootstrap, demo, before migration 0029). */
    createdBy: uuid().references((): AnyPgColumn => users.id),
  },
  // Only Argon2id hashes are ever stored: a plain or weakly hashed password cannot slip in.
  (t) => [check('users_password_hash_chk', sql`${t.passwordHash} like '$argon2id$%'`)],
)

/** A grant (role, unit) covers the unit's whole subtree. */
export const roleGrants = pgTable(
  'role_grants',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id),
    role: text().$type<Role>().notNull(),
    orgUnitId: uuid()
      .notNull()
      .references(() => orgUnits.id),
    grantedBy: uuid().references((): AnyPgColumn => users.id),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('role_grants_user_role_unit_uq').on(t.userId, t.role, t.orgUnitId),
    index('role_grants_unit_idx').on(t.orgUnitId),
    check(
      'role_grants_role_chk',
      sql`${t.role} in ('admin','secretary','panelist','grid_worker','clerk','member')`,
    ),
  ],
)

/**
 * Refresh tokens are opaque; only their SHA-256 is stored. Each refresh uses one up and issues the next in
 * the same family; presenting a used one means it leaked, so the whole family is revoked.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id),
    familyId: uuid().notNull(),
    tokenHash: text().notNull().unique(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    usedAt: timestamp({ withTimezone: true }),
    revokedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId), index('refresh_tokens_user_idx').on(t.userId)],
)
