-- Report rollups (issue 8): points per member per service-zone month, so that a county ranking reads
-- ~12 rows per member and a whole city's summary one small row per member-month instead of millions of
-- ledger entries. See src/db/schema/reports.ts for why the rows are per member (no new lock contention).
INSERT INTO report_settings (id, time_zone) VALUES (true, 'Asia/Shanghai') ON CONFLICT (id) DO NOTHING;
--> statement-breakpoint
-- A subtree's figures over a run of months: for each unit of the subtree one index range, answered from
-- the index alone (the sums are INCLUDEd), so a whole city never touches the heap.
CREATE INDEX IF NOT EXISTS report_member_months_unit_idx
  ON report_member_months (org_unit_id, month)
  INCLUDE (issued, deducted, earning_postings, redeemed, redemptions);
