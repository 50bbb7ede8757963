CREATE TABLE "redemptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"member_id" uuid NOT NULL,
	"reward_id" uuid NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"quantity" integer NOT NULL,
	"points_cost" bigint NOT NULL,
	"amount" bigint NOT NULL,
	"status" text DEFAULT 'reserved' NOT NULL,
	"hold_id" text,
	"capture_transaction_id" text,
	"release_transaction_id" text,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"fulfilled_at" timestamp with time zone,
	"fulfilled_by" uuid,
	"cancelled_at" timestamp with time zone,
	"cancelled_by" uuid,
	"cancel_reason" text,
	"expired_at" timestamp with time zone,
	CONSTRAINT "redemptions_status_chk" CHECK ("redemptions"."status" in ('reserved','fulfilled','cancelled','expired')),
	CONSTRAINT "redemptions_quantity_chk" CHECK ("redemptions"."quantity" > 0),
	CONSTRAINT "redemptions_amount_chk" CHECK ("redemptions"."points_cost" > 0 and "redemptions"."amount" = "redemptions"."points_cost" * "redemptions"."quantity"),
	CONSTRAINT "redemptions_timestamps_chk" CHECK (("redemptions"."status" = 'fulfilled') = ("redemptions"."fulfilled_at" is not null)
          and ("redemptions"."status" = 'cancelled') = ("redemptions"."cancelled_at" is not null)
          and ("redemptions"."status" = 'expired') = ("redemptions"."expired_at" is not null))
);
--> statement-breakpoint
CREATE TABLE "reward_stock_movements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reward_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"quantity" integer NOT NULL,
	"redemption_id" uuid,
	"note" text,
	"actor_user_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "reward_stock_movements_kind_chk" CHECK ("reward_stock_movements"."kind" in ('received','reserved','handed_out','released','written_off')),
	CONSTRAINT "reward_stock_movements_quantity_chk" CHECK ("reward_stock_movements"."quantity" > 0),
	CONSTRAINT "reward_stock_movements_redemption_chk" CHECK (("reward_stock_movements"."kind" in ('reserved','handed_out','released')) = ("reward_stock_movements"."redemption_id" is not null)),
	CONSTRAINT "reward_stock_movements_reason_chk" CHECK ("reward_stock_movements"."kind" <> 'written_off' or length(btrim(coalesce("reward_stock_movements"."note", ''))) > 0)
);
--> statement-breakpoint
CREATE TABLE "rewards" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_unit_id" uuid NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"points_cost" bigint NOT NULL,
	"per_member_limit" integer,
	"active" boolean DEFAULT true NOT NULL,
	"stock_received" integer DEFAULT 0 NOT NULL,
	"stock_handed_out" integer DEFAULT 0 NOT NULL,
	"stock_written_off" integer DEFAULT 0 NOT NULL,
	"stock_on_hand" integer DEFAULT 0 NOT NULL,
	"stock_reserved" integer DEFAULT 0 NOT NULL,
	"stock_available" integer DEFAULT 0 NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rewards_points_cost_chk" CHECK ("rewards"."points_cost" > 0),
	CONSTRAINT "rewards_limit_chk" CHECK ("rewards"."per_member_limit" is null or "rewards"."per_member_limit" > 0),
	CONSTRAINT "rewards_name_chk" CHECK (length(btrim("rewards"."name")) > 0),
	CONSTRAINT "rewards_stock_nonneg_chk" CHECK ("rewards"."stock_received" >= 0 and "rewards"."stock_handed_out" >= 0 and "rewards"."stock_written_off" >= 0
          and "rewards"."stock_on_hand" >= 0 and "rewards"."stock_reserved" >= 0 and "rewards"."stock_available" >= 0),
	CONSTRAINT "rewards_stock_on_hand_chk" CHECK ("rewards"."stock_on_hand" = "rewards"."stock_received" - "rewards"."stock_handed_out" - "rewards"."stock_written_off"),
	CONSTRAINT "rewards_stock_available_chk" CHECK ("rewards"."stock_available" = "rewards"."stock_on_hand" - "rewards"."stock_reserved")
);
--> statement-breakpoint
ALTER TABLE "redemptions" ADD CONSTRAINT "redemptions_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redemptions" ADD CONSTRAINT "redemptions_reward_id_rewards_id_fk" FOREIGN KEY ("reward_id") REFERENCES "public"."rewards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redemptions" ADD CONSTRAINT "redemptions_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redemptions" ADD CONSTRAINT "redemptions_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redemptions" ADD CONSTRAINT "redemptions_fulfilled_by_users_id_fk" FOREIGN KEY ("fulfilled_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "redemptions" ADD CONSTRAINT "redemptions_cancelled_by_users_id_fk" FOREIGN KEY ("cancelled_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_stock_movements" ADD CONSTRAINT "reward_stock_movements_reward_id_rewards_id_fk" FOREIGN KEY ("reward_id") REFERENCES "public"."rewards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_stock_movements" ADD CONSTRAINT "reward_stock_movements_redemption_id_redemptions_id_fk" FOREIGN KEY ("redemption_id") REFERENCES "public"."redemptions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reward_stock_movements" ADD CONSTRAINT "reward_stock_movements_actor_user_id_users_id_fk" FOREIGN KEY ("actor_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rewards" ADD CONSTRAINT "rewards_org_unit_id_org_units_id_fk" FOREIGN KEY ("org_unit_id") REFERENCES "public"."org_units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rewards" ADD CONSTRAINT "rewards_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "redemptions_member_reward_idx" ON "redemptions" USING btree ("member_id","reward_id","created_at");--> statement-breakpoint
CREATE INDEX "redemptions_org_unit_idx" ON "redemptions" USING btree ("org_unit_id","created_at","id");--> statement-breakpoint
CREATE INDEX "redemptions_reserved_idx" ON "redemptions" USING btree ("created_at") WHERE "redemptions"."status" = 'reserved';--> statement-breakpoint
CREATE INDEX "reward_stock_movements_reward_idx" ON "reward_stock_movements" USING btree ("reward_id","created_at","id");--> statement-breakpoint
CREATE INDEX "reward_stock_movements_redemption_idx" ON "reward_stock_movements" USING btree ("redemption_id");--> statement-breakpoint
CREATE INDEX "rewards_org_unit_idx" ON "rewards" USING btree ("org_unit_id","name","id");