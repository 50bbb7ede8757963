DROP INDEX "events_tx_idx";--> statement-breakpoint
DROP INDEX "events_member_idx";--> statement-breakpoint
ALTER TABLE "event_dispatch_state" ADD COLUMN "last_seq" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "feed_seq" bigint;--> statement-breakpoint
CREATE UNIQUE INDEX "events_feed_seq_idx" ON "events" USING btree ("feed_seq");--> statement-breakpoint
CREATE INDEX "events_unsequenced_idx" ON "events" USING btree ("tx_id","id") WHERE "events"."feed_seq" is null;--> statement-breakpoint
CREATE INDEX "events_member_feed_idx" ON "events" USING btree ("member_id","feed_seq") WHERE "events"."member_id" is not null;