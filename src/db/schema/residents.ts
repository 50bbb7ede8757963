import { sql } from 'drizzle-orm'
import { check, index, integer, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core'
import * as col from './columns'

/**
 * 群众 (issue 18): a resident of a community who places and follows their own service requests (群众点单). Not a
 * party member: no points, no ranking. Created by a grid worker or clerk of the community, or registered by the
 * resident with an invitation code the community hands out. The login is a users row whose resident_id points
 * here, with a `resident` grant on the community.
 */
export const residents = pgTable(
  'residents',
  {
    id: col.id(),
    /** The community (社区) the resident lives in. */
    orgUnitId: col.orgUnitId(),
    name: text().notNull(),
    phone: text(),
    /** The invitation the resident registered with (null: created by staff). */
    invitationId: col.optionalRef(() => residentInvitations.id),
    createdBy: col.optionalUserId(),
    ...col.timestamps(),
  },
  (t) => [
    index('residents_unit_idx').on(t.orgUnitId, t.name, t.id),
    index('residents_phone_idx').on(t.orgUnitId, t.phone).where(sql`${t.phone} is not null`),
    check('residents_name_chk', sql`length(${t.name}) between 1 and 100`),
  ],
)

/**
 * A community's invitation code for residents to register themselves. Only the code's SHA-256 is stored; the
 * code is shown once, when it is created. `uses` counts registrations under `maxUses` (a CHECK), so racing
 * registrations cannot exceed it.
 */
export const residentInvitations = pgTable(
  'resident_invitations',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    codeHash: text().notNull(),
    maxUses: integer().notNull(),
    uses: integer().notNull().default(0),
    expiresAt: col.at().notNull(),
    revokedAt: col.at(),
    createdBy: col.userId(),
    createdAt: col.createdAt(),
  },
  (t) => [
    uniqueIndex('resident_invitations_code_uq').on(t.codeHash),
    index('resident_invitations_unit_idx').on(t.orgUnitId, t.createdAt),
    check('resident_invitations_uses_chk', sql`${t.uses} >= 0 and ${t.uses} <= ${t.maxUses}`),
    check('resident_invitations_max_chk', sql`${t.maxUses} between 1 and 10000`),
  ],
)
