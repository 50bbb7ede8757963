CREATE TABLE "event_feed" (
	"event_id" uuid PRIMARY KEY NOT NULL,
	"tx_id" bigint NOT NULL,
	"member_id" uuid,
	"seq" bigint
);
--> statement-breakpoint
-- Every event keeps its place in the feed: its number (or none yet) moves to the narrow side table.
INSERT INTO "event_feed" ("event_id", "tx_id", "member_id", "seq")
  SELECT "id", "tx_id", "member_id", "feed_seq" FROM "events";--> statement-breakpoint
DROP INDEX "events_feed_seq_idx";--> statement-breakpoint
DROP INDEX "events_unsequenced_idx";--> statement-breakpoint
DROP INDEX "events_member_feed_idx";--> statement-breakpoint
CREATE UNIQUE INDEX "event_feed_seq_idx" ON "event_feed" USING btree ("seq") WHERE "event_feed"."seq" is not null;--> statement-breakpoint
CREATE INDEX "event_feed_unnumbered_idx" ON "event_feed" USING btree ("tx_id","event_id") WHERE "event_feed"."seq" is null;--> statement-breakpoint
CREATE INDEX "event_feed_member_idx" ON "event_feed" USING btree ("member_id","seq") WHERE "event_feed"."member_id" is not null and "event_feed"."seq" is not null;--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "feed_seq";