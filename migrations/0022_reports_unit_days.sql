-- report_unit_days: the points of report_unit_months per home unit and service-zone DAY, for the days at
-- the edges of a period that is not whole months ("12 March to 3 May" reads 12-31 March and 1-3 May here,
-- April from report_unit_months). Read raw, those edge days made a city's summary join every member of
-- the city to 300,000 postings (7-12 s); here they are one index-only range per unit. Whole months stay
-- on report_unit_months (a unit posts on most days: a year of days is ~30 times the rows of its months).
-- Kept by the same deferred commit-time trigger as report_unit_months (no new lock order: the day row of
-- a unit is taken right after its month row), moved with a member, rebuilt with the other rollups.
CREATE TABLE report_unit_days (
  org_unit_id uuid NOT NULL,
  day date NOT NULL,
  issued bigint NOT NULL DEFAULT 0,
  deducted bigint NOT NULL DEFAULT 0,
  earning_postings integer NOT NULL DEFAULT 0,
  redeemed bigint NOT NULL DEFAULT 0,
  redemptions integer NOT NULL DEFAULT 0,
  CONSTRAINT report_unit_days_pk PRIMARY KEY (org_unit_id, day) INCLUDE (issued, deducted, redeemed, redemptions)
);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_rollup_unit_posting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  amt bigint;
  unit uuid;
BEGIN
  SELECT time_zone INTO tz FROM report_settings;
  SELECT e.amount INTO amt FROM ledger_entries e
   WHERE e.transaction_id = NEW.id AND e.account_id = NEW.account_id;
  IF amt IS NULL OR amt = 0 THEN
    RETURN NULL;
  END IF;
  SELECT m.org_unit_id INTO unit FROM members m WHERE m.id = NEW.member_id;
  INSERT INTO report_unit_months AS r
         (org_unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  VALUES (unit, date_trunc('month', NEW.created_at AT TIME ZONE tz)::date,
          CASE WHEN NEW.kind <> 'post' THEN greatest(amt, 0) ELSE 0 END,
          CASE WHEN NEW.kind <> 'post' THEN greatest(-amt, 0) ELSE 0 END,
          CASE WHEN NEW.kind <> 'post' THEN 1 ELSE 0 END,
          CASE WHEN NEW.kind = 'post' THEN -amt ELSE 0 END,
          CASE WHEN NEW.kind = 'post' THEN 1 ELSE 0 END)
  ON CONFLICT (org_unit_id, month) DO UPDATE
     SET issued = r.issued + excluded.issued,
         deducted = r.deducted + excluded.deducted,
         earning_postings = r.earning_postings + excluded.earning_postings,
         redeemed = r.redeemed + excluded.redeemed,
         redemptions = r.redemptions + excluded.redemptions;
  INSERT INTO report_unit_days AS r
         (org_unit_id, day, issued, deducted, earning_postings, redeemed, redemptions)
  VALUES (unit, (NEW.created_at AT TIME ZONE tz)::date,
          CASE WHEN NEW.kind <> 'post' THEN greatest(amt, 0) ELSE 0 END,
          CASE WHEN NEW.kind <> 'post' THEN greatest(-amt, 0) ELSE 0 END,
          CASE WHEN NEW.kind <> 'post' THEN 1 ELSE 0 END,
          CASE WHEN NEW.kind = 'post' THEN -amt ELSE 0 END,
          CASE WHEN NEW.kind = 'post' THEN 1 ELSE 0 END)
  ON CONFLICT (org_unit_id, day) DO UPDATE
     SET issued = r.issued + excluded.issued,
         deducted = r.deducted + excluded.deducted,
         earning_postings = r.earning_postings + excluded.earning_postings,
         redeemed = r.redeemed + excluded.redeemed,
         redemptions = r.redemptions + excluded.redemptions;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- A member changing home unit takes their points' days along. report_member_months has no days, so the
-- member's postings are read raw (one account's history, by its (account_id, chain_seq) index), after the
-- member's account row is locked: a posting in flight has committed (and is in the old unit's rows, so it
-- moves), a later one waits and lands in the new unit. One sorted statement (no lock cycle).
CREATE OR REPLACE FUNCTION report_unit_days_member_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  acct uuid;
BEGIN
  SELECT id INTO acct FROM ledger_accounts WHERE member_id = NEW.id FOR UPDATE;
  SELECT time_zone INTO tz FROM report_settings;
  WITH mine AS (
         SELECT (t.created_at AT TIME ZONE tz)::date AS day,
                coalesce(sum(greatest(e.amount, 0)) FILTER (WHERE t.kind <> 'post'), 0) AS issued,
                coalesce(sum(greatest(-e.amount, 0)) FILTER (WHERE t.kind <> 'post'), 0) AS deducted,
                count(*) FILTER (WHERE t.kind <> 'post') AS postings,
                coalesce(-sum(e.amount) FILTER (WHERE t.kind = 'post'), 0) AS redeemed,
                count(*) FILTER (WHERE t.kind = 'post') AS redemptions
           FROM ledger_transactions t
           JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id = t.account_id
          WHERE t.account_id = acct AND t.member_id = NEW.id AND e.amount <> 0
            AND t.kind IN ('award','deduction','adjustment','reversal','post')
          GROUP BY 1),
       deltas AS (
         SELECT OLD.org_unit_id AS unit, day, -issued AS issued, -deducted AS deducted, -postings AS postings,
                -redeemed AS redeemed, -redemptions AS redemptions FROM mine
         UNION ALL
         SELECT NEW.org_unit_id, day, issued, deducted, postings, redeemed, redemptions FROM mine)
  INSERT INTO report_unit_days AS r
         (org_unit_id, day, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT unit, day, sum(issued), sum(deducted), sum(postings), sum(redeemed), sum(redemptions)
    FROM deltas GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (org_unit_id, day) DO UPDATE
     SET issued = r.issued + excluded.issued,
         deducted = r.deducted + excluded.deducted,
         earning_postings = r.earning_postings + excluded.earning_postings,
         redeemed = r.redeemed + excluded.redeemed,
         redemptions = r.redemptions + excluded.redemptions;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER report_unit_days_member_moved
  AFTER UPDATE OF org_unit_id ON members
  FOR EACH ROW WHEN (OLD.org_unit_id IS DISTINCT FROM NEW.org_unit_id)
  EXECUTE FUNCTION report_unit_days_member_moved();
--> statement-breakpoint
-- The rebuild reads the ledger once, into points per (member, day), and derives the member months, the
-- unit months and the unit days from that.
CREATE OR REPLACE FUNCTION report_rollups_rebuild(p_time_zone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  n bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'report_rollups_rebuild() must run in READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  LOCK TABLE report_member_months, report_unit_months, report_unit_days, report_hours_days,
             report_member_days, report_volunteer_days IN EXCLUSIVE MODE;
  IF p_time_zone IS NOT NULL THEN
    PERFORM now() AT TIME ZONE p_time_zone; -- an unknown zone fails here, before anything changes
    UPDATE report_settings SET time_zone = p_time_zone;
  END IF;
  SELECT time_zone INTO tz FROM report_settings;
  CREATE TEMP TABLE report_rebuild_points ON COMMIT DROP AS
  SELECT t.member_id, (t.created_at AT TIME ZONE tz)::date AS day,
         coalesce(sum(greatest(e.amount, 0)) FILTER (WHERE t.kind <> 'post'), 0) AS issued,
         coalesce(sum(greatest(-e.amount, 0)) FILTER (WHERE t.kind <> 'post'), 0) AS deducted,
         count(*) FILTER (WHERE t.kind <> 'post') AS postings,
         coalesce(-sum(e.amount) FILTER (WHERE t.kind = 'post'), 0) AS redeemed,
         count(*) FILTER (WHERE t.kind = 'post') AS redemptions
    FROM ledger_transactions t
    JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id = t.account_id
   WHERE t.kind IN ('award','deduction','adjustment','reversal','post') AND e.amount <> 0
   GROUP BY 1, 2;
  DELETE FROM report_member_months;
  INSERT INTO report_member_months
         (member_id, month, org_unit_id, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT p.member_id, date_trunc('month', p.day)::date, m.org_unit_id, sum(p.issued), sum(p.deducted),
         sum(p.postings), sum(p.redeemed), sum(p.redemptions)
    FROM report_rebuild_points p JOIN members m ON m.id = p.member_id
   GROUP BY 1, 2, 3;
  GET DIAGNOSTICS n = ROW_COUNT;
  DELETE FROM report_unit_months;
  INSERT INTO report_unit_months
         (org_unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT org_unit_id, month, sum(issued), sum(deducted), sum(earning_postings), sum(redeemed), sum(redemptions)
    FROM report_member_months GROUP BY 1, 2;
  DELETE FROM report_unit_days;
  INSERT INTO report_unit_days
         (org_unit_id, day, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT m.org_unit_id, p.day, sum(p.issued), sum(p.deducted), sum(p.postings), sum(p.redeemed),
         sum(p.redemptions)
    FROM report_rebuild_points p JOIN members m ON m.id = p.member_id
   GROUP BY 1, 2;
  DROP TABLE report_rebuild_points;

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
