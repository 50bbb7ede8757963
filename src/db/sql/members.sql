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

-- The state machine, in the database as well: pending -> accepted | declined | ended; accepted -> ended. Who, which
-- member and which community never change, and a registration is never deleted.
CREATE OR REPLACE FUNCTION member_registrations_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'registrations are kept: end one instead' USING ERRCODE = '23514',
      CONSTRAINT = 'member_registrations_kept_chk';
  END IF;
  IF NEW.member_id <> OLD.member_id OR NEW.org_unit_id <> OLD.org_unit_id OR NEW.created_at <> OLD.created_at
     OR NEW.requested_by IS DISTINCT FROM OLD.requested_by THEN
    RAISE EXCEPTION 'a registration''s member, community and requester never change' USING ERRCODE = '23514',
      CONSTRAINT = 'member_registrations_fixed_chk';
  END IF;
  IF NEW.status <> OLD.status AND NOT (
       (OLD.status = 'pending' AND NEW.status IN ('accepted', 'declined', 'ended'))
       OR (OLD.status = 'accepted' AND NEW.status = 'ended')) THEN
    RAISE EXCEPTION 'a registration cannot go from % to %', OLD.status, NEW.status USING ERRCODE = '23514',
      CONSTRAINT = 'member_registrations_transition_chk';
  END IF;
  RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS member_registrations_transition ON member_registrations;
CREATE TRIGGER member_registrations_transition BEFORE UPDATE OR DELETE ON member_registrations
  FOR EACH ROW EXECUTE FUNCTION member_registrations_transition();

-- The communities a member serves through 双报到 and so is in the scope of: accepted registrations only (a pending,
-- declined or ended one puts nobody in anyone's scope). The one definition every scope check reads
-- (shared/authz.ts, activities/repo.ts).
CREATE OR REPLACE VIEW member_served_communities AS
  SELECT r.member_id, r.org_unit_id, u.path
    FROM member_registrations r JOIN org_units u ON u.id = r.org_unit_id
   WHERE r.status = 'accepted';
