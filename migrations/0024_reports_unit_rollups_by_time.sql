-- A large subtree's points for a run of months or days: report_unit_months / report_unit_days are keyed by
-- unit first, so a city (15,000 units) read them one index probe per unit, or scanned the whole table.
-- Led by the time instead, the rows of the period are one index range (a city's 20 edge days: 24,000
-- index entries, not 400,000 rows), joined to the subtree's units by hash; the planner keeps the per-unit
-- probes for a county or smaller. Answered from the index alone (the sums are INCLUDEd). Cost: one more
-- index entry per unit-month and unit-day row written, i.e. two per posting, at commit.
CREATE INDEX IF NOT EXISTS report_unit_months_month_idx
  ON report_unit_months (month) INCLUDE (org_unit_id, issued, deducted, redeemed, redemptions);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS report_unit_days_day_idx
  ON report_unit_days (day) INCLUDE (org_unit_id, issued, deducted, redeemed, redemptions);
