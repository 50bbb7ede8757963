-- A member's verified hours per service-zone day (issue 22: the ranking and standings sum a year of one member's rows
-- instead of the participations). Filled by report_rollups_rebuild(), which runs when src/db/sql/reports.sql
-- changes (it does with this column); kept by report_hours_add and report_hours_corrected.
ALTER TABLE "report_member_days" ADD COLUMN "hours_cents" bigint DEFAULT 0 NOT NULL;