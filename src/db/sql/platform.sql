-- Functions, triggers and views of the audit trail (src/db/schema/platform.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- The audit trail is append-only: a change that happened cannot be un-recorded through the database.
DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION refuse_write('23514', 'audit events are append-only', 'audit_events_append_only_chk');

-- Replaced by refuse_write (_shared.sql) in the trigger above.
DROP FUNCTION IF EXISTS audit_events_append_only();

CREATE OR REPLACE FUNCTION audit_record(
  p_actor uuid, p_action text, p_target_type text, p_target_id uuid, p_unit uuid, p_before jsonb, p_after jsonb)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit_events (actor_user_id, action, target_type, target_id, org_unit_id, org_path, before, after)
  VALUES (p_actor, p_action, p_target_type, p_target_id, p_unit,
          (SELECT path FROM org_units WHERE id = p_unit), p_before, p_after);
END;
$$;
