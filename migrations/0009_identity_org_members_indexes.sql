DROP INDEX "org_units_parent_idx";--> statement-breakpoint
CREATE INDEX "refresh_tokens_user_idx" ON "refresh_tokens" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "members_name_idx" ON "members" USING btree ("name","id");--> statement-breakpoint
CREATE INDEX "team_members_member_idx" ON "team_members" USING btree ("member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "org_units_one_root_uq" ON "org_units" USING btree (("kind")) WHERE "org_units"."kind" = 'root';--> statement-breakpoint
CREATE INDEX "org_units_parent_idx" ON "org_units" USING btree ("parent_id","name");--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_password_hash_chk" CHECK ("users"."password_hash" like '$argon2id$%');--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_name_chk" CHECK (length(btrim("members"."name")) > 0);--> statement-breakpoint
ALTER TABLE "teams" ADD CONSTRAINT "teams_name_chk" CHECK (length(btrim("teams"."name")) > 0);