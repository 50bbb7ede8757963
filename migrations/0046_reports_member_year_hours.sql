CREATE TABLE "report_member_year_hours" (
	"member_id" uuid NOT NULL,
	"year" integer NOT NULL,
	"hours_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "report_member_year_hours_member_id_year_pk" PRIMARY KEY("member_id","year") INCLUDE ("hours_cents")
);
--> statement-breakpoint
-- The years so far, from the members' days (the rebuild, report_rollups_rebuild, computes them the same way).
INSERT INTO "report_member_year_hours" ("member_id", "year", "hours_cents")
  SELECT "member_id", extract(year FROM "day")::integer, sum("hours_cents") FROM "report_member_days" GROUP BY 1, 2;
