CREATE TABLE "appraisal_publications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"year" integer NOT NULL,
	"published_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "appraisal_publications_year_chk" CHECK ("appraisal_publications"."year" between 2000 and 2100)
);
--> statement-breakpoint
CREATE TABLE "appraisals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"member_id" uuid NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"year" integer NOT NULL,
	"outcome" text NOT NULL,
	"note" text,
	"reason" text,
	"points_cents" bigint NOT NULL,
	"grade" text,
	"supersedes_id" uuid,
	"recorded_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "appraisals_outcome_chk" CHECK ("appraisals"."outcome" in ('优秀','合格','基本合格','不合格')),
	CONSTRAINT "appraisals_year_chk" CHECK ("appraisals"."year" between 2000 and 2100),
	CONSTRAINT "appraisals_note_chk" CHECK ("appraisals"."note" is null or length("appraisals"."note") between 1 and 1000),
	CONSTRAINT "appraisals_reason_chk" CHECK ("appraisals"."reason" is null or length("appraisals"."reason") between 1 and 500)
);
--> statement-breakpoint
ALTER TABLE "org_units" ADD COLUMN "grades" jsonb;--> statement-breakpoint
ALTER TABLE "org_units" ADD COLUMN "volunteer_stars" jsonb;--> statement-breakpoint
ALTER TABLE "org_units" ADD COLUMN "standings_visible_to_members" boolean;--> statement-breakpoint
ALTER TABLE "org_units" ADD COLUMN "certificate_person_in_charge" text;--> statement-breakpoint
ALTER TABLE "org_units" ADD COLUMN "certificate_contact_phone" text;--> statement-breakpoint
ALTER TABLE "org_units" ADD COLUMN "certificate_seal_text" text;--> statement-breakpoint
ALTER TABLE "org_units" ADD COLUMN "objection_notice" text;--> statement-breakpoint
ALTER TABLE "appraisal_publications" ADD CONSTRAINT "appraisal_publications_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appraisal_publications" ADD CONSTRAINT "appraisal_publications_published_by_users_id_fk" FOREIGN KEY ("published_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appraisals" ADD CONSTRAINT "appraisals_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appraisals" ADD CONSTRAINT "appraisals_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appraisals" ADD CONSTRAINT "appraisals_supersedes_id_appraisals_id_fk" FOREIGN KEY ("supersedes_id") REFERENCES "public"."appraisals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "appraisals" ADD CONSTRAINT "appraisals_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "appraisal_publications_uq" ON "appraisal_publications" USING btree ("org_unit_id","year");--> statement-breakpoint
CREATE INDEX "appraisals_unit_year_idx" ON "appraisals" USING btree ("org_unit_id","year");--> statement-breakpoint
CREATE INDEX "appraisals_member_year_idx" ON "appraisals" USING btree ("member_id","year","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "appraisals_first_uq" ON "appraisals" USING btree ("member_id","year") WHERE "appraisals"."supersedes_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "appraisals_supersedes_uq" ON "appraisals" USING btree ("supersedes_id");--> statement-breakpoint
ALTER TABLE "org_units" ADD CONSTRAINT "org_units_grades_chk" CHECK ("org_units"."grades" is null or jsonb_typeof("org_units"."grades") = 'array');--> statement-breakpoint
ALTER TABLE "org_units" ADD CONSTRAINT "org_units_volunteer_stars_chk" CHECK ("org_units"."volunteer_stars" is null or jsonb_typeof("org_units"."volunteer_stars") = 'array');