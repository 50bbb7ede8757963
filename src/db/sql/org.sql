-- Functions, triggers and views of the org tree (src/db/schema/org.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- The org tree keeps itself honest, whatever the application does: a unit's path and depth always
-- follow from its parent, its kind sits below the parent's, and a unit never moves or changes kind
-- (paths of whole subtrees, and every grant scoped by them, depend on that).
CREATE OR REPLACE FUNCTION org_kind_rank(kind text) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT array_position(ARRAY['root','province','city','district','street','community','branch','grid','microgrid'], kind)
$$;

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

DROP TRIGGER IF EXISTS org_units_guard_insert ON org_units;
CREATE TRIGGER org_units_guard_insert BEFORE INSERT ON org_units
  FOR EACH ROW EXECUTE FUNCTION org_units_guard_insert();

DROP TRIGGER IF EXISTS org_units_guard_update ON org_units;
CREATE TRIGGER org_units_guard_update BEFORE UPDATE ON org_units
  FOR EACH ROW WHEN (NEW.parent_id IS DISTINCT FROM OLD.parent_id OR NEW.kind IS DISTINCT FROM OLD.kind
                     OR NEW.path IS DISTINCT FROM OLD.path OR NEW.depth IS DISTINCT FROM OLD.depth)
  EXECUTE FUNCTION refuse_write('23514', 'org units never move or change kind', 'org_units_fixed_chk');

-- Replaced by refuse_write (_shared.sql) in the trigger above.
DROP FUNCTION IF EXISTS org_units_guard_update();

-- The 公示 floor in force at the unit whose path is `p_path`: the nearest unit at or above it that sets
-- min_publicity_days, else 1 (a day on the notice board). The one definition of the default: the service reads it
-- through this function (org/repo.ts), and scoring rounds are checked against it (scoring.sql).
CREATE OR REPLACE FUNCTION org_min_publicity_days(p_path text) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT a.min_publicity_days FROM org_units a
                    WHERE a.id = any(string_to_array(trim(both '/' from p_path), '/')::uuid[])
                      AND a.min_publicity_days IS NOT NULL
                    ORDER BY a.depth DESC LIMIT 1), 1)
$$;
