-- Functions, triggers and views of scoring rounds, claims, scores and objections (src/db/schema/scoring.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- A claim is made only under an active rubric (its ceiling must not move after the fact).
DROP TRIGGER IF EXISTS claims_rubric_active_trg ON claims;
CREATE TRIGGER claims_rubric_active_trg BEFORE INSERT ON claims
  FOR EACH ROW WHEN (NOT rubric_is_active(NEW.rubric_id))
  EXECUTE FUNCTION refuse_write('P0001', 'claims need an active rubric');

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
DROP TRIGGER IF EXISTS claims_posted_frozen_trg ON claims;
CREATE TRIGGER claims_posted_frozen_trg BEFORE UPDATE OR DELETE ON claims
  FOR EACH ROW WHEN (OLD.status = 'posted')
  EXECUTE FUNCTION refuse_write('P0001', 'claim %3$s is posted and cannot change');

-- The state machines of claims, rounds and objections, enforced by the database as well as by the service
-- (src/modules/scoring/domain.ts; the moves: state_move_allowed, _shared.sql): a bug or a hand-written UPDATE cannot
-- skip or reverse a step, and a row whose status has no move out is frozen. A table's triggers fire in the order
-- of their names, which is the order of its checks: a claim's move before its freeze, a round's freeze before its
-- move.
DROP TRIGGER IF EXISTS claims_legal_move_trg ON claims;
CREATE TRIGGER claims_legal_move_trg BEFORE UPDATE ON claims
  FOR EACH ROW WHEN (NOT state_move_allowed('claims', OLD.status, NEW.status))
  EXECUTE FUNCTION refuse_write('P0001', 'claim %3$s cannot move from %4$s to %5$s');

DROP TRIGGER IF EXISTS claims_withdrawn_frozen_trg ON claims;
CREATE TRIGGER claims_withdrawn_frozen_trg BEFORE UPDATE ON claims
  FOR EACH ROW WHEN (OLD.status = 'withdrawn')
  EXECUTE FUNCTION refuse_write('P0001', 'claim %3$s is withdrawn and cannot change');

DROP TRIGGER IF EXISTS scoring_rounds_finalized_frozen_trg ON scoring_rounds;
CREATE TRIGGER scoring_rounds_finalized_frozen_trg BEFORE UPDATE ON scoring_rounds
  FOR EACH ROW WHEN (OLD.status = 'finalized')
  EXECUTE FUNCTION refuse_write('P0001', 'round %3$s is finalized and cannot change');

DROP TRIGGER IF EXISTS scoring_rounds_legal_move_trg ON scoring_rounds;
CREATE TRIGGER scoring_rounds_legal_move_trg BEFORE UPDATE ON scoring_rounds
  FOR EACH ROW WHEN (NOT state_move_allowed('scoring_rounds', OLD.status, NEW.status))
  EXECUTE FUNCTION refuse_write('P0001', 'round %3$s cannot move from %4$s to %5$s');

-- An objection is answered once (open -> upheld | rescore).
DROP TRIGGER IF EXISTS objections_legal_move_trg ON objections;
CREATE TRIGGER objections_legal_move_trg BEFORE UPDATE ON objections
  FOR EACH ROW WHEN (OLD.status <> 'open')
  EXECUTE FUNCTION refuse_write('P0001', 'objection %3$s is resolved and cannot change');

DROP TRIGGER IF EXISTS claim_scores_frozen_trg ON claim_scores;
CREATE TRIGGER claim_scores_frozen_trg BEFORE DELETE ON claim_scores
  FOR EACH ROW EXECUTE FUNCTION refuse_write('P0001', 'panel scores are never deleted');

-- Replaced by refuse_write (_shared.sql) in the triggers above.
DROP FUNCTION IF EXISTS claims_rubric_active();
DROP FUNCTION IF EXISTS claims_posted_frozen();
DROP FUNCTION IF EXISTS claims_legal_move();
DROP FUNCTION IF EXISTS scoring_rounds_legal_move();
DROP FUNCTION IF EXISTS objections_legal_move();
DROP FUNCTION IF EXISTS claim_scores_frozen();

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
