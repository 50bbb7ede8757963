CREATE TABLE "report_unit_months" (
	"org_unit_id" uuid NOT NULL,
	"month" date NOT NULL,
	"issued" bigint DEFAULT 0 NOT NULL,
	"deducted" bigint DEFAULT 0 NOT NULL,
	"earning_postings" integer DEFAULT 0 NOT NULL,
	"redeemed" bigint DEFAULT 0 NOT NULL,
	"redemptions" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_unit_months_org_unit_id_month_pk" PRIMARY KEY("org_unit_id","month"),
	CONSTRAINT "report_unit_months_month_chk" CHECK (extract(day from "report_unit_months"."month") = 1)
);
--> statement-breakpoint
ALTER TABLE "report_unit_months" ADD CONSTRAINT "report_unit_months_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;