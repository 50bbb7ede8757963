import { sql } from 'drizzle-orm'
import {
  boolean,
  check,
  index,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'
import { orgUnits } from './org'

/** A person who earns points. `orgUnitId` is the home unit (normally a branch). */
export const members = pgTable(
  'members',
  {
    id: uuid().primaryKey().defaultRandom(),
    orgUnitId: uuid()
      .notNull()
      .references(() => orgUnits.id),
    name: text().notNull(),
    phone: text(),
    isPartyMember: boolean().notNull().default(true),
    workUnit: text(),
    status: text().$type<'active' | 'inactive'>().notNull().default('active'),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('members_org_unit_idx').on(t.orgUnitId, t.id),
    // Lists are ordered by (name, id) with keyset cursors.
    index('members_name_idx').on(t.name, t.id),
    check('members_status_chk', sql`${t.status} in ('active','inactive')`),
    check('members_name_chk', sql`length(btrim(${t.name})) > 0`),
  ],
)

/** 双报到: an in-service member also registered with the residential community they serve. */
export const memberRegistrations = pgTable(
  'member_registrations',
  {
    id: uuid().primaryKey().defaultRandom(),
    memberId: uuid()
      .notNull()
      .references(() => members.id),
    orgUnitId: uuid()
      .notNull()
      .references(() => orgUnits.id),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('member_registrations_uq').on(t.memberId, t.orgUnitId),
    index('member_registrations_unit_idx').on(t.orgUnitId),
  ],
)

/** 志愿服务队 */
export const teams = pgTable(
  'teams',
  {
    id: uuid().primaryKey().defaultRandom(),
    orgUnitId: uuid()
      .notNull()
      .references(() => orgUnits.id),
    name: text().notNull(),
    description: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('teams_org_unit_idx').on(t.orgUnitId),
    check('teams_name_chk', sql`length(btrim(${t.name})) > 0`),
  ],
)

export const teamMembers = pgTable(
  'team_members',
  {
    teamId: uuid()
      .notNull()
      .references(() => teams.id),
    memberId: uuid()
      .notNull()
      .references(() => members.id),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.teamId, t.memberId] }), index('team_members_member_idx').on(t.memberId)],
)
