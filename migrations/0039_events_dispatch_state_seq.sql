ALTER TABLE "event_dispatch_state" DROP COLUMN "tx_id";--> statement-breakpoint
ALTER TABLE "event_dispatch_state" DROP COLUMN "event_id";