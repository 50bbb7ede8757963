-- The year rollups carry the member's current home unit, so that a subtree's year is one range per unit (the
-- ranking of a county read 2,000 random leaf pages by member id). Filled from the members, then required.
ALTER TABLE "report_member_year_hours" ADD COLUMN "org_unit_id" uuid;--> statement-breakpoint
ALTER TABLE "report_member_years" ADD COLUMN "org_unit_id" uuid;--> statement-breakpoint
UPDATE "report_member_year_hours" r SET "org_unit_id" = m."org_unit_id" FROM "members" m WHERE m."id" = r."member_id";--> statement-breakpoint
UPDATE "report_member_years" r SET "org_unit_id" = m."org_unit_id" FROM "members" m WHERE m."id" = r."member_id";--> statement-breakpoint
ALTER TABLE "report_member_year_hours" ALTER COLUMN "org_unit_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "report_member_years" ALTER COLUMN "org_unit_id" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "report_member_year_hours_unit_idx" ON "report_member_year_hours" USING btree ("org_unit_id","year") INCLUDE ("member_id", "hours_cents");--> statement-breakpoint
CREATE INDEX "report_member_years_unit_idx" ON "report_member_years" USING btree ("org_unit_id","year") INCLUDE ("member_id", "issued", "deducted");
