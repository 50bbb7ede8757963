ALTER TABLE "members" ADD COLUMN "identity_type" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "identity_sealed" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "identity_hash" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "identity_masked" text;--> statement-breakpoint
CREATE INDEX "members_identity_hash_idx" ON "members" USING btree ("identity_hash") WHERE "members"."identity_hash" is not null;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_identity_chk" CHECK (("members"."identity_type" is null) = ("members"."identity_sealed" is null)
          and ("members"."identity_type" is null) = ("members"."identity_hash" is null)
          and ("members"."identity_type" is null) = ("members"."identity_masked" is null));--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_identity_type_chk" CHECK ("members"."identity_type" is null or "members"."identity_type" in
          ('resident_id','passport','hk_macao_permit','taiwan_permit','foreign_permanent_residence'));--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_identity_sealed_chk" CHECK ("members"."identity_sealed" is null or "members"."identity_sealed" like 'pii1.%');