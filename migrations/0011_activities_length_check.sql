-- "0 < hours <= the activity's length" as CHECK constraints rather than only a trigger: the activity's
-- length is a stored generated column, each participation carries a copy of it under a foreign key to
-- (activity id, length), so the copy cannot differ from the truth, and a CHECK compares the hours to it.
ALTER TABLE "activities" ADD COLUMN "length_cents" bigint GENERATED ALWAYS AS (floor(extract(epoch from (ends_at - starts_at)) / 36)::bigint) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "activities" ADD CONSTRAINT "activities_id_length_uq" UNIQUE("id","length_cents");--> statement-breakpoint
ALTER TABLE "activity_participants" ADD COLUMN "activity_length_cents" bigint;--> statement-breakpoint
-- Backfill with the guard off (it refuses any write to a verified activity's hours); the old trigger
-- already held hours to the length, so the CHECK below holds for every existing row.
ALTER TABLE "activity_participants" DISABLE TRIGGER "activity_participants_guard";--> statement-breakpoint
UPDATE "activity_participants" p SET "activity_length_cents" = a."length_cents" FROM "activities" a WHERE a."id" = p."activity_id";--> statement-breakpoint
ALTER TABLE "activity_participants" ENABLE TRIGGER "activity_participants_guard";--> statement-breakpoint
ALTER TABLE "activity_participants" ALTER COLUMN "activity_length_cents" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_length_fk" FOREIGN KEY ("activity_id","activity_length_cents") REFERENCES "public"."activities"("id","length_cents") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity_participants" ADD CONSTRAINT "activity_participants_length_chk" CHECK ("activity_participants"."hours_cents" <= "activity_participants"."activity_length_cents");--> statement-breakpoint
-- The guard now fills in the length (callers need not know it) and keeps refusing writes once verified.
CREATE OR REPLACE FUNCTION activity_participants_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a record;
BEGIN
  SELECT status, length_cents INTO a FROM activities
   WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.activity_id ELSE NEW.activity_id END FOR SHARE;
  IF a.status = 'verified' THEN
    RAISE EXCEPTION 'the activity is verified: its hours are final (% refused)', TG_OP
      USING ERRCODE = '23514', CONSTRAINT = 'activity_participants_verified_chk';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' AND (NEW.activity_id <> OLD.activity_id OR NEW.member_id <> OLD.member_id) THEN
    RAISE EXCEPTION 'a participation never moves to another activity or member' USING ERRCODE = '55000';
  END IF;
  NEW.activity_length_cents := a.length_cents;
  RETURN NEW;
END;
$$;
