-- 评优 (issue 19): year-end appraisals and their publication (appraisals, appraisal_publications,
-- src/db/schema/appraisals.ts). Repeatable SQL, applied by migrate() whenever this text changes; every statement
-- is idempotent.
--
-- An appraisal is a record of what the branch decided: it is never changed or removed. A change is a new row that
-- supersedes the member's current one for the year (the unique indexes keep one first row and one successor per
-- row, so the chain stays a line), of the same member and year. Once the year's list is published for a unit at
-- or above the member's home unit (as recorded), a change needs a reason.
CREATE OR REPLACE FUNCTION appraisals_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  prev record;
BEGIN
  IF NEW.supersedes_id IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT member_id, year INTO prev FROM appraisals WHERE id = NEW.supersedes_id;
  IF prev.member_id IS DISTINCT FROM NEW.member_id OR prev.year IS DISTINCT FROM NEW.year THEN
    RAISE EXCEPTION 'an appraisal supersedes one of the same member and year'
      USING ERRCODE = '23514', CONSTRAINT = 'appraisals_chain_chk';
  END IF;
  IF NEW.reason IS NULL AND EXISTS (
       SELECT 1 FROM appraisal_publications p
         JOIN org_units pu ON pu.id = p.org_unit_id
         JOIN org_units hu ON hu.id = NEW.org_unit_id
        WHERE p.year = NEW.year AND hu.path LIKE pu.path || '%') THEN
    RAISE EXCEPTION 'after publication an appraisal changes only with a reason'
      USING ERRCODE = '23514', CONSTRAINT = 'appraisals_reason_after_publication_chk';
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS appraisals_guard ON appraisals;
CREATE TRIGGER appraisals_guard
  BEFORE INSERT ON appraisals
  FOR EACH ROW EXECUTE FUNCTION appraisals_guard();

DROP TRIGGER IF EXISTS appraisals_append_only ON appraisals;
CREATE TRIGGER appraisals_append_only
  BEFORE UPDATE OR DELETE ON appraisals
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', '%1$s is append-only (%2$s refused)');

-- A publication is a fact of the notice board: it is not withdrawn.
DROP TRIGGER IF EXISTS appraisal_publications_append_only ON appraisal_publications;
CREATE TRIGGER appraisal_publications_append_only
  BEFORE UPDATE OR DELETE ON appraisal_publications
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', '%1$s is append-only (%2$s refused)');
