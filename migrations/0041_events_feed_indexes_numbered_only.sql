DROP INDEX "events_feed_seq_idx";--> statement-breakpoint
DROP INDEX "events_member_feed_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "events_feed_seq_idx" ON "events" USING btree ("feed_seq") WHERE "events"."feed_seq" is not null;--> statement-breakpoint
CREATE INDEX "events_member_feed_idx" ON "events" USING btree ("member_id","feed_seq") WHERE "events"."member_id" is not null and "events"."feed_seq" is not null;