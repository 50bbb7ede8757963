import { sql } from 'drizzle-orm'
import { boolean, check, index, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core'
import * as col from './columns'

/** A person who earns points. `orgUnitId` is the home unit (normally a branch). */
export const members = pgTable(
  'members',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    name: text().notNull(),
    phone: text(),
    isPartyMember: boolean().notNull().default(true),
    workUnit: text(),
    status: text().$type<'active' | 'inactive'>().notNull().default('active'),
    /**
     * Identity document (issue 19): its type, the number sealed with AES-256-GCM under PII_KEY
     * (src/shared/pii.ts, `pii1.<key id>.<iv|tag|ciphertext>`), its keyed hash (HMAC-SHA256, the only way to find
     * a member by it) and its mask, the one form ever shown. The number is never stored in clear.
     */
    identityType: text(),
    identitySealed: text(),
    identityHash: text(),
    identityMasked: text(),
    ...col.timestamps(),
  },
  (t) => [
    index('members_org_unit_idx').on(t.orgUnitId, t.id),
    index('members_identity_hash_idx').on(t.identityHash).where(sql`${t.identityHash} is not null`),
    check(
      'members_identity_chk',
      sql`(${t.identityType} is null) = (${t.identitySealed} is null)
          and (${t.identityType} is null) = (${t.identityHash} is null)
          and (${t.identityType} is null) = (${t.identityMasked} is null)`,
    ),
    check(
      'members_identity_type_chk',
      sql`${t.identityType} is null or ${t.identityType} in
          ('resident_id','passport','hk_macao_permit','taiwan_permit','foreign_permanent_residence')`,
    ),
    check(
      'members_identity_sealed_chk',
      sql`${t.identitySealed} is null or ${t.identitySealed} like 'pii1.%'`,
    ),
    // Lists are ordered by (name, id) with keyset cursors.
    index('members_name_idx').on(t.name, t.id),
    check('members_status_chk', sql`${t.status} in ('active','inactive')`),
    check('members_name_chk', sql`length(btrim(${t.name})) > 0`),
  ],
)

/**
 * 双报到: an in-service member also serving the residential community where they live. Asked for by the member or
 * their home side (`pending`), accepted or declined by the community; only `accepted` puts the member in the
 * community's scope. Ending keeps the row (history). Transitions are guarded by a trigger (migration 0029).
 */
export const REGISTRATION_STATUSES = ['pending', 'accepted', 'declined', 'ended'] as const
export type RegistrationStatus = (typeof REGISTRATION_STATUSES)[number]

export const memberRegistrations = pgTable(
  'member_registrations',
  {
    id: col.id(),
    memberId: col.memberId(),
    orgUnitId: col.orgUnitId(),
    createdAt: col.createdAt(),
    status: text().$type<RegistrationStatus>().notNull(),
    requestedBy: col.optionalUserId(),
    decidedBy: col.optionalUserId(),
    decidedAt: col.at(),
    declineReason: text(),
    endedBy: col.optionalUserId(),
    endedAt: col.at(),
    endReason: text(),
  },
  (t) => [
    uniqueIndex('member_registrations_live_uq')
      .on(t.memberId, t.orgUnitId)
      .where(sql`${t.status} in ('pending', 'accepted')`),
    index('member_registrations_unit_idx').on(t.orgUnitId),
    index('member_registrations_member_idx').on(t.memberId),
    check('member_registrations_status_chk', col.oneOf(t.status, REGISTRATION_STATUSES)),
    check(
      'member_registrations_decided_chk',
      sql`(${t.status} = 'pending') = (${t.decidedAt} is null) or (${t.status} = 'ended' and ${t.decidedAt} is null)`,
    ),
    check('member_registrations_ended_chk', sql`(${t.status} = 'ended') = (${t.endedAt} is not null)`),
    check('member_registrations_decline_chk', sql`${t.declineReason} is null or ${t.status} = 'declined'`),
  ],
)

/** 志愿服务队 */
export const teams = pgTable(
  'teams',
  {
    id: col.id(),
    orgUnitId: col.orgUnitId(),
    name: text().notNull(),
    description: text(),
    createdAt: col.createdAt(),
  },
  (t) => [
    index('teams_org_unit_idx').on(t.orgUnitId),
    check('teams_name_chk', sql`length(btrim(${t.name})) > 0`),
  ],
)

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: col.required(() => teams.id),
    memberId: col.memberId(),
    createdAt: col.createdAt(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.memberId] }), index('team_members_member_idx').on(t.memberId)],
)
