-- Hours rollups (issue 8): a city's summary (verified hours, confirmed requests, distinct volunteers) for any
-- period, whole months or not, without reading the city's 1.8 M participations. Three tables, all derived
-- from frozen facts: a verified activity's participations and a confirmed request never change again, so
-- each is added once, when it becomes final, and never taken back (except to follow a member who moves).
--
-- report_hours_days: verified hours per (unit where the work was done, member's current home unit,
-- service-zone day). The summary counts a record for a subtree when the work OR the member's home lies in
-- it; with both units in the key that is two index ranges per unit of the subtree (work in it; home in it
-- and work outside), no join through members. A row stands for one activity day of one branch in
-- practice: ~144,000 rows for the benchmark city's year, against 1.8 M participations. Daily, so a period
-- that is not whole months reads no raw rows at its edges.
CREATE TABLE report_hours_days (
  work_unit_id uuid NOT NULL,
  day date NOT NULL,
  home_unit_id uuid NOT NULL,
  hours_cents bigint NOT NULL DEFAULT 0,
  records integer NOT NULL DEFAULT 0,
  requests integer NOT NULL DEFAULT 0,
  -- INCLUDE the sums: a subtree's figures are index-only scans, one range per unit.
  CONSTRAINT report_hours_days_pk PRIMARY KEY (work_unit_id, day, home_unit_id) INCLUDE (hours_cents, requests)
);
--> statement-breakpoint
-- The other half of the OR: hours of the subtree's members done in units outside it (双报到).
CREATE INDEX report_hours_days_home_idx ON report_hours_days (home_unit_id, day)
  INCLUDE (work_unit_id, hours_cents, requests);
--> statement-breakpoint
-- report_member_days: the service-zone days on which a member has verified hours (anywhere). Not read by
-- reports: it is what the triggers look up to find a member's previous and next active day.
CREATE TABLE report_member_days (
  member_id uuid NOT NULL,
  day date NOT NULL,
  CONSTRAINT report_member_days_pk PRIMARY KEY (member_id, day)
);
--> statement-breakpoint
-- report_volunteer_days: distinct volunteers, exactly, for any period, without one row per member. For
-- each active day d of a member, prev_day is the member's previous active day ('-infinity' for the
-- first). A member is active in [from, to] iff exactly one of their active days d in [from, to] has
-- prev_day < from (the first one in the period). So "distinct members of a subtree active in [from, to]"
-- is sum(n) over rows (home unit in the subtree, from <= day <= to, prev_day < from): a count, not a
-- count(distinct). Rows are grouped by (home unit, day, prev_day); members of a branch who serve together
-- share rows, so the benchmark city's year is ~150,000 rows, not 300,000 members.
CREATE TABLE report_volunteer_days (
  home_unit_id uuid NOT NULL,
  day date NOT NULL,
  prev_day date NOT NULL,
  n integer NOT NULL,
  -- No CHECK (n >= 0): an upsert's proposed row is checked before its conflict, and a move proposes -1.
  CONSTRAINT report_volunteer_days_pk PRIMARY KEY (home_unit_id, day, prev_day) INCLUDE (n)
);
--> statement-breakpoint
-- Adds final records (one activity's participations, or one confirmed request) to the three tables.
-- Called at COMMIT by deferred triggers. Lock order, the same for every writer (this and the member move):
-- the members' advisory locks (sorted), then report_hours_days rows (one sorted statement), then
-- report_volunteer_days rows (one sorted statement): no cycle, so no deadlock. The advisory lock per member
-- serialises two verifications of one member (their previous/next day lookups) and a member's move; rows
-- of a branch and day are shared by its members, so verifications of one branch on one day queue for each
-- other for the instant of their commit, nothing else does.
CREATE OR REPLACE FUNCTION report_hours_add(p_work uuid, p_day date, p_members uuid[], p_hours bigint[],
                                            p_request boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(k)
     FROM (SELECT DISTINCT hashtextextended('report-hours:' || m::text, 0) AS k FROM unnest(p_members) m
           ORDER BY 1) s;
  INSERT INTO report_hours_days AS r (work_unit_id, day, home_unit_id, hours_cents, records, requests)
  SELECT p_work, p_day, mm.org_unit_id, sum(coalesce(x.h, 0)), count(*),
         CASE WHEN p_request THEN count(*) ELSE 0 END
    FROM unnest(p_members, p_hours) AS x(m, h) JOIN members mm ON mm.id = x.m
   GROUP BY mm.org_unit_id ORDER BY mm.org_unit_id
  ON CONFLICT (work_unit_id, day, home_unit_id) DO UPDATE
     SET hours_cents = r.hours_cents + excluded.hours_cents, records = r.records + excluded.records,
         requests = r.requests + excluded.requests;
  WITH fresh AS (
         INSERT INTO report_member_days (member_id, day)
         SELECT DISTINCT m, p_day FROM unnest(p_members) m
         ON CONFLICT DO NOTHING RETURNING member_id),
       around AS (
         SELECT mm.org_unit_id AS home,
                coalesce((SELECT max(b.day) FROM report_member_days b
                           WHERE b.member_id = f.member_id AND b.day < p_day), '-infinity') AS prev,
                (SELECT min(b.day) FROM report_member_days b
                  WHERE b.member_id = f.member_id AND b.day > p_day) AS next
           FROM fresh f JOIN members mm ON mm.id = f.member_id),
       deltas AS (
         SELECT home, p_day AS day, prev, 1 AS n FROM around
         UNION ALL SELECT home, next, prev, -1 FROM around WHERE next IS NOT NULL
         UNION ALL SELECT home, next, p_day, 1 FROM around WHERE next IS NOT NULL)
  INSERT INTO report_volunteer_days AS v (home_unit_id, day, prev_day, n)
  SELECT home, day, prev, sum(n) FROM deltas GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (home_unit_id, day, prev_day) DO UPDATE SET n = v.n + excluded.n;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_hours_activity_verified() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
BEGIN
  SELECT time_zone INTO tz FROM report_settings;
  PERFORM report_hours_add(
    NEW.org_unit_id, (NEW.starts_at AT TIME ZONE tz)::date,
    ARRAY(SELECT p.member_id FROM activity_participants p WHERE p.activity_id = NEW.id ORDER BY p.member_id),
    ARRAY(SELECT p.hours_cents FROM activity_participants p WHERE p.activity_id = NEW.id ORDER BY p.member_id),
    false);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- DEFERRABLE INITIALLY DEFERRED: at commit, after the verifying transaction took every other lock it
-- needs (a rollup row is never held while it waits for anything else), and with the participations as
-- they are final.
CREATE CONSTRAINT TRIGGER report_hours_activity_verified
  AFTER UPDATE ON activities DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'verified' AND OLD.status <> 'verified')
  EXECUTE FUNCTION report_hours_activity_verified();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER report_hours_activity_inserted
  AFTER INSERT ON activities DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'verified')
  EXECUTE FUNCTION report_hours_activity_verified();
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_hours_request_confirmed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
BEGIN
  SELECT time_zone INTO tz FROM report_settings;
  PERFORM report_hours_add(NEW.org_unit_id, (NEW.completed_at AT TIME ZONE tz)::date,
                           ARRAY[NEW.member_id], ARRAY[NEW.hours_cents], true);
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER report_hours_request_confirmed
  AFTER UPDATE ON service_requests DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'confirmed' AND OLD.status <> 'confirmed')
  EXECUTE FUNCTION report_hours_request_confirmed();
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER report_hours_request_inserted
  AFTER INSERT ON service_requests DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'confirmed')
  EXECUTE FUNCTION report_hours_request_confirmed();
--> statement-breakpoint
-- A member who changes home unit takes their hours and active days along (reports count members by their
-- current home unit): their records, read raw (one member's history, by the member indexes), leave the
-- old home's rows and join the new one's, in one sorted statement per table (the lock order above).
CREATE OR REPLACE FUNCTION report_hours_member_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('report-hours:' || NEW.id::text, 0));
  SELECT time_zone INTO tz FROM report_settings;
  WITH recs AS (
         SELECT a.org_unit_id AS work, (a.starts_at AT TIME ZONE tz)::date AS day, p.hours_cents AS h, 0 AS req
           FROM activity_participants p JOIN activities a ON a.id = p.activity_id
          WHERE p.member_id = NEW.id AND a.status = 'verified'
         UNION ALL
         SELECT r.org_unit_id, (r.completed_at AT TIME ZONE tz)::date, coalesce(r.hours_cents, 0), 1
           FROM service_requests r WHERE r.member_id = NEW.id AND r.status = 'confirmed'),
       deltas AS (
         SELECT work, day, OLD.org_unit_id AS home, -h AS h, -1 AS n, -req AS req FROM recs
         UNION ALL
         SELECT work, day, NEW.org_unit_id, h, 1, req FROM recs)
  INSERT INTO report_hours_days AS r (work_unit_id, day, home_unit_id, hours_cents, records, requests)
  SELECT work, day, home, sum(h), sum(n), sum(req) FROM deltas GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (work_unit_id, day, home_unit_id) DO UPDATE
     SET hours_cents = r.hours_cents + excluded.hours_cents, records = r.records + excluded.records,
         requests = r.requests + excluded.requests;
  WITH days AS (
         SELECT b.day, coalesce(lag(b.day) OVER (ORDER BY b.day), '-infinity') AS prev
           FROM report_member_days b WHERE b.member_id = NEW.id),
       deltas AS (
         SELECT OLD.org_unit_id AS home, day, prev, -1 AS n FROM days
         UNION ALL
         SELECT NEW.org_unit_id, day, prev, 1 FROM days)
  INSERT INTO report_volunteer_days AS v (home_unit_id, day, prev_day, n)
  SELECT home, day, prev, sum(n) FROM deltas GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (home_unit_id, day, prev_day) DO UPDATE SET n = v.n + excluded.n;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER report_hours_member_moved
  AFTER UPDATE OF org_unit_id ON members
  FOR EACH ROW WHEN (OLD.org_unit_id IS DISTINCT FROM NEW.org_unit_id)
  EXECUTE FUNCTION report_hours_member_moved();
--> statement-breakpoint
-- The documented rebuild (select report_rollups_rebuild(); or with a zone) now also recomputes the hours
-- rollups from the activities and requests. Same locking as before: reports read the old rows meanwhile,
-- verifications wait at their commit for the rebuild to commit, then add on top of it.
CREATE OR REPLACE FUNCTION report_rollups_rebuild(p_time_zone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  n bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'report_rollups_rebuild() must run in READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  LOCK TABLE report_member_months, report_unit_months, report_hours_days, report_member_days,
             report_volunteer_days IN EXCLUSIVE MODE;
  IF p_time_zone IS NOT NULL THEN
    PERFORM now() AT TIME ZONE p_time_zone; -- an unknown zone fails here, before anything changes
    UPDATE report_settings SET time_zone = p_time_zone;
  END IF;
  SELECT time_zone INTO tz FROM report_settings;
  DELETE FROM report_member_months;
  INSERT INTO report_member_months
         (member_id, month, org_unit_id, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT t.member_id, date_trunc('month', t.created_at AT TIME ZONE tz)::date, m.org_unit_id,
         coalesce(sum(greatest(e.amount, 0)) FILTER (WHERE t.kind <> 'post'), 0),
         coalesce(sum(greatest(-e.amount, 0)) FILTER (WHERE t.kind <> 'post'), 0),
         count(*) FILTER (WHERE t.kind <> 'post'),
         coalesce(-sum(e.amount) FILTER (WHERE t.kind = 'post'), 0),
         count(*) FILTER (WHERE t.kind = 'post')
    FROM ledger_transactions t
    JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id = t.account_id
    JOIN members m ON m.id = t.member_id
   WHERE t.kind IN ('award','deduction','adjustment','reversal','post') AND e.amount <> 0
   GROUP BY 1, 2, 3;
  GET DIAGNOSTICS n = ROW_COUNT;
  DELETE FROM report_unit_months;
  INSERT INTO report_unit_months
         (org_unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT org_unit_id, month, sum(issued), sum(deducted), sum(earning_postings), sum(redeemed), sum(redemptions)
    FROM report_member_months GROUP BY 1, 2;

  DELETE FROM report_hours_days;
  DELETE FROM report_member_days;
  DELETE FROM report_volunteer_days;
  CREATE TEMP TABLE report_rebuild_recs ON COMMIT DROP AS
  SELECT p.member_id, a.org_unit_id AS work, (a.starts_at AT TIME ZONE tz)::date AS day,
         p.hours_cents AS h, 0 AS req
    FROM activities a JOIN activity_participants p ON p.activity_id = a.id
   WHERE a.status = 'verified'
  UNION ALL
  SELECT r.member_id, r.org_unit_id, (r.completed_at AT TIME ZONE tz)::date, coalesce(r.hours_cents, 0), 1
    FROM service_requests r WHERE r.status = 'confirmed';
  INSERT INTO report_hours_days (work_unit_id, day, home_unit_id, hours_cents, records, requests)
  SELECT x.work, x.day, m.org_unit_id, sum(x.h), count(*), sum(x.req)
    FROM report_rebuild_recs x JOIN members m ON m.id = x.member_id
   GROUP BY 1, 2, 3;
  INSERT INTO report_member_days (member_id, day)
  SELECT DISTINCT member_id, day FROM report_rebuild_recs;
  INSERT INTO report_volunteer_days (home_unit_id, day, prev_day, n)
  SELECT m.org_unit_id, d.day, d.prev, count(*)
    FROM (SELECT b.member_id, b.day,
                 coalesce(lag(b.day) OVER (PARTITION BY b.member_id ORDER BY b.day), '-infinity') AS prev
            FROM report_member_days b) d
    JOIN members m ON m.id = d.member_id
   GROUP BY 1, 2, 3;
  DROP TABLE report_rebuild_recs;
  RETURN n;
END;
$$;
--> statement-breakpoint
ALTER FUNCTION report_rollups_rebuild(text) SET work_mem = '256MB';
