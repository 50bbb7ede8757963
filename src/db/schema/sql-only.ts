/**
 * What the migrations give some tables that drizzle's table builder cannot declare. drizzle-kit ignores this file
 * (it has no tables); test/foundation/schema-drift.test.ts holds it against the migrated database like the rest
 * of the schema, so a migration that changes one of these without changing this file fails CI. An index named
 * here is declared in its table with its key columns only; if a schema change ever makes drizzle-kit generate
 * re-create one, the INCLUDE clause must be added to that migration by hand.
 */

/** INCLUDE columns of an index, or of a primary key's index, by index name: the covering indexes of the reports. */
export const INDEX_INCLUDES: Readonly<Record<string, readonly string[]>> = {
  redemptions_reward_fulfilled_idx: ['quantity', 'amount'],
  report_member_months_unit_idx: ['issued', 'deducted', 'earning_postings', 'redeemed', 'redemptions'],
  report_unit_months_month_idx: ['org_unit_id', 'issued', 'deducted', 'redeemed', 'redemptions'],
  report_unit_days_pk: ['issued', 'deducted', 'redeemed', 'redemptions'],
  report_unit_days_day_idx: ['org_unit_id', 'issued', 'deducted', 'redeemed', 'redemptions'],
  report_hours_days_pk: ['hours_cents', 'requests'],
  report_hours_days_home_idx: ['work_unit_id', 'hours_cents', 'requests'],
  report_volunteer_days_pk: ['n'],
  report_subtree_hours_days_pk: ['hours_cents', 'records', 'requests', 'visiting_records'],
  report_subtree_activity_days_pk: ['activities'],
  // The ranking (issue 22): a county's members, their months of points and their days of hours, index-only.
  members_org_unit_idx: ['name'],
  report_member_months_member_id_month_pk: ['issued', 'deducted'],
  report_member_days_pk: ['hours_cents'],
  // The year's points of each member (the ranking reads them index-only).
  report_member_years_member_id_year_pk: ['issued', 'deducted'],
  report_member_year_hours_member_id_year_pk: ['hours_cents'],
  // A subtree's year by home unit (the ranking and standings), index-only.
  report_member_years_unit_idx: ['member_id', 'issued', 'deducted'],
  report_member_year_hours_unit_idx: ['member_id', 'hours_cents'],
}

/** Tables created UNLOGGED: no WAL, emptied after a crash (drizzle's pgTable has no UNLOGGED). */
export const UNLOGGED_TABLES: readonly string[] = ['auth_counters']
