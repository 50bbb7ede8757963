-- Functions the other files' triggers are declared with: how a trigger refuses a write, which status may follow
-- which, and the look-ups a trigger's WHEN makes (a WHEN cannot hold a subquery, so it calls a function). This file
-- sorts first (the leading _) because CREATE TRIGGER needs its function, and its WHEN the functions it calls, to
-- exist already; a file's own look-up may stay in that file when every file that declares a trigger with it sorts
-- after it (rubric_is_active, rubrics.sql).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- The one refusal of a write: an append-only table's UPDATE or DELETE, a row that is never deleted, a row frozen in
-- its state, a move its state machine does not have. The trigger says when (its events and WHEN) and what to
-- answer, so each table keeps its own SQLSTATE and words:
--   EXECUTE FUNCTION refuse_write(sqlstate, message [, constraint])
-- `message` is a format() string: %1$s the table, %2$s the operation, %3$s the row's id, %4$s its status before
-- and %5$s after (empty where the operation has no such row). `constraint` names the rule of a 23xxx refusal,
-- which the service maps to a problem code (pgConstraint, src/db/client.ts). A refusal is all this function does,
-- so a trigger that lets the write through never calls it: the WHEN decides, without a PL/pgSQL call.
CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  msg text := format(TG_ARGV[1], TG_TABLE_NAME, TG_OP,
                     CASE WHEN TG_LEVEL = 'ROW' AND TG_OP <> 'INSERT' THEN to_jsonb(OLD)->>'id' END,
                     CASE WHEN TG_LEVEL = 'ROW' AND TG_OP <> 'INSERT' THEN to_jsonb(OLD)->>'status' END,
                     CASE WHEN TG_LEVEL = 'ROW' AND TG_OP <> 'DELETE' THEN to_jsonb(NEW)->>'status' END);
BEGIN
  IF TG_NARGS > 2 THEN
    RAISE EXCEPTION USING ERRCODE = TG_ARGV[0], MESSAGE = msg, CONSTRAINT = TG_ARGV[2];
  END IF;
  RAISE EXCEPTION USING ERRCODE = TG_ARGV[0], MESSAGE = msg;
END $$;

-- The state machines the database holds, in one table: may a row of `p_machine` (its table) go from status p_from to
-- p_to? Staying put always may; a status with no move out is final. The service decides the same moves first
-- (scoring/domain.ts CLAIM_MOVES and ROUND_MOVES, the conditional UPDATE ... WHERE status = <expected> of service
-- requests and registrations); these are the database's half, for every writer. A machine not named here has no
-- legal move. SQL without a FROM: inlined into the guard that calls it, so a check costs no function call.
CREATE OR REPLACE FUNCTION state_move_allowed(p_machine text, p_from text, p_to text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_from = p_to OR CASE p_machine
    -- submitted -> scoring (a round takes it in) -> scored (the round closes) -> posted (finalize); submitted ->
    -- withdrawn; scored -> scoring (an objection sends it back)
    WHEN 'claims' THEN (p_from, p_to) IN (('submitted', 'scoring'), ('submitted', 'withdrawn'),
                                          ('scoring', 'scored'), ('scored', 'posted'), ('scored', 'scoring'))
    -- scoring -> publicity (close) -> finalized; publicity -> scoring (a claim is rescored)
    WHEN 'scoring_rounds' THEN (p_from, p_to) IN (('scoring', 'publicity'), ('publicity', 'finalized'),
                                                  ('publicity', 'scoring'))
    -- 群众点单 > 社区派单 > 党员接单: open -> dispatched -> accepted -> completed -> confirmed; a member declining
    -- sends it back to open; or open -> published (the community's board) -> accepted (a member takes it), and
    -- published -> open (taken off the board); anything before completed may be cancelled
    WHEN 'service_requests' THEN (p_from, p_to) IN (('open', 'dispatched'), ('open', 'cancelled'),
                                                    ('open', 'published'), ('published', 'accepted'),
                                                    ('published', 'open'), ('published', 'cancelled'),
                                                    ('dispatched', 'accepted'), ('dispatched', 'open'),
                                                    ('dispatched', 'cancelled'), ('accepted', 'completed'),
                                                    ('accepted', 'cancelled'), ('completed', 'confirmed'))
    -- 双报到: pending -> accepted | declined | ended; accepted -> ended
    WHEN 'member_registrations' THEN (p_from, p_to) IN (('pending', 'accepted'), ('pending', 'declined'),
                                                        ('pending', 'ended'), ('accepted', 'ended'))
    -- 志愿服务记录证明 requests: pending -> issued (with its certificate) | declined (with a reason), once
    WHEN 'service_certificate_requests' THEN (p_from, p_to) IN (('pending', 'issued'), ('pending', 'declined'))
    ELSE false
  END
$$;

-- A unit's kind (null: no such unit), for the triggers that hold a row to one kind of unit: a reward is kept by a
-- community office (rewards.sql), 双报到 is with a community (members.sql). Here rather than in org.sql, which sorts
-- after members.sql.
CREATE OR REPLACE FUNCTION org_unit_kind(p_unit uuid) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT kind FROM org_units WHERE id = p_unit
$$;
