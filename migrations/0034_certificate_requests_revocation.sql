CREATE TABLE "service_certificate_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"member_id" uuid NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"period_from" date NOT NULL,
	"period_to" date NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"requested_by" uuid NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"decline_reason" text,
	"certificate_id" uuid,
	CONSTRAINT "service_certificate_requests_status_chk" CHECK ("service_certificate_requests"."status" in ('pending','issued','declined')),
	CONSTRAINT "service_certificate_requests_period_chk" CHECK ("service_certificate_requests"."period_from" <= "service_certificate_requests"."period_to"),
	CONSTRAINT "service_certificate_requests_state_chk" CHECK (("service_certificate_requests"."status" = 'pending' and "service_certificate_requests"."decided_at" is null and "service_certificate_requests"."decided_by" is null
            and "service_certificate_requests"."decline_reason" is null and "service_certificate_requests"."certificate_id" is null)
          or ("service_certificate_requests"."status" = 'issued' and "service_certificate_requests"."decided_at" is not null and "service_certificate_requests"."decided_by" is not null
            and "service_certificate_requests"."decline_reason" is null and "service_certificate_requests"."certificate_id" is not null)
          or ("service_certificate_requests"."status" = 'declined' and "service_certificate_requests"."decided_at" is not null and "service_certificate_requests"."decided_by" is not null
            and length(btrim("service_certificate_requests"."decline_reason")) > 0 and "service_certificate_requests"."certificate_id" is null))
);
--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "identity_type" text;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "volunteer_star" text;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "issuer_person_in_charge" text;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "issuer_contact_phone" text;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "issuer_seal_text" text;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "request_id" uuid;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "revoked_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "revocation_reason" text;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD COLUMN "revoked_by" uuid;--> statement-breakpoint
ALTER TABLE "service_certificate_requests" ADD CONSTRAINT "service_certificate_requests_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificate_requests" ADD CONSTRAINT "service_certificate_requests_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificate_requests" ADD CONSTRAINT "service_certificate_requests_requested_by_users_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificate_requests" ADD CONSTRAINT "service_certificate_requests_decided_by_users_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificate_requests" ADD CONSTRAINT "service_certificate_requests_certificate_id_service_certificates_id_fk" FOREIGN KEY ("certificate_id") REFERENCES "public"."service_certificates"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "service_certificate_requests_unit_idx" ON "service_certificate_requests" USING btree ("org_unit_id","requested_at");--> statement-breakpoint
CREATE INDEX "service_certificate_requests_member_idx" ON "service_certificate_requests" USING btree ("member_id","requested_at");--> statement-breakpoint
CREATE UNIQUE INDEX "service_certificate_requests_pending_uq" ON "service_certificate_requests" USING btree ("member_id","org_unit_id") WHERE "service_certificate_requests"."status" = 'pending';--> statement-breakpoint
ALTER TABLE "service_certificates" ADD CONSTRAINT "service_certificates_request_id_service_certificate_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."service_certificate_requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_certificates" ADD CONSTRAINT "service_certificates_revoked_by_users_id_fk" FOREIGN KEY ("revoked_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "service_certificates_request_uq" ON "service_certificates" USING btree ("request_id");--> statement-breakpoint
ALTER TABLE "service_certificates" ADD CONSTRAINT "service_certificates_revoked_chk" CHECK (("service_certificates"."revoked_at" is null) = ("service_certificates"."revocation_reason" is null)
          and ("service_certificates"."revoked_at" is null) = ("service_certificates"."revoked_by" is null)
          and ("service_certificates"."revocation_reason" is null or length(btrim("service_certificates"."revocation_reason")) > 0));