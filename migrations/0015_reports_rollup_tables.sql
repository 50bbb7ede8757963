CREATE TABLE "report_member_months" (
	"member_id" uuid NOT NULL,
	"month" date NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"issued" bigint DEFAULT 0 NOT NULL,
	"deducted" bigint DEFAULT 0 NOT NULL,
	"earning_postings" integer DEFAULT 0 NOT NULL,
	"redeemed" bigint DEFAULT 0 NOT NULL,
	"redemptions" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "report_member_months_member_id_month_pk" PRIMARY KEY("member_id","month"),
	CONSTRAINT "report_member_months_month_chk" CHECK (extract(day from "report_member_months"."month") = 1),
	CONSTRAINT "report_member_months_signs_chk" CHECK ("report_member_months"."issued" >= 0 and "report_member_months"."deducted" >= 0 and "report_member_months"."redeemed" >= 0)
);
--> statement-breakpoint
CREATE TABLE "report_settings" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"time_zone" text NOT NULL,
	CONSTRAINT "report_settings_one_row_chk" CHECK ("report_settings"."id")
);
--> statement-breakpoint
ALTER TABLE "report_member_months" ADD CONSTRAINT "report_member_months_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_member_months" ADD CONSTRAINT "report_member_months_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;