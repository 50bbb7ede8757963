-- Functions, triggers and views of rubrics (src/db/schema/rubrics.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- Whether a rubric is active (false: a draft, or no such rubric): what freezes its items, and what a claim needs
-- (scoring.sql).
CREATE OR REPLACE FUNCTION rubric_is_active(p_rubric uuid) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM rubrics WHERE id = p_rubric AND status = 'active')
$$;

-- An active rubric is frozen: claims, ceilings and results refer to its items, so neither the rubric row
-- nor any of its items may change once it is active, whoever writes to the database.
DROP TRIGGER IF EXISTS rubrics_frozen_trg ON rubrics;
CREATE TRIGGER rubrics_frozen_trg BEFORE UPDATE OR DELETE ON rubrics
  FOR EACH ROW WHEN (OLD.status = 'active')
  EXECUTE FUNCTION refuse_write('P0001', 'rubric %3$s is active and cannot change');

-- An item may not leave an active rubric (UPDATE, DELETE), nor join one (INSERT, UPDATE): the rubric it leaves is
-- checked first.
CREATE OR REPLACE FUNCTION rubric_items_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r uuid;
BEGIN
  FOREACH r IN ARRAY ARRAY[CASE WHEN TG_OP <> 'INSERT' THEN OLD.rubric_id END,
                           CASE WHEN TG_OP <> 'DELETE' THEN NEW.rubric_id END] LOOP
    IF rubric_is_active(r) THEN
      RAISE EXCEPTION 'items of active rubric % cannot change', r USING ERRCODE = 'P0001';
    END IF;
  END LOOP;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS rubric_items_frozen_trg ON rubric_items;
CREATE TRIGGER rubric_items_frozen_trg BEFORE INSERT OR UPDATE OR DELETE ON rubric_items
  FOR EACH ROW EXECUTE FUNCTION rubric_items_frozen();

-- Replaced by refuse_write (_shared.sql) in rubrics_frozen_trg.
DROP FUNCTION IF EXISTS rubrics_frozen();
