-- 报名 (issue 18): activities.confirmed_count is exactly the number of the activity's confirmed sign-ups. The sign-up
-- commands (src/modules/activities/sign-ups.ts) change both in one transaction under the activity's row lock, and
-- the CHECK activities_confirmed_chk keeps the count under capacity; these constraint triggers, run at commit,
-- refuse any transaction that leaves the count and the rows apart, whatever wrote it.
CREATE OR REPLACE FUNCTION activity_confirmed_count_check(aid uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  kept integer;
  counted bigint;
BEGIN
  SELECT confirmed_count INTO kept FROM activities WHERE id = aid;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT count(*) INTO counted FROM activity_sign_ups WHERE activity_id = aid AND status = 'confirmed';
  IF kept <> counted THEN
    RAISE EXCEPTION 'activity %: confirmed_count is % but % sign-ups are confirmed', aid, kept, counted
      USING ERRCODE = '23514', CONSTRAINT = 'activities_confirmed_count_chk';
  END IF;
END;
$$;

CREATE OR REPLACE FUNCTION activity_sign_ups_count_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM activity_confirmed_count_check(OLD.activity_id);
  ELSE
    PERFORM activity_confirmed_count_check(NEW.activity_id);
  END IF;
  RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION activities_confirmed_count_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM activity_confirmed_count_check(NEW.id);
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS activity_sign_ups_count ON activity_sign_ups;
CREATE CONSTRAINT TRIGGER activity_sign_ups_count
  AFTER INSERT OR UPDATE OR DELETE ON activity_sign_ups
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION activity_sign_ups_count_check();

DROP TRIGGER IF EXISTS activities_confirmed_count ON activities;
CREATE CONSTRAINT TRIGGER activities_confirmed_count
  AFTER UPDATE OF confirmed_count ON activities
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW
  WHEN (OLD.confirmed_count IS DISTINCT FROM NEW.confirmed_count)
  EXECUTE FUNCTION activities_confirmed_count_check();
