CREATE TABLE "report_member_years" (
	"member_id" uuid NOT NULL,
	"year" integer NOT NULL,
	"issued" bigint DEFAULT 0 NOT NULL,
	"deducted" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "report_member_years_member_id_year_pk" PRIMARY KEY("member_id","year") INCLUDE ("issued", "deducted"),
	CONSTRAINT "report_member_years_signs_chk" CHECK ("report_member_years"."issued" >= 0 and "report_member_years"."deducted" >= 0)
);
--> statement-breakpoint
-- The years so far, from the months (the rebuild, report_rollups_rebuild, computes them the same way).
INSERT INTO "report_member_years" ("member_id", "year", "issued", "deducted")
  SELECT "member_id", extract(year FROM "month")::integer, sum("issued"), sum("deducted")
    FROM "report_member_months" WHERE "earning_postings" > 0 GROUP BY 1, 2;
