import { sql } from 'drizzle-orm'
import { type AnyPgColumn, check, index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core'
import * as col from './columns'
import { members } from './members'
import { residents } from './residents'

export const ROLES = ['admin', 'secretary', 'panelist', 'grid_worker', 'clerk', 'member', 'resident'] as const
export type Role = (typeof ROLES)[number]

export const users = pgTable(
  'users',
  {
    id: col.id(),
    username: text().notNull().unique(),
    passwordHash: text().notNull(),
    memberId: uuid()
      .unique()
      .references(() => members.id),
    /** The resident this login belongs to (issue 18): a resident's login, never also a member's. */
    residentId: uuid()
      .unique()
      .references((): AnyPgColumn => residents.id),
    disabledAt: col.at(),
    createdAt: col.createdAt(),
    /** The secretary or admin who created the login (null: bootstrap, demo, before migration 0029). */
    createdBy: col.optionalUserId(),
  },
  // Only Argon2id hashes are ever stored: a plain or weakly hashed password cannot slip in.
  (t) => [
    check('users_password_hash_chk', sql`${t.passwordHash} like '$argon2id$%'`),
    check('users_member_or_resident_chk', sql`${t.memberId} is null or ${t.residentId} is null`),
  ],
)

/** A grant (role, unit) covers the unit's whole subtree. */
export const roleGrants = pgTable(
  'role_grants',
  {
    id: col.id(),
    userId: col.userId(),
    role: text().$type<Role>().notNull(),
    orgUnitId: col.orgUnitId(),
    grantedBy: col.optionalUserId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    uniqueIndex('role_grants_user_role_unit_uq').on(t.userId, t.role, t.orgUnitId),
    index('role_grants_unit_idx').on(t.orgUnitId),
    check('role_grants_role_chk', col.oneOf(t.role, ROLES)),
  ],
)

/**
 * Refresh tokens are opaque; only their SHA-256 is stored. Each refresh uses one up and issues the next in
 * the same family; presenting a used one means it leaked, so the whole family is revoked.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: col.id(),
    userId: col.userId(),
    familyId: uuid().notNull(),
    tokenHash: text().notNull().unique(),
    expiresAt: col.at().notNull(),
    usedAt: col.at(),
    revokedAt: col.at(),
    createdAt: col.createdAt(),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId), index('refresh_tokens_user_idx').on(t.userId)],
)
