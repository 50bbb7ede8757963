-- Functions, triggers and views of members, registrations and teams (src/db/schema/members.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- 双报到 is with a residential community, nothing else.
DROP TRIGGER IF EXISTS member_registrations_guard ON member_registrations;
CREATE TRIGGER member_registrations_guard BEFORE INSERT OR UPDATE ON member_registrations
  FOR EACH ROW WHEN (org_unit_kind(NEW.org_unit_id) IS DISTINCT FROM 'community')
  EXECUTE FUNCTION refuse_write('23514', 'a member registers with a community', 'member_registrations_community_chk');

-- Replaced by refuse_write (_shared.sql) in the trigger above.
DROP FUNCTION IF EXISTS member_registrations_guard();

-- The state machine, in the database as well (its moves: state_move_allowed, _shared.sql). Who, which member and
-- which community never change, and a registration is never deleted.
CREATE OR REPLACE FUNCTION member_registrations_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.member_id <> OLD.member_id OR NEW.org_unit_id <> OLD.org_unit_id OR NEW.created_at <> OLD.created_at
     OR NEW.requested_by IS DISTINCT FROM OLD.requested_by THEN
    RAISE EXCEPTION 'a registration''s member, community and requester never change' USING ERRCODE = '23514',
      CONSTRAINT = 'member_registrations_fixed_chk';
  END IF;
  IF NOT state_move_allowed('member_registrations', OLD.status, NEW.status) THEN
    RAISE EXCEPTION 'a registration cannot go from % to %', OLD.status, NEW.status USING ERRCODE = '23514',
      CONSTRAINT = 'member_registrations_transition_chk';
  END IF;
  RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS member_registrations_transition ON member_registrations;
CREATE TRIGGER member_registrations_transition BEFORE UPDATE ON member_registrations
  FOR EACH ROW EXECUTE FUNCTION member_registrations_transition();

DROP TRIGGER IF EXISTS member_registrations_kept ON member_registrations;
CREATE TRIGGER member_registrations_kept BEFORE DELETE ON member_registrations
  FOR EACH ROW EXECUTE FUNCTION refuse_write('23514', 'registrations are kept: end one instead',
    'member_registrations_kept_chk');

-- The communities a member serves through 双报到 and so is in the scope of: accepted registrations only (a pending,
-- declined or ended one puts nobody in anyone's scope). The one definition every scope check reads
-- (shared/authz.ts, activities/repo.ts).
CREATE OR REPLACE VIEW member_served_communities AS
  SELECT r.member_id, r.org_unit_id, u.path
    FROM member_registrations r JOIN org_units u ON u.id = r.org_unit_id
   WHERE r.status = 'accepted';
