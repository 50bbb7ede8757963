-- Functions, triggers and views of scoring rounds, claims, scores and objections (src/db/schema/scoring.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- A claim is made only under an active rubric (its ceiling must not move after the fact).
CREATE OR REPLACE FUNCTION claims_rubric_active() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM rubrics WHERE id = NEW.rubric_id AND status = 'active') THEN
    RAISE EXCEPTION 'claims need an active rubric' USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS claims_rubric_active_trg ON claims;
CREATE TRIGGER claims_rubric_active_trg BEFORE INSERT ON claims
  FOR EACH ROW EXECUTE FUNCTION claims_rubric_active();

-- A panelist's points lie between 0 and the claim's ceiling (negative ceiling for deductions).
-- Scores are given only while their claim is being scored, and only for its current attempt: once a round
-- closes, nobody (not even a direct UPDATE) changes what the panel said.
CREATE OR REPLACE FUNCTION claim_scores_in_range() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE c claims%ROWTYPE;
BEGIN
  SELECT * INTO c FROM claims WHERE id = NEW.claim_id;
  IF c.status IS DISTINCT FROM 'scoring' OR NEW.attempt <> c.attempt THEN
    RAISE EXCEPTION 'claim % is not being scored', NEW.claim_id USING ERRCODE = 'P0001';
  END IF;
  IF NEW.points < least(0, c.ceiling) OR NEW.points > greatest(0, c.ceiling) THEN
    RAISE EXCEPTION 'points % outside the range of claim %', NEW.points, NEW.claim_id USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS claim_scores_in_range_trg ON claim_scores;
CREATE TRIGGER claim_scores_in_range_trg BEFORE INSERT OR UPDATE ON claim_scores
  FOR EACH ROW EXECUTE FUNCTION claim_scores_in_range();

-- Posted claims are history: their amounts and ledger reference never change afterwards.
CREATE OR REPLACE FUNCTION claims_posted_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'posted' THEN
    RAISE EXCEPTION 'claim % is posted and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS claims_posted_frozen_trg ON claims;
CREATE TRIGGER claims_posted_frozen_trg BEFORE UPDATE OR DELETE ON claims
  FOR EACH ROW EXECUTE FUNCTION claims_posted_frozen();

-- The state machines of claims, rounds and objections, enforced by the database as well as by the service
-- (src/modules/scoring/domain.ts): a bug or a hand-written UPDATE cannot skip or reverse a step.
CREATE OR REPLACE FUNCTION claims_legal_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'submitted' AND NEW.status IN ('scoring', 'withdrawn'))
    OR (OLD.status = 'scoring' AND NEW.status = 'scored')
    OR (OLD.status = 'scored' AND NEW.status IN ('posted', 'scoring'))
  ) THEN
    RAISE EXCEPTION 'claim % cannot move from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'P0001';
  END IF;
  IF OLD.status = 'withdrawn' THEN
    RAISE EXCEPTION 'claim % is withdrawn and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS claims_legal_move_trg ON claims;
CREATE TRIGGER claims_legal_move_trg BEFORE UPDATE ON claims
  FOR EACH ROW EXECUTE FUNCTION claims_legal_move();

CREATE OR REPLACE FUNCTION scoring_rounds_legal_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'finalized' THEN
    RAISE EXCEPTION 'round % is finalized and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (
       (OLD.status = 'scoring' AND NEW.status = 'publicity')
    OR (OLD.status = 'publicity' AND NEW.status IN ('finalized', 'scoring'))
  ) THEN
    RAISE EXCEPTION 'round % cannot move from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS scoring_rounds_legal_move_trg ON scoring_rounds;
CREATE TRIGGER scoring_rounds_legal_move_trg BEFORE UPDATE ON scoring_rounds
  FOR EACH ROW EXECUTE FUNCTION scoring_rounds_legal_move();

CREATE OR REPLACE FUNCTION objections_legal_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status <> 'open' THEN
    RAISE EXCEPTION 'objection % is resolved and cannot change', OLD.id USING ERRCODE = 'P0001';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS objections_legal_move_trg ON objections;
CREATE TRIGGER objections_legal_move_trg BEFORE UPDATE ON objections
  FOR EACH ROW EXECUTE FUNCTION objections_legal_move();

CREATE OR REPLACE FUNCTION claim_scores_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'panel scores are never deleted' USING ERRCODE = 'P0001';
END $$;

DROP TRIGGER IF EXISTS claim_scores_frozen_trg ON claim_scores;
CREATE TRIGGER claim_scores_frozen_trg BEFORE DELETE ON claim_scores
  FOR EACH ROW EXECUTE FUNCTION claim_scores_frozen();

-- 公示 is how scores stay fair: no round asks for fewer publicity days than the floor of its unit, and no round
-- opens publicity shorter than the floor in force when it closes (the service answers 400 before; this holds it
-- for every writer).
CREATE OR REPLACE FUNCTION scoring_rounds_publicity_floor() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  floor_days integer := org_min_publicity_days((SELECT path FROM org_units WHERE id = NEW.org_unit_id));
BEGIN
  IF TG_OP = 'INSERT' AND NEW.publicity_days < floor_days THEN
    RAISE EXCEPTION 'publicity of % days is below the floor of % here', NEW.publicity_days, floor_days
      USING ERRCODE = '23514', CONSTRAINT = 'scoring_rounds_publicity_floor_chk';
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.status = 'publicity' AND OLD.status = 'scoring'
     AND NEW.publicity_ends_at < NEW.closed_at + make_interval(days => floor_days) THEN
    RAISE EXCEPTION 'publicity ending % is shorter than the floor of % days', NEW.publicity_ends_at, floor_days
      USING ERRCODE = '23514', CONSTRAINT = 'scoring_rounds_publicity_floor_chk';
  END IF;
  RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS scoring_rounds_publicity_floor ON scoring_rounds;
CREATE TRIGGER scoring_rounds_publicity_floor BEFORE INSERT OR UPDATE OF status ON scoring_rounds
  FOR EACH ROW EXECUTE FUNCTION scoring_rounds_publicity_floor();
