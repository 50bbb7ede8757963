CREATE TABLE "rubric_items" (
	"rubric_id" uuid NOT NULL,
	"code" text NOT NULL,
	"position" integer NOT NULL,
	"name" text NOT NULL,
	"name_en" text,
	"kind" text NOT NULL,
	"unit" text NOT NULL,
	"points_per_unit" bigint NOT NULL,
	"max_per_claim" bigint NOT NULL,
	"cap_per_year" bigint NOT NULL,
	CONSTRAINT "rubric_items_rubric_id_code_pk" PRIMARY KEY("rubric_id","code"),
	CONSTRAINT "rubric_items_kind_chk" CHECK ("rubric_items"."kind" in ('award','deduction')),
	CONSTRAINT "rubric_items_unit_chk" CHECK ("rubric_items"."unit" in ('hour','occurrence','fixed')),
	CONSTRAINT "rubric_items_points_chk" CHECK ("rubric_items"."points_per_unit" > 0),
	CONSTRAINT "rubric_items_max_chk" CHECK ("rubric_items"."max_per_claim" >= "rubric_items"."points_per_unit"),
	CONSTRAINT "rubric_items_cap_chk" CHECK ("rubric_items"."cap_per_year" >= "rubric_items"."max_per_claim")
);
--> statement-breakpoint
CREATE TABLE "rubrics" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"year" integer NOT NULL,
	"name" text NOT NULL,
	"status" text DEFAULT 'draft' NOT NULL,
	"copied_from_rubric_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	CONSTRAINT "rubrics_status_chk" CHECK ("rubrics"."status" in ('draft','active')),
	CONSTRAINT "rubrics_year_chk" CHECK ("rubrics"."year" between 2000 and 2100),
	CONSTRAINT "rubrics_active_at_chk" CHECK (("rubrics"."status" = 'active') = ("rubrics"."activated_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "claim_evidence" (
	"claim_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"item_code" text NOT NULL,
	"ref_kind" text NOT NULL,
	"ref_id" uuid NOT NULL,
	CONSTRAINT "claim_evidence_claim_id_ref_kind_ref_id_pk" PRIMARY KEY("claim_id","ref_kind","ref_id"),
	CONSTRAINT "claim_evidence_kind_chk" CHECK ("claim_evidence"."ref_kind" in ('activity','service_request'))
);
--> statement-breakpoint
CREATE TABLE "claim_scores" (
	"claim_id" uuid NOT NULL,
	"attempt" integer NOT NULL,
	"panelist_user_id" uuid NOT NULL,
	"time" smallint NOT NULL,
	"content" smallint NOT NULL,
	"quality" smallint NOT NULL,
	"points" bigint NOT NULL,
	"comment" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claim_scores_claim_id_attempt_panelist_user_id_pk" PRIMARY KEY("claim_id","attempt","panelist_user_id"),
	CONSTRAINT "claim_scores_time_chk" CHECK ("claim_scores"."time" between 0 and 5),
	CONSTRAINT "claim_scores_content_chk" CHECK ("claim_scores"."content" between 0 and 5),
	CONSTRAINT "claim_scores_quality_chk" CHECK ("claim_scores"."quality" between 0 and 5)
);
--> statement-breakpoint
CREATE TABLE "claims" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"member_id" uuid NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"rubric_id" uuid NOT NULL,
	"item_code" text NOT NULL,
	"kind" text NOT NULL,
	"occurred_on" date NOT NULL,
	"quantity" bigint NOT NULL,
	"ceiling" bigint NOT NULL,
	"description" text NOT NULL,
	"evidence" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"source" text DEFAULT 'manual' NOT NULL,
	"status" text DEFAULT 'submitted' NOT NULL,
	"round_id" uuid,
	"attempt" integer DEFAULT 1 NOT NULL,
	"result" bigint,
	"spread" bigint,
	"divergent" boolean,
	"awarded" bigint,
	"capped_amount" bigint,
	"cap_reason" text,
	"ledger_transaction_id" uuid,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "claims_status_chk" CHECK ("claims"."status" in ('submitted','scoring','scored','posted','withdrawn')),
	CONSTRAINT "claims_kind_chk" CHECK ("claims"."kind" in ('award','deduction')),
	CONSTRAINT "claims_source_chk" CHECK ("claims"."source" in ('manual','activity','service_request')),
	CONSTRAINT "claims_quantity_chk" CHECK ("claims"."quantity" > 0),
	CONSTRAINT "claims_ceiling_sign_chk" CHECK (("claims"."kind" = 'award' and "claims"."ceiling" > 0) or ("claims"."kind" = 'deduction' and "claims"."ceiling" < 0)),
	CONSTRAINT "claims_result_range_chk" CHECK ("claims"."result" is null or "claims"."result" between least(0, "claims"."ceiling") and greatest(0, "claims"."ceiling")),
	CONSTRAINT "claims_awarded_chk" CHECK ("claims"."awarded" is null or "claims"."awarded" between least(0, "claims"."result") and greatest(0, "claims"."result")),
	CONSTRAINT "claims_round_state_chk" CHECK (("claims"."status" in ('submitted','withdrawn')) = ("claims"."round_id" is null)),
	CONSTRAINT "claims_scored_chk" CHECK ("claims"."status" not in ('scored','posted') or "claims"."result" is not null),
	CONSTRAINT "claims_posted_chk" CHECK (("claims"."status" = 'posted') = ("claims"."awarded" is not null))
);
--> statement-breakpoint
CREATE TABLE "objections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"claim_id" uuid NOT NULL,
	"round_id" uuid NOT NULL,
	"member_id" uuid NOT NULL,
	"filed_by" uuid NOT NULL,
	"reason" text NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"reply" text,
	"resolved_by" uuid,
	"resolved_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "objections_status_chk" CHECK ("objections"."status" in ('open','upheld','rescore')),
	CONSTRAINT "objections_resolved_chk" CHECK (("objections"."status" = 'open') = ("objections"."resolved_at" is null))
);
--> statement-breakpoint
CREATE TABLE "round_panelists" (
	"round_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	CONSTRAINT "round_panelists_round_id_user_id_pk" PRIMARY KEY("round_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "scoring_rounds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"rubric_id" uuid NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"quorum" integer NOT NULL,
	"aggregation" text DEFAULT 'mean' NOT NULL,
	"publicity_days" integer,
	"divergence_threshold" bigint,
	"status" text DEFAULT 'scoring' NOT NULL,
	"closed_at" timestamp with time zone,
	"publicity_ends_at" timestamp with time zone,
	"finalized_at" timestamp with time zone,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "scoring_rounds_status_chk" CHECK ("scoring_rounds"."status" in ('scoring','publicity','finalized')),
	CONSTRAINT "scoring_rounds_aggregation_chk" CHECK ("scoring_rounds"."aggregation" in ('mean','median','trimmed_mean')),
	CONSTRAINT "scoring_rounds_period_chk" CHECK ("scoring_rounds"."period_start" <= "scoring_rounds"."period_end"),
	CONSTRAINT "scoring_rounds_quorum_chk" CHECK ("scoring_rounds"."quorum" >= 1),
	CONSTRAINT "scoring_rounds_publicity_chk" CHECK ("scoring_rounds"."publicity_days" is null or "scoring_rounds"."publicity_days" between 0 and 60),
	CONSTRAINT "scoring_rounds_divergence_chk" CHECK ("scoring_rounds"."divergence_threshold" is null or "scoring_rounds"."divergence_threshold" >= 0),
	CONSTRAINT "scoring_rounds_publicity_state_chk" CHECK ("scoring_rounds"."status" = 'scoring' or ("scoring_rounds"."closed_at" is not null and "scoring_rounds"."publicity_ends_at" is not null)),
	CONSTRAINT "scoring_rounds_finalized_chk" CHECK (("scoring_rounds"."status" = 'finalized') = ("scoring_rounds"."finalized_at" is not null))
);
--> statement-breakpoint
ALTER TABLE "rubric_items" ADD CONSTRAINT "rubric_items_rubric_id_rubrics_id_fk" FOREIGN KEY ("rubric_id") REFERENCES "public"."rubrics"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rubrics" ADD CONSTRAINT "rubrics_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rubrics" ADD CONSTRAINT "rubrics_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claim_evidence" ADD CONSTRAINT "claim_evidence_claim_id_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."claims"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claim_scores" ADD CONSTRAINT "claim_scores_claim_id_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."claims"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claim_scores" ADD CONSTRAINT "claim_scores_panelist_user_id_users_id_fk" FOREIGN KEY ("panelist_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_round_id_scoring_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."scoring_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_rubric_id_item_code_rubric_items_rubric_id_code_fk" FOREIGN KEY ("rubric_id","item_code") REFERENCES "public"."rubric_items"("rubric_id","code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "objections" ADD CONSTRAINT "objections_claim_id_claims_id_fk" FOREIGN KEY ("claim_id") REFERENCES "public"."claims"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "objections" ADD CONSTRAINT "objections_round_id_scoring_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."scoring_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "objections" ADD CONSTRAINT "objections_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "objections" ADD CONSTRAINT "objections_filed_by_users_id_fk" FOREIGN KEY ("filed_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "objections" ADD CONSTRAINT "objections_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "round_panelists" ADD CONSTRAINT "round_panelists_round_id_scoring_rounds_id_fk" FOREIGN KEY ("round_id") REFERENCES "public"."scoring_rounds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "round_panelists" ADD CONSTRAINT "round_panelists_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_rounds" ADD CONSTRAINT "scoring_rounds_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_rounds" ADD CONSTRAINT "scoring_rounds_rubric_id_rubrics_id_fk" FOREIGN KEY ("rubric_id") REFERENCES "public"."rubrics"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scoring_rounds" ADD CONSTRAINT "scoring_rounds_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "rubrics_unit_year_idx" ON "rubrics" USING btree ("org_unit_id","year");--> statement-breakpoint
CREATE UNIQUE INDEX "rubrics_one_active_uq" ON "rubrics" USING btree ("org_unit_id","year") WHERE "rubrics"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "claim_evidence_once_uq" ON "claim_evidence" USING btree ("member_id","item_code","ref_kind","ref_id");--> statement-breakpoint
CREATE INDEX "claims_member_idx" ON "claims" USING btree ("member_id","created_at");--> statement-breakpoint
CREATE INDEX "claims_unit_idx" ON "claims" USING btree ("org_unit_id","created_at");--> statement-breakpoint
CREATE INDEX "claims_round_idx" ON "claims" USING btree ("round_id");--> statement-breakpoint
CREATE INDEX "claims_pending_idx" ON "claims" USING btree ("rubric_id","occurred_on") WHERE "claims"."status" = 'submitted';--> statement-breakpoint
CREATE INDEX "objections_claim_idx" ON "objections" USING btree ("claim_id");--> statement-breakpoint
CREATE INDEX "objections_open_idx" ON "objections" USING btree ("round_id") WHERE "objections"."status" = 'open';--> statement-breakpoint
CREATE INDEX "round_panelists_user_idx" ON "round_panelists" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "scoring_rounds_unit_idx" ON "scoring_rounds" USING btree ("org_unit_id","created_at");