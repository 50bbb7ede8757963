-- "0 < hours <= the activity's length" as CHECK constraints rather than only a trigger: the activity's
-- length is a stored generated column, each participation carries a copy of it under a foreign key to
-- (activity id, length), so the copy cannot differ from the truth, and a CHECK compares the hours to it.
ALTER TABLE "activities" ADD COLUMN "length_cents" bigint GENERATED ALWAYS AS (floor(extract(epoch from (ends_at - starts_at)) / 36)::bigint) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_id_length_uq" UNIQUE("id","length_cents");--> statement-breakpoint
ALTER TABLE "activity_participants" ADD COLUMN "activity_length_cents" bigint;--> statement-breakpoint
-- Backfill. (It ran with the guard activity_participants_guard off, since the guard refuses any write to a
-- verified activity's hours; the guard now lives in src/db/sql/activities.sql and is created after the
-- migrations, so a new database has none here and existing ones ran this long ago.) The old trigger
-- already held hours to the length, so the CHECK below holds for every existing row.
UPDATE "activity_participants" p SET "activity_length_cents" = a."length_cents" FROM "activities" a WHERE a."id" = p."activity_id";--> statement-breakpoint
ALTER TABLE "activity_participants" ALTER COLUMN "activity_length_cents" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_length_fk" FOREIGN KEY ("activity_id","activity_length_cents") REFERENCES "public"."activities"("id","length_cents") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_length_chk" CHECK ("activity_participants"."hours_cents" <= "activity_participants"."activity_length_cents");