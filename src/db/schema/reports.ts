import { sql } from 'drizzle-orm'
import { bigint, boolean, check, date, integer, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core'

/**
 * The zone the report rollups cut months in (one row). Rollups are only read when it equals the service's
 * TIMEZONE; otherwise reports fall back to raw sums, so a changed TIMEZONE is slow, never wrong, until
 * `select report_rollups_rebuild('<zone>')` recuts the months.
 */
export const reportSettings = pgTable(
  'report_settings',
  {
    id: boolean().primaryKey().default(true),
    timeZone: text().notNull(),
  },
  (t) => [check('report_settings_one_row_chk', sql`${t.id}`)],
)

/**
 * Points per member per service-zone month, kept by a statement trigger on ledger_entries in the posting's
 * own transaction (migration reports_rollups). Why per MEMBER and not per branch: the trigger upserts this
 * row right after the posting has updated (locked) the member's account row, so it adds no lock another
 * posting does not already wait for. A per-branch row would make every award, adjustment and hand-over in
 * a branch queue behind each other, which the ledger avoids on purpose (office accounts keep no cached
 * balance for that reason).
 *
 * `orgUnitId` is the member's current home unit, moved with the member by a trigger on members, so a
 * subtree's figures are one index range per unit with no join through members.
 *
 * issued/deducted: positive and negated negative member entries of scoring results, deductions,
 * adjustments and reversals (their count in `earningPostings`); redeemed/redemptions: points and count of
 * settled ('post') redemption holds, i.e. fulfilled redemptions. All hundredths. The test
 * test/reports/rollups.test.ts proves these equal the raw sums, before and after
 * report_rollups_rebuild().
 */
export const reportMemberMonths = pgTable(
  'report_member_months',
  {
    // No foreign keys on the rollups: they are derived from FK-checked ledger and member rows, and a
    // check per rollup row tripled the rebuild at city scale (297 s -> 90 s without them).
    memberId: uuid().notNull(),
    month: date({ mode: 'string' }).notNull(),
    orgUnitId: uuid().notNull(),
    issued: bigint({ mode: 'number' }).notNull().default(0),
    deducted: bigint({ mode: 'number' }).notNull().default(0),
    earningPostings: integer().notNull().default(0),
    redeemed: bigint({ mode: 'number' }).notNull().default(0),
    redemptions: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.month] }),
    // (org_unit_id, month) INCLUDE (the sums) is made in migration reports_rollups (drizzle cannot say
    // INCLUDE): a subtree's figures for a run of months are then an index-only scan per unit.
    check('report_member_months_month_chk', sql`extract(day from ${t.month}) = 1`),
    check(
      'report_member_months_signs_chk',
      sql`${t.issued} >= 0 and ${t.deducted} >= 0 and ${t.redeemed} >= 0`,
    ),
  ],
)

/**
 * The same points per home unit and month: what a city's or county's summary reads (one row per unit and
 * month instead of one per member). Kept by a DEFERRED trigger, i.e. at commit, after the posting
 * transaction has taken every member lock it needs: the unit row is then locked only for the instant of
 * the commit, so postings of one branch queue for each other for that instant and never while they work,
 * and no transaction waits for a member account while holding a unit row (the order that could deadlock).
 * report_rollups_rebuild() recomputes it from report_member_months.
 */
export const reportUnitMonths = pgTable(
  'report_unit_months',
  {
    orgUnitId: uuid().notNull(),
    month: date({ mode: 'string' }).notNull(),
    issued: bigint({ mode: 'number' }).notNull().default(0),
    deducted: bigint({ mode: 'number' }).notNull().default(0),
    earningPostings: integer().notNull().default(0),
    redeemed: bigint({ mode: 'number' }).notNull().default(0),
    redemptions: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.orgUnitId, t.month] }),
    check('report_unit_months_month_chk', sql`extract(day from ${t.month}) = 1`),
  ],
)
