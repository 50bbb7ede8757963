ALTER TABLE "report_member_months" DROP CONSTRAINT "report_member_months_member_id_members_id_fk";
--> statement-breakpoint
ALTER TABLE "report_member_months" DROP CONSTRAINT "report_member_months_org_unit_id_org_units_id_fk";
--> statement-breakpoint
ALTER TABLE "report_unit_months" DROP CONSTRAINT "report_unit_months_org_unit_id_org_units_id_fk";
--> statement-breakpoint
-- The rebuild groups every ledger entry once: with the default 4 MB it sorts on disk. A job, run rarely.
ALTER FUNCTION report_rollups_rebuild(text) SET work_mem = '256MB';
