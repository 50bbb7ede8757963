-- A reward is kept by a community office (社区): the service says so with 400, and the database refuses a
-- reward on any other kind of unit too, so no other write path can put a catalogue on a branch or a street.
CREATE OR REPLACE FUNCTION rewards_unit_is_community() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM org_units WHERE id = NEW.org_unit_id AND kind = 'community') THEN
    RAISE EXCEPTION 'a reward belongs to a community unit' USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER rewards_unit_is_community
  BEFORE INSERT OR UPDATE OF org_unit_id ON rewards
  FOR EACH ROW EXECUTE FUNCTION rewards_unit_is_community();
