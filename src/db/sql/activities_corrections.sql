-- 更正 (issue 18): corrections of verified hours (activity_hours_corrections, src/db/schema/activities.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).
--
-- The current figure of a participation is the newest correction's, else the hours as verified: the view
-- activity_participant_hours (activities.sql, next to verified_service_hours, which reads it) is its one
-- definition. This file keeps the corrections a chain every writer must follow, and the rollups in step.

-- A correction is made of a verified activity's participation, in a transaction that did not verify it (the
-- verification's deferred rollup reads the current figure, so a correction in the same transaction would be
-- counted twice), to 0..the activity's length, and starts from the current figure: previous_hours_cents is the
-- figure it replaces. The participation's row is locked first, so corrections of one participation queue and
-- each sees the one before it; created_at is the moment it was written under that lock (not the transaction's
-- start), so the newest correction is also the latest in created_at.
CREATE OR REPLACE FUNCTION activity_hours_corrections_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  a record;
  current_cents bigint;
BEGIN
  PERFORM 1 FROM activity_participants
    WHERE activity_id = NEW.activity_id AND member_id = NEW.member_id FOR UPDATE;
  SELECT status, length_cents, xmin = pg_current_xact_id_if_assigned()::xid AS mine INTO a
    FROM activities WHERE id = NEW.activity_id;
  IF a.status IS DISTINCT FROM 'verified' THEN
    RAISE EXCEPTION 'only verified hours are corrected (activity % is %)', NEW.activity_id, a.status
      USING ERRCODE = '23514', CONSTRAINT = 'activity_hours_corrections_verified_chk';
  END IF;
  IF a.mine THEN
    RAISE EXCEPTION 'hours are corrected after their verification has committed' USING ERRCODE = '55000';
  END IF;
  IF NEW.hours_cents > a.length_cents THEN
    RAISE EXCEPTION 'corrected hours % exceed the activity''s length %', NEW.hours_cents, a.length_cents
      USING ERRCODE = '23514', CONSTRAINT = 'activity_hours_corrections_length_chk';
  END IF;
  SELECT hours_cents INTO current_cents FROM activity_participant_hours
   WHERE activity_id = NEW.activity_id AND member_id = NEW.member_id;
  IF NEW.previous_hours_cents IS DISTINCT FROM current_cents THEN
    RAISE EXCEPTION 'a correction starts from the current figure % (not %)', current_cents, NEW.previous_hours_cents
      USING ERRCODE = '23514', CONSTRAINT = 'activity_hours_corrections_previous_chk';
  END IF;
  NEW.created_at := clock_timestamp();
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS activity_hours_corrections_guard ON activity_hours_corrections;
CREATE TRIGGER activity_hours_corrections_guard
  BEFORE INSERT ON activity_hours_corrections
  FOR EACH ROW EXECUTE FUNCTION activity_hours_corrections_guard();

-- A correction is a record of what was done (志愿服务记录与证明出具办法): a wrong one is corrected by the next.
DROP TRIGGER IF EXISTS activity_hours_corrections_append_only ON activity_hours_corrections;
CREATE TRIGGER activity_hours_corrections_append_only
  BEFORE UPDATE OR DELETE ON activity_hours_corrections
  FOR EACH ROW EXECUTE FUNCTION refuse_write('55000', '%1$s is append-only (%2$s refused)');

-- The hours rollups (reports.sql) took the participation in at its verified figure (report_hours_final); a
-- correction moves them by the difference, at the same (work unit, service-zone day of the start, home unit), in
-- every unit above either end and in the member's own total, year and day (report_member_hours,
-- report_member_year_hours, report_member_days), at COMMIT like the verification (DEFERRABLE INITIALLY DEFERRED),
-- after the member's advisory lock: the lock order of report_hours_add, and a member's move (report_hours_member_moved, which reads the current figure
-- through verified_service_hours) either sees this correction or is followed by it. Records and active days do
-- not change: a participation corrected to 0.00 stays a record, with 0 hours.
CREATE OR REPLACE FUNCTION report_hours_corrected() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint := NEW.hours_cents - NEW.previous_hours_cents;
  work uuid;
  home uuid;
  d date;
BEGIN
  IF delta = 0 THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtextextended('report-hours:' || NEW.member_id::text, 0));
  SELECT a.org_unit_id, (a.starts_at AT TIME ZONE (SELECT time_zone FROM report_settings))::date INTO work, d
    FROM activities a WHERE a.id = NEW.activity_id;
  SELECT org_unit_id INTO home FROM members WHERE id = NEW.member_id;
  INSERT INTO report_hours_days AS r (work_unit_id, day, home_unit_id, hours_cents, records, requests)
  VALUES (work, d, home, delta, 0, 0)
  ON CONFLICT (work_unit_id, day, home_unit_id) DO UPDATE SET hours_cents = r.hours_cents + excluded.hours_cents;
  INSERT INTO report_member_hours AS r (member_id, hours_cents) VALUES (NEW.member_id, delta)
  ON CONFLICT (member_id) DO UPDATE SET hours_cents = r.hours_cents + excluded.hours_cents;
  INSERT INTO report_member_year_hours AS r (member_id, year, org_unit_id, hours_cents)
  VALUES (NEW.member_id, extract(year FROM d)::integer, home, delta)
  ON CONFLICT (member_id, year) DO UPDATE SET hours_cents = r.hours_cents + excluded.hours_cents;
  UPDATE report_member_days SET hours_cents = hours_cents + delta WHERE member_id = NEW.member_id AND day = d;
  INSERT INTO report_subtree_hours_days AS s (unit_id, day, hours_cents, records, requests, visiting_records)
  SELECT u, d, delta, 0, 0, 0
    FROM (SELECT DISTINCT u FROM unnest(report_unit_line(work) || report_unit_line(home)) u) x ORDER BY u
  ON CONFLICT (unit_id, day) DO UPDATE SET hours_cents = s.hours_cents + excluded.hours_cents;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS report_hours_corrected ON activity_hours_corrections;
CREATE CONSTRAINT TRIGGER report_hours_corrected
  AFTER INSERT ON activity_hours_corrections DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION report_hours_corrected();
