import { sql } from 'drizzle-orm'
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uuid,
} from 'drizzle-orm/pg-core'

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
    /**
     * The months before this one (service-zone first of a month) are folded into report_subtree_months; from it on,
     * a subtree's points are summed from report_unit_months. '-infinity' until the first fold.
     */
    pointsFoldedBefore: date({ mode: 'string' }).notNull().default(sql`'-infinity'`),
    /**
     * The postings' side of the fold (report_points_fold_begin): a posting or a member's move in a month before this
     * one also appends report_subtree_month_deltas. Moved first, in a short transaction, so that the fold itself
     * (report_points_fold_finish, which then moves points_folded_before up to it) runs without holding up postings.
     */
    pointsFoldCutoff: date({ mode: 'string' }).notNull().default(sql`'-infinity'`),
  },
  (t) => [
    check('report_settings_one_row_chk', sql`${t.id}`),
    // The fold's boundary splits periods into folded and open months: a first of a month, or nothing folded yet.
    check(
      'report_settings_points_folded_before_chk',
      sql`${t.pointsFoldedBefore} = '-infinity' or extract(day from ${t.pointsFoldedBefore}) = 1`,
    ),
    check(
      'report_settings_points_fold_cutoff_chk',
      sql`(${t.pointsFoldCutoff} = '-infinity' or extract(day from ${t.pointsFoldCutoff}) = 1) and ${t.pointsFoldedBefore} <= ${t.pointsFoldCutoff}`,
    ),
  ],
)

/**
 * The points figures every points rollup keeps (report_points in src/db/sql/reports.sql says what a posting adds to
 * each), in hundredths and counts.
 */
function points() {
  return {
    issued: bigint({ mode: 'number' }).notNull().default(0),
    deducted: bigint({ mode: 'number' }).notNull().default(0),
    earningPostings: integer().notNull().default(0),
    redeemed: bigint({ mode: 'number' }).notNull().default(0),
    redemptions: integer().notNull().default(0),
  }
}

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
    ...points(),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.month] }),
    // INCLUDE (the sums), see ./sql-only.ts: a subtree's figures for a run of months are an index-only scan
    // per unit.
    index('report_member_months_unit_idx').on(t.orgUnitId, t.month),
    check('report_member_months_month_chk', sql`extract(day from ${t.month}) = 1`),
    check(
      'report_member_months_signs_chk',
      sql`${t.issued} >= 0 and ${t.deducted} >= 0 and ${t.redeemed} >= 0`,
    ),
  ],
)

/**
 * A member's earned points per service-zone year (issued and deducted as report_member_months has them, summed
 * over the year's months): what a year's ranking and standings (亮积分) read, one row per member instead of twelve
 * months each (22,000 index entries for a county of 2,000 members, 40 % of the ranking's time, issue 22). Kept
 * by the same posting trigger as the months, right after them, on a row only this member's postings touch (the
 * account row they lock first covers it); redemptions do not touch it. Keyed by member, not unit, so a member's
 * move changes nothing here. report_rollups_rebuild() recomputes it from the months; test/reports/rollups.test.ts
 * proves it equals the ledger per year.
 */
export const reportMemberYears = pgTable(
  'report_member_years',
  {
    memberId: uuid().notNull(),
    year: integer().notNull(),
    /** The member's current home unit, moved with the member (as report_member_months). */
    orgUnitId: uuid().notNull(),
    issued: bigint({ mode: 'number' }).notNull().default(0),
    deducted: bigint({ mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.year] }),
    // INCLUDE (see ./sql-only.ts): a subtree's year is one index-only range per home unit, the rows of one unit's
    // members side by side (by member id they were 2,000 random leaf pages for a county).
    index('report_member_years_unit_idx').on(t.orgUnitId, t.year),
    check('report_member_years_signs_chk', sql`${t.issued} >= 0 and ${t.deducted} >= 0`),
  ],
)

/**
 * A member's verified hours per service-zone year: what a year's ranking and standings read beside the points, one
 * row per member instead of each of their days (report_member_days). Kept where the days are, at commit under
 * the member's advisory lock (report_hours_add, report_hours_corrected), and apart from report_member_years
 * on purpose: the posting path and the hours path never share a row, so neither can wait for the other. A
 * member with a record of 0 hours in the year has a row of 0, like their day. report_rollups_rebuild() sums
 * the days; test/reports/hours-rollups.test.ts proves it equals verified_service_hours per year.
 */
export const reportMemberYearHours = pgTable(
  'report_member_year_hours',
  {
    memberId: uuid().notNull(),
    year: integer().notNull(),
    /** The member's current home unit, moved with the member (report_hours_member_moved). */
    orgUnitId: uuid().notNull(),
    hoursCents: bigint({ mode: 'number' }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.memberId, t.year] }),
    // INCLUDE (see ./sql-only.ts), as report_member_years_unit_idx.
    index('report_member_year_hours_unit_idx').on(t.orgUnitId, t.year),
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
    ...points(),
  },
  (t) => [
    primaryKey({ columns: [t.orgUnitId, t.month] }),
    // A month of every unit (what a county or smaller reads by time). INCLUDE (the sums), see ./sql-only.ts.
    index('report_unit_months_month_idx').on(t.month),
    check('report_unit_months_month_chk', sql`extract(day from ${t.month}) = 1`),
  ],
)

/**
 * report_unit_months folded per SUBTREE for the months that are over (before report_settings.points_folded_before):
 * a city's year of points is its own dozen rows instead of every unit's (144,000 at city scale). Only the fold
 * (report_points_fold_finish) and the rebuild write it (src/db/sql/reports.sql): a closed month changes afterwards
 * only through a posting that commits late (begun before the month ended) or a member who moves, and both append to
 * report_subtree_month_deltas instead, so no posting ever waits on a subtree row (the city's row would serialise
 * every posting of the city).
 */
export const reportSubtreeMonths = pgTable(
  'report_subtree_months',
  {
    unitId: uuid().notNull(),
    month: date({ mode: 'string' }).notNull(),
    ...points(),
  },
  (t) => [
    primaryKey({ name: 'report_subtree_months_pk', columns: [t.unitId, t.month] }),
    check('report_subtree_months_month_chk', sql`extract(day from ${t.month}) = 1`),
  ],
)

/**
 * Changes to folded months that arrived after their fold began (before report_settings.points_fold_cutoff), per
 * subtree (a late posting, a member's move): appended only (no key, so no writer waits on another), read with
 * report_subtree_months, and moved into it by the next fold. Those of a month the fold has begun but not finished are
 * in the unit rows too: reports do not read them, and the fold drops the ones it counted from the unit rows.
 */
export const reportSubtreeMonthDeltas = pgTable(
  'report_subtree_month_deltas',
  {
    unitId: uuid().notNull(),
    month: date({ mode: 'string' }).notNull(),
    ...points(),
  },
  (t) => [index('report_subtree_month_deltas_unit_idx').on(t.unitId, t.month)],
)

/*
 * The day rollups below (migrations 0021-0025) are written by triggers in src/db/sql/reports.sql and read by
 * src/modules/reports; no TypeScript writes them. Their primary keys and indexes INCLUDE the summed columns
 * (./sql-only.ts lists which), so a subtree's figures are index-only scans. Like the month rollups they have no
 * foreign keys (derived rows; a check per row tripled the rebuild).
 */

/**
 * report_unit_months per home unit and service-zone DAY, for the days at the edges of a period that is not whole
 * months ("12 March to 3 May" reads 12-31 March and 1-3 May here, April from report_unit_months). Kept by the
 * same deferred commit-time trigger as report_unit_months.
 */
export const reportUnitDays = pgTable(
  'report_unit_days',
  {
    orgUnitId: uuid().notNull(),
    day: date({ mode: 'string' }).notNull(),
    ...points(),
  },
  (t) => [
    primaryKey({ name: 'report_unit_days_pk', columns: [t.orgUnitId, t.day] }),
    index('report_unit_days_day_idx').on(t.day),
  ],
)

/**
 * Verified hours per (unit where the work was done, day, member's current home unit). A subtree's record counts
 * when the work OR the member's home lies in it: two index ranges per unit, no join through members.
 */
export const reportHoursDays = pgTable(
  'report_hours_days',
  {
    workUnitId: uuid().notNull(),
    day: date({ mode: 'string' }).notNull(),
    homeUnitId: uuid().notNull(),
    hoursCents: bigint({ mode: 'number' }).notNull().default(0),
    records: integer().notNull().default(0),
    requests: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ name: 'report_hours_days_pk', columns: [t.workUnitId, t.day, t.homeUnitId] }),
    // The other half of the OR: hours of the subtree's members done in units outside it (双报到).
    index('report_hours_days_home_idx').on(t.homeUnitId, t.day),
  ],
)

/**
 * The service-zone days on which a member has verified hours: what the triggers read to find a member's previous
 * and next active day, and the member's verified hours of that day (corrections applied), which the ranking and
 * the standings sum over a year (a range of one member's rows instead of the member's participations through
 * verified_service_hours: 3.5 s -> milliseconds for a county of 2,000 at city scale, issue 22).
 */
export const reportMemberDays = pgTable(
  'report_member_days',
  {
    memberId: uuid().notNull(),
    day: date({ mode: 'string' }).notNull(),
    hoursCents: bigint({ mode: 'number' }).notNull().default(0),
  },
  (t) => [primaryKey({ name: 'report_member_days_pk', columns: [t.memberId, t.day] })],
)

/**
 * Every verified hour a member has (all years, all units, corrections applied), in hundredths: the sum of
 * verified_service_hours for the member, kept by the same triggers as report_hours_days (a verification or a
 * confirmed request adds its records, a correction its difference) and by report_rollups_rebuild(). A member's
 * move changes nothing here. The balance answer's volunteer star reads it in the balance statement (one row by
 * primary key instead of a sum over the member's participations). test/reports/rollups.test.ts proves it
 * equals the raw sum.
 */
export const reportMemberHours = pgTable('report_member_hours', {
  memberId: uuid().primaryKey(),
  hoursCents: bigint({ mode: 'number' }).notNull().default(0),
})

/**
 * Distinct volunteers of a subtree for any period without one row per member: for each active day of a member,
 * once per unit at or above their home, `prevDay` is the member's previous active day ('-infinity' for the
 * first). Volunteers active in [from, to] = sum(n) over the unit's rows with from <= day <= to and prev_day < from.
 * No CHECK (n >= 0): an upsert's proposed row is checked before its conflict, and a move proposes -1.
 */
export const reportVolunteerDays = pgTable(
  'report_volunteer_days',
  {
    unitId: uuid().notNull(),
    day: date({ mode: 'string' }).notNull(),
    prevDay: date({ mode: 'string' }).notNull(),
    n: integer().notNull(),
  },
  (t) => [primaryKey({ name: 'report_volunteer_days_pk', columns: [t.unitId, t.day, t.prevDay] })],
)

/**
 * Verified hours of a day counted for a unit's SUBTREE (each record once per unit above its work unit or its
 * member's home): a subtree's year is ~365 rows of its own, whatever its size. `visitingRecords`: those whose
 * member's home is outside the subtree (双报到 visitors); 0 over a period skips the raw look-up of visitors.
 */
export const reportSubtreeHoursDays = pgTable(
  'report_subtree_hours_days',
  {
    unitId: uuid().notNull(),
    day: date({ mode: 'string' }).notNull(),
    hoursCents: bigint({ mode: 'number' }).notNull().default(0),
    records: integer().notNull().default(0),
    requests: integer().notNull().default(0),
    visitingRecords: integer().notNull().default(0),
  },
  (t) => [primaryKey({ name: 'report_subtree_hours_days_pk', columns: [t.unitId, t.day] })],
)

/** Activities started on a day in a unit's subtree (an activity's unit and start never change). */
export const reportSubtreeActivityDays = pgTable(
  'report_subtree_activity_days',
  {
    unitId: uuid().notNull(),
    day: date({ mode: 'string' }).notNull(),
    activities: integer().notNull().default(0),
  },
  (t) => [primaryKey({ name: 'report_subtree_activity_days_pk', columns: [t.unitId, t.day] })],
)
