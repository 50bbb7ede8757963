-- Functions, triggers and views of rubrics (src/db/schema/rubrics.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- An active rubric is frozen: claims, ceilings and results refer to its items, so neither the rubric row
-- nor any of its items may change once it is active, whoever writes to the database.
CREATE OR REPLACE FUNCTION rubrics_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'active' THEN
    RAISE EXCEPTION 'rubric % is active and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS rubrics_frozen_trg ON rubrics;
CREATE TRIGGER rubrics_frozen_trg BEFORE UPDATE OR DELETE ON rubrics
  FOR EACH ROW EXECUTE FUNCTION rubrics_frozen();

CREATE OR REPLACE FUNCTION rubric_items_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE s text;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    SELECT status INTO s FROM rubrics WHERE id = OLD.rubric_id;
    IF s = 'active' THEN
      RAISE EXCEPTION 'items of active rubric % cannot change', OLD.rubric_id USING ERRCODE = 'P0001';
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    SELECT status INTO s FROM rubrics WHERE id = NEW.rubric_id;
    IF s = 'active' THEN
      RAISE EXCEPTION 'items of active rubric % cannot change', NEW.rubric_id USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;

DROP TRIGGER IF EXISTS rubric_items_frozen_trg ON rubric_items;
CREATE TRIGGER rubric_items_frozen_trg BEFORE INSERT OR UPDATE OR DELETE ON rubric_items
  FOR EACH ROW EXECUTE FUNCTION rubric_items_frozen();
