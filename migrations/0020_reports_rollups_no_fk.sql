ALTER TABLE "report_member_months" DROP CONSTRAINT "report_member_months_member_id_members_id_fk";
--> statement-breakpoint
ALTER TABLE "report_member_months" DROP CONSTRAINT "report_member_months_org_unit_id_org_units_id_fk";
--> statement-breakpoint
ALTER TABLE "report_unit_months" DROP CONSTRAINT "report_unit_months_org_unit_id_org_units_id_fk";
