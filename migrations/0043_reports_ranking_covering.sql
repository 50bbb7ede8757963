-- The year's ranking of a county at city scale (issue 22) read 2,000 members' rows from three tables through
-- their heaps: the county's members (a seq scan of every member was cheaper for the planner than 2,000 heap
-- fetches), their months of points and their days of hours. Each index now carries what the ranking reads, so
-- all three are index-only ranges (src/db/schema/sql-only.ts lists the INCLUDE columns).
DROP INDEX IF EXISTS members_org_unit_idx;
--> statement-breakpoint
CREATE INDEX members_org_unit_idx ON members (org_unit_id, id) INCLUDE (name);
--> statement-breakpoint
ALTER TABLE report_member_months DROP CONSTRAINT report_member_months_member_id_month_pk,
  ADD CONSTRAINT report_member_months_member_id_month_pk PRIMARY KEY (member_id, month) INCLUDE (issued, deducted);
--> statement-breakpoint
ALTER TABLE report_member_days DROP CONSTRAINT report_member_days_pk,
  ADD CONSTRAINT report_member_days_pk PRIMARY KEY (member_id, day) INCLUDE (hours_cents);
