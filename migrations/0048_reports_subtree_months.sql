-- A subtree's points for the months that are over, folded once per month (report_points_fold() in
-- src/db/sql/reports.sql): a city's summary read 144,000 unit-month rows; it now reads its own dozen and the
-- open month's unit rows. Late changes to a folded month are appended to report_subtree_month_deltas.
CREATE TABLE "report_subtree_month_deltas" (
	"unit_id" uuid NOT NULL,
	"month" date NOT NULL,
	"issued" bigint DEFAULT 0 NOT NULL,
	"deducted" bigint DEFAULT 0 NOT NULL,
	"earning_postings" integer DEFAULT 0 NOT NULL,
	"redeemed" bigint DEFAULT 0 NOT NULL,
	"redemptions" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_subtree_months" (
	"unit_id" uuid NOT NULL,
	"month" date NOT NULL,
	"issued" bigint DEFAULT 0 NOT NULL,
	"deducted" bigint DEFAULT 0 NOT NULL,
	"earning_postings" integer DEFAULT 0 NOT NULL,
	"redeemed" bigint DEFAULT 0 NOT NULL,
	"redemptions" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_subtree_months_pk" PRIMARY KEY("unit_id","month"),
	CONSTRAINT "report_subtree_months_month_chk" CHECK (extract(day from "report_subtree_months"."month") = 1)
);
--> statement-breakpoint
ALTER TABLE "report_settings" ADD COLUMN "points_folded_before" date DEFAULT '-infinity' NOT NULL;--> statement-breakpoint
CREATE INDEX "report_subtree_month_deltas_unit_idx" ON "report_subtree_month_deltas" USING btree ("unit_id","month");