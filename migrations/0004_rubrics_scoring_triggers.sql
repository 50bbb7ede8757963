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
--> statement-breakpoint
CREATE TRIGGER rubrics_frozen_trg BEFORE UPDATE OR DELETE ON rubrics
  FOR EACH ROW EXECUTE FUNCTION rubrics_frozen();
--> statement-breakpoint
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
--> statement-breakpoint
CREATE TRIGGER rubric_items_frozen_trg BEFORE INSERT OR UPDATE OR DELETE ON rubric_items
  FOR EACH ROW EXECUTE FUNCTION rubric_items_frozen();
--> statement-breakpoint
-- A claim is made only under an active rubric (its ceiling must not move after the fact).
CREATE OR REPLACE FUNCTION claims_rubric_active() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM rubrics WHERE id = NEW.rubric_id AND status = 'active') THEN
    RAISE EXCEPTION 'claims need an active rubric' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER claims_rubric_active_trg BEFORE INSERT ON claims
  FOR EACH ROW EXECUTE FUNCTION claims_rubric_active();
--> statement-breakpoint
-- A panelist's points lie between 0 and the claim's ceiling (negative ceiling for deductions).
CREATE OR REPLACE FUNCTION claim_scores_in_range() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c bigint;
BEGIN
  SELECT ceiling INTO c FROM claims WHERE id = NEW.claim_id;
  IF NEW.points < least(0, c) OR NEW.points > greatest(0, c) THEN
    RAISE EXCEPTION 'points % outside the range of claim %', NEW.points, NEW.claim_id USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER claim_scores_in_range_trg BEFORE INSERT OR UPDATE ON claim_scores
  FOR EACH ROW EXECUTE FUNCTION claim_scores_in_range();
--> statement-breakpoint
-- Posted claims are history: their amounts and ledger reference never change afterwards.
CREATE OR REPLACE FUNCTION claims_posted_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'posted' THEN
    RAISE EXCEPTION 'claim % is posted and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
CREATE TRIGGER claims_posted_frozen_trg BEFORE UPDATE OR DELETE ON claims
  FOR EACH ROW EXECUTE FUNCTION claims_posted_frozen();
