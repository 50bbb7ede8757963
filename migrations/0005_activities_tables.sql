CREATE TABLE "activities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"team_id" uuid,
	"title" text NOT NULL,
	"rubric_item_code" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"location" text,
	"status" text DEFAULT 'open' NOT NULL,
	"verified_at" timestamp with time zone,
	"verified_by" uuid,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activities_period_chk" CHECK ("activities"."ends_at" > "activities"."starts_at"),
	CONSTRAINT "activities_status_chk" CHECK ("activities"."status" in ('open','verified')),
	CONSTRAINT "activities_verified_chk" CHECK (("activities"."status" = 'verified') = ("activities"."verified_at" is not null and "activities"."verified_by" is not null)),
	CONSTRAINT "activities_title_chk" CHECK (length("activities"."title") between 1 and 200)
);
--> statement-breakpoint
CREATE TABLE "activity_participants" (
	"activity_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"hours_cents" bigint NOT NULL,
	"recorded_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "activity_participants_activity_id_member_id_pk" PRIMARY KEY("activity_id","member_id"),
	CONSTRAINT "activity_participants_hours_chk" CHECK ("activity_participants"."hours_cents" > 0)
);
--> statement-breakpoint
CREATE TABLE "service_certificate_serials" (
	"org_unit_id" uuid NOT NULL,
	"year" integer NOT NULL,
	"last_seq" integer NOT NULL,
	CONSTRAINT "service_certificate_serials_org_unit_id_year_pk" PRIMARY KEY("org_unit_id","year")
);
--> statement-breakpoint
CREATE TABLE "service_certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"member_id" uuid NOT NULL,
	"issuer_org_unit_id" uuid NOT NULL,
	"serial_year" integer NOT NULL,
	"serial_seq" integer NOT NULL,
	"serial_number" text NOT NULL,
	"verification_code" text NOT NULL,
	"period_from" date NOT NULL,
	"period_to" date NOT NULL,
	"member_name" text NOT NULL,
	"masked_identity" text,
	"total_hours_cents" bigint NOT NULL,
	"records" jsonb NOT NULL,
	"issuer_name" text NOT NULL,
	"issued_by" uuid NOT NULL,
	"issued_by_name" text NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_certificates_period_chk" CHECK ("service_certificates"."period_from" <= "service_certificates"."period_to"),
	CONSTRAINT "service_certificates_total_chk" CHECK ("service_certificates"."total_hours_cents" >= 0),
	CONSTRAINT "service_certificates_code_chk" CHECK (length("service_certificates"."verification_code") >= 20),
	CONSTRAINT "service_certificates_seq_chk" CHECK ("service_certificates"."serial_seq" > 0)
);
--> statement-breakpoint
CREATE TABLE "service_request_declines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"request_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"requester_name" text NOT NULL,
	"requester_contact" text,
	"title" text NOT NULL,
	"description" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"member_id" uuid,
	"dispatched_at" timestamp with time zone,
	"dispatched_by" uuid,
	"accepted_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"hours_cents" bigint,
	"completion_note" text,
	"confirmed_at" timestamp with time zone,
	"confirmed_by" uuid,
	"rating" integer,
	"feedback" text,
	"cancelled_at" timestamp with time zone,
	"cancelled_by" uuid,
	"cancel_reason" text,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_requests_status_chk" CHECK ("service_requests"."status" in ('open','dispatched','accepted','completed','confirmed','cancelled')),
	CONSTRAINT "service_requests_member_chk" CHECK ("service_requests"."status" not in ('dispatched','accepted','completed','confirmed') or "service_requests"."member_id" is not null),
	CONSTRAINT "service_requests_open_chk" CHECK ("service_requests"."status" <> 'open' or ("service_requests"."member_id" is null and "service_requests"."accepted_at" is null)),
	CONSTRAINT "service_requests_completed_chk" CHECK (("service_requests"."status" in ('completed','confirmed')) = ("service_requests"."hours_cents" is not null and "service_requests"."completed_at" is not null)),
	CONSTRAINT "service_requests_confirmed_chk" CHECK (("service_requests"."status" = 'confirmed') = ("service_requests"."confirmed_at" is not null and "service_requests"."rating" is not null)),
	CONSTRAINT "service_requests_cancelled_chk" CHECK (("service_requests"."status" = 'cancelled') = ("service_requests"."cancelled_at" is not null)),
	CONSTRAINT "service_requests_hours_chk" CHECK ("service_requests"."hours_cents" is null or "service_requests"."hours_cents" between 1 and 2400),
	CONSTRAINT "service_requests_rating_chk" CHECK ("service_requests"."rating" is null or "service_requests"."rating" between 1 and 5)
);
--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_team_id_teams_id_fk" FOREIGN KEY ("team_id") REFERENCES "public"."teams"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_verified_by_users_id_fk" FOREIGN KEY ("verified_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_activity_id_activities_id_fk" FOREIGN KEY ("activity_id") REFERENCES "public"."activities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_recorded_by_users_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificate_serials" ADD CONSTRAINT "service_certificate_serials_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD CONSTRAINT "service_certificates_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD CONSTRAINT "service_certificates_issuer_org_unit_id_org_units_id_fk" FOREIGN KEY ("issuer_org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD CONSTRAINT "service_certificates_issued_by_users_id_fk" FOREIGN KEY ("issued_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_request_declines" ADD CONSTRAINT "service_request_declines_request_id_service_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."service_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_request_declines" ADD CONSTRAINT "service_request_declines_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_dispatched_by_users_id_fk" FOREIGN KEY ("dispatched_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_confirmed_by_users_id_fk" FOREIGN KEY ("confirmed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_cancelled_by_users_id_fk" FOREIGN KEY ("cancelled_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_requests" ADD CONSTRAINT "service_requests_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activities_unit_starts_idx" ON "activities" USING btree ("org_unit_id","starts_at","id");--> statement-breakpoint
CREATE INDEX "activity_participants_member_idx" ON "activity_participants" USING btree ("member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "service_certificates_serial_uq" ON "service_certificates" USING btree ("issuer_org_unit_id","serial_year","serial_seq");--> statement-breakpoint
CREATE UNIQUE INDEX "service_certificates_code_uq" ON "service_certificates" USING btree ("verification_code");--> statement-breakpoint
CREATE INDEX "service_certificates_member_idx" ON "service_certificates" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "service_request_declines_request_idx" ON "service_request_declines" USING btree ("request_id","created_at");--> statement-breakpoint
CREATE INDEX "service_requests_unit_idx" ON "service_requests" USING btree ("org_unit_id","created_at","id");--> statement-breakpoint
CREATE INDEX "service_requests_member_idx" ON "service_requests" USING btree ("member_id","status");