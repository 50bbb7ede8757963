CREATE TABLE "activity_check_ins" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"activity_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"checked_in_at" timestamp with time zone NOT NULL,
	"check_in_method" text NOT NULL,
	"checked_in_by" uuid NOT NULL,
	"check_in_reason" text,
	"checked_out_at" timestamp with time zone,
	"check_out_method" text,
	"checked_out_by" uuid,
	"check_out_reason" text,
	"hours_cents" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activity_check_ins_in_method_chk" CHECK ("activity_check_ins"."check_in_method" in ('code','staff')),
	CONSTRAINT "activity_check_ins_out_chk" CHECK (("activity_check_ins"."checked_out_at" is null) = ("activity_check_ins"."check_out_method" is null) and ("activity_check_ins"."checked_out_at" is null) = ("activity_check_ins"."hours_cents" is null)),
	CONSTRAINT "activity_check_ins_period_chk" CHECK ("activity_check_ins"."checked_out_at" is null or "activity_check_ins"."checked_out_at" >= "activity_check_ins"."checked_in_at"),
	CONSTRAINT "activity_check_ins_hours_chk" CHECK ("activity_check_ins"."hours_cents" is null or "activity_check_ins"."hours_cents" >= 0),
	CONSTRAINT "activity_check_ins_reason_chk" CHECK (("activity_check_ins"."check_in_method" <> 'staff' or "activity_check_ins"."check_in_reason" is not null) and ("activity_check_ins"."check_out_method" is distinct from 'staff' or "activity_check_ins"."check_out_reason" is not null))
);
--> statement-breakpoint
CREATE TABLE "activity_hours_corrections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"activity_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"previous_hours_cents" bigint NOT NULL,
	"hours_cents" bigint NOT NULL,
	"reason" text NOT NULL,
	"corrected_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activity_hours_corrections_hours_chk" CHECK ("activity_hours_corrections"."hours_cents" >= 0),
	CONSTRAINT "activity_hours_corrections_reason_chk" CHECK (length("activity_hours_corrections"."reason") between 1 and 500)
);
--> statement-breakpoint
CREATE TABLE "activity_sign_ups" (
	"activity_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"status" text NOT NULL,
	"queued_at" timestamp with time zone DEFAULT now() NOT NULL,
	"signed_up_by" uuid NOT NULL,
	"confirmed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	"cancelled_by" uuid,
	"cancel_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activity_sign_ups_activity_id_member_id_pk" PRIMARY KEY("activity_id","member_id"),
	CONSTRAINT "activity_sign_ups_status_chk" CHECK ("activity_sign_ups"."status" in ('confirmed','waitlisted','cancelled')),
	CONSTRAINT "activity_sign_ups_confirmed_chk" CHECK ("activity_sign_ups"."status" <> 'confirmed' or "activity_sign_ups"."confirmed_at" is not null),
	CONSTRAINT "activity_sign_ups_cancelled_chk" CHECK (("activity_sign_ups"."status" = 'cancelled') = ("activity_sign_ups"."cancelled_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "resident_invitations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"code_hash" text NOT NULL,
	"max_uses" integer NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "resident_invitations_uses_chk" CHECK ("resident_invitations"."uses" >= 0 and "resident_invitations"."uses" <= "resident_invitations"."max_uses"),
	CONSTRAINT "resident_invitations_max_chk" CHECK ("resident_invitations"."max_uses" between 1 and 10000)
);
--> statement-breakpoint
CREATE TABLE "residents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"name" text NOT NULL,
	"phone" text,
	"invitation_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "residents_name_chk" CHECK (length("residents"."name") between 1 and 100)
);
--> statement-breakpoint
ALTER TABLE "service_requests" DROP CONSTRAINT "service_requests_status_chk";--> statement-breakpoint
ALTER TABLE "service_requests" DROP CONSTRAINT "service_requests_member_chk";--> statement-breakpoint
ALTER TABLE "service_requests" DROP CONSTRAINT "service_requests_open_chk";--> statement-breakpoint
ALTER TABLE "role_grants" DROP CONSTRAINT "role_grants_role_chk";--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "capacity" integer;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "sign_up_opens_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "sign_up_closes_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "visibility" text DEFAULT 'subtree' NOT NULL;--> statement-breakpoint
ALTER TABLE "activities" ADD COLUMN "confirmed_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "service_requests" ADD COLUMN "resident_id" uuid;--> statement-breakpoint
ALTER TABLE "service_requests" ADD COLUMN "kind" text DEFAULT 'service' NOT NULL;--> statement-breakpoint
ALTER TABLE "service_requests" ADD COLUMN "team_id" uuid;--> statement-breakpoint
ALTER TABLE "service_requests" ADD COLUMN "published_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "service_requests" ADD COLUMN "published_by" uuid;--> statement-breakpoint
ALTER TABLE "users" ADD COLUMN "resident_id" uuid;--> statement-breakpoint
ALTER TABLE "claims" ADD COLUMN "batch_id" uuid;--> statement-breakpoint
ALTER TABLE "activity_check_ins" ADD CONSTRAINT "activity_check_ins_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_check_ins" ADD CONSTRAINT "activity_check_ins_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_check_ins" ADD CONSTRAINT "activity_check_ins_checked_in_by_users_id_fk" FOREIGN KEY ("checked_in_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_check_ins" ADD CONSTRAINT "activity_check_ins_checked_out_by_users_id_fk" FOREIGN KEY ("checked_out_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_hours_corrections" ADD CONSTRAINT "activity_hours_corrections_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_hours_corrections" ADD CONSTRAINT "activity_hours_corrections_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_hours_corrections" ADD CONSTRAINT "activity_hours_corrections_corrected_by_users_id_fk" FOREIGN KEY ("corrected_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_hours_corrections" ADD CONSTRAINT "activity_hours_corrections_participant_fk" FOREIGN KEY ("activity_id","member_id") REFERENCES "public"."activity_participants"("activity_id","member_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_sign_ups" ADD CONSTRAINT "activity_sign_ups_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_sign_ups" ADD CONSTRAINT "activity_sign_ups_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_sign_ups" ADD CONSTRAINT "activity_sign_ups_signed_up_by_users_id_fk" FOREIGN KEY ("signed_up_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_sign_ups" ADD CONSTRAINT "activity_sign_ups_cancelled_by_users_id_fk" FOREIGN KEY ("cancelled_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_invitations" ADD CONSTRAINT "resident_invitations_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "resident_invitations" ADD CONSTRAINT "resident_invitations_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "residents" ADD CONSTRAINT "residents_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "residents" ADD CONSTRAINT "residents_invitation_id_resident_invitations_id_fk" FOREIGN KEY ("invitation_id") REFERENCES "public"."resident_invitations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "residents" ADD CONSTRAINT "residents_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "activity_check_ins_open_uq" ON "activity_check_ins" USING btree ("activity_id","member_id") WHERE "activity_check_ins"."checked_out_at" is null;--> statement-breakpoint
CREATE INDEX "activity_check_ins_member_idx" ON "activity_check_ins" USING btree ("member_id","checked_in_at");--> statement-breakpoint
CREATE INDEX "activity_check_ins_activity_idx" ON "activity_check_ins" USING btree ("activity_id","checked_in_at");--> statement-breakpoint
CREATE INDEX "activity_hours_corrections_idx" ON "activity_hours_corrections" USING btree ("activity_id","member_id","created_at");--> statement-breakpoint
CREATE INDEX "activity_hours_corrections_member_idx" ON "activity_hours_corrections" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "activity_sign_ups_member_idx" ON "activity_sign_ups" USING btree ("member_id","created_at");--> statement-breakpoint
CREATE INDEX "activity_sign_ups_waitlist_idx" ON "activity_sign_ups" USING btree ("activity_id","queued_at","member_id") WHERE "activity_sign_ups"."status" = 'waitlisted';--> statement-breakpoint
CREATE UNIQUE INDEX "resident_invitations_code_uq" ON "resident_invitations" USING btree ("code_hash");--> statement-breakpoint
CREATE INDEX "resident_invitations_unit_idx" ON "resident_invitations" USING btree ("org_unit_id","created_at");--> statement-breakpoint
CREATE INDEX "residents_unit_idx" ON "residents" USING btree ("org_unit_id","name","id");--> statement-breakpoint
CREATE INDEX "residents_phone_idx" ON "residents" USING btree ("org_unit_id","phone") WHERE "residents"."phone" is not null;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_resident_id_residents_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."residents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_published_by_users_id_fk" FOREIGN KEY ("published_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_resident_id_residents_id_fk" FOREIGN KEY ("resident_id") REFERENCES "public"."residents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "service_requests_resident_idx" ON "service_requests" USING btree ("resident_id","created_at") WHERE "service_requests"."resident_id" is not null;--> statement-breakpoint
CREATE INDEX "service_requests_board_idx" ON "service_requests" USING btree ("org_unit_id","published_at") WHERE "service_requests"."status" = 'published';--> statement-breakpoint
CREATE INDEX "claims_batch_idx" ON "claims" USING btree ("batch_id") WHERE "claims"."batch_id" is not null;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_residentId_unique" UNIQUE("resident_id");--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_capacity_chk" CHECK ("activities"."capacity" is null or "activities"."capacity" between 1 and 100000);--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_confirmed_chk" CHECK ("activities"."confirmed_count" >= 0 and ("activities"."capacity" is null or "activities"."confirmed_count" <= "activities"."capacity"));--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_sign_up_window_chk" CHECK ("activities"."sign_up_opens_at" is null or "activities"."sign_up_closes_at" is null or "activities"."sign_up_closes_at" > "activities"."sign_up_opens_at");--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_visibility_chk" CHECK ("activities"."visibility" in ('subtree','subtree_and_registered'));--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_dispatched_chk" CHECK ("service_requests"."status" <> 'dispatched' or (("service_requests"."member_id" is null) <> ("service_requests"."team_id" is null)));--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_published_chk" CHECK ("service_requests"."status" <> 'published' or "service_requests"."published_at" is not null);--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_kind_chk" CHECK ("service_requests"."kind" in ('service','wish'));--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_status_chk" CHECK ("service_requests"."status" in ('open','published','dispatched','accepted','completed','confirmed','cancelled'));--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_member_chk" CHECK ("service_requests"."status" not in ('accepted','completed','confirmed') or "service_requests"."member_id" is not null);--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_open_chk" CHECK ("service_requests"."status" not in ('open','published') or ("service_requests"."member_id" is null and "service_requests"."accepted_at" is null));--> statement-breakpoint
ALTER TABLE "role_grants" ADD CONSTRAINT "role_grants_role_chk" CHECK ("role_grants"."role" in ('admin','secretary','panelist','grid_worker','clerk','member','resident'));--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_member_or_resident_chk" CHECK ("users"."member_id" is null or "users"."resident_id" is null);