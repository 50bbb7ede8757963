-- The org tree keeps itself honest, whatever the application does: a unit's path and depth always
-- follow from its parent, its kind sits below the parent's, and a unit never moves or changes kind
-- (paths of whole subtrees, and every grant scoped by them, depend on that).
CREATE OR REPLACE FUNCTION org_kind_rank(kind text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT array_position(ARRAY['root','province','city','district','street','community','branch','grid','microgrid'], kind)
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION org_units_guard_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  parent record;
BEGIN
  IF NEW.parent_id IS NULL THEN
    NEW.path := '/' || NEW.id || '/';
    NEW.depth := 0;
    RETURN NEW;
  END IF;
  SELECT kind, path, depth INTO parent FROM org_units WHERE id = NEW.parent_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'parent unit % does not exist', NEW.parent_id USING ERRCODE = '23503';
  END IF;
  IF org_kind_rank(NEW.kind) <= org_kind_rank(parent.kind) THEN
    RAISE EXCEPTION 'a % cannot sit under a %', NEW.kind, parent.kind
      USING ERRCODE = '23514', CONSTRAINT = 'org_units_kind_order_chk';
  END IF;
  NEW.path := parent.path || NEW.id || '/';
  NEW.depth := parent.depth + 1;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER org_units_guard_insert BEFORE INSERT ON org_units
  FOR EACH ROW EXECUTE FUNCTION org_units_guard_insert();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION org_units_guard_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.parent_id IS DISTINCT FROM OLD.parent_id OR NEW.kind IS DISTINCT FROM OLD.kind
     OR NEW.path IS DISTINCT FROM OLD.path OR NEW.depth IS DISTINCT FROM OLD.depth THEN
    RAISE EXCEPTION 'org units never move or change kind' USING ERRCODE = '23514', CONSTRAINT = 'org_units_fixed_chk';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER org_units_guard_update BEFORE UPDATE ON org_units
  FOR EACH ROW EXECUTE FUNCTION org_units_guard_update();
--> statement-breakpoint
-- 双报到 is with a residential community, nothing else.
CREATE OR REPLACE FUNCTION member_registrations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT kind FROM org_units WHERE id = NEW.org_unit_id) IS DISTINCT FROM 'community' THEN
    RAISE EXCEPTION 'a member registers with a community' USING ERRCODE = '23514', CONSTRAINT = 'member_registrations_community_chk';
  END IF;
  RETURN NEW;
END
$$;
--> statement-breakpoint
CREATE TRIGGER member_registrations_guard BEFORE INSERT OR UPDATE ON member_registrations
  FOR EACH ROW EXECUTE FUNCTION member_registrations_guard();
--> statement-breakpoint
-- The audit trail is append-only: a change that happened cannot be un-recorded through the database.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only' USING ERRCODE = '23514', CONSTRAINT = 'audit_events_append_only_chk';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
