-- Functions, triggers and views of members, registrations and teams (src/db/schema/members.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- 双报到 is with a residential community, nothing else.
CREATE OR REPLACE FUNCTION member_registrations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT kind FROM org_units WHERE id = NEW.org_unit_id) IS DISTINCT FROM 'community' THEN
    RAISE EXCEPTION 'a member registers with a community' USING ERRCODE = '23514', CONSTRAINT = 'member_registrations_community_chk';
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS member_registrations_guard ON member_registrations;
CREATE TRIGGER member_registrations_guard BEFORE INSERT OR UPDATE ON member_registrations
  FOR EACH ROW EXECUTE FUNCTION member_registrations_guard();
