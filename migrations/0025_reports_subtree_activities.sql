-- Activities held per subtree and day: the summary's "activities" (any status, by start day) for a city
-- counted 132,000 activities of 15,000 units (60-80 ms); here it is the city's own ~365 rows. An activity
-- is counted once, when created, for its unit and every unit above it (units never move; an activity's
-- unit and start never change and it is never deleted: activities_guard). Written at commit by a deferred
-- trigger (an activity's creation is rare; the rows of a day are held for the instant of a commit).
CREATE TABLE report_subtree_activity_days (
  unit_id uuid NOT NULL,
  day date NOT NULL,
  activities integer NOT NULL DEFAULT 0,
  CONSTRAINT report_subtree_activity_days_pk PRIMARY KEY (unit_id, day) INCLUDE (activities)
);
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_activity_created() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
BEGIN
  SELECT time_zone INTO tz FROM report_settings;
  INSERT INTO report_subtree_activity_days AS s (unit_id, day, activities)
  SELECT u, (NEW.starts_at AT TIME ZONE tz)::date, 1 FROM unnest(report_unit_line(NEW.org_unit_id)) u ORDER BY u
  ON CONFLICT (unit_id, day) DO UPDATE SET activities = s.activities + 1;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER report_activity_created
  AFTER INSERT ON activities DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION report_activity_created();
--> statement-breakpoint
-- The rebuild also recounts activities per subtree and day.
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
             report_member_days, report_volunteer_days, report_subtree_hours_days,
             report_subtree_activity_days IN EXCLUSIVE MODE;
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
  DROP TABLE report_rebuild_recs;
  CREATE TEMP TABLE report_rebuild_lines ON COMMIT DROP AS
  SELECT id, string_to_array(trim(both '/' from path), '/')::uuid[] AS line FROM org_units;
  ALTER TABLE report_rebuild_lines ADD PRIMARY KEY (id);
  -- Each (work unit, day, home unit) row, once to every unit above or at either end.
  DELETE FROM report_subtree_hours_days;
  INSERT INTO report_subtree_hours_days (unit_id, day, hours_cents, records, requests, visiting_records)
  SELECT s.u, r.day, sum(r.hours_cents), sum(r.records), sum(r.requests),
         coalesce(sum(r.records) FILTER (WHERE s.u <> ALL (hl.line)), 0)
    FROM report_hours_days r
    JOIN report_rebuild_lines wl ON wl.id = r.work_unit_id
    JOIN report_rebuild_lines hl ON hl.id = r.home_unit_id
   CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(wl.line || hl.line) u) s
   GROUP BY 1, 2;
  -- Grouped per home unit first (members of a branch serving together share a row), then spread upwards.
  INSERT INTO report_volunteer_days (unit_id, day, prev_day, n)
  SELECT u, g.day, g.prev, sum(g.n)
    FROM (SELECT m.org_unit_id AS home, d.day, d.prev, count(*) AS n
            FROM (SELECT b.member_id, b.day,
                         coalesce(lag(b.day) OVER (PARTITION BY b.member_id ORDER BY b.day), '-infinity') AS prev
                    FROM report_member_days b) d
            JOIN members m ON m.id = d.member_id
           GROUP BY 1, 2, 3) g
    JOIN report_rebuild_lines l ON l.id = g.home
   CROSS JOIN LATERAL unnest(l.line) u
   GROUP BY 1, 2, 3;
  DELETE FROM report_subtree_activity_days;
  INSERT INTO report_subtree_activity_days (unit_id, day, activities)
  SELECT u, g.day, sum(g.n)
    FROM (SELECT a.org_unit_id, (a.starts_at AT TIME ZONE tz)::date AS day, count(*) AS n
            FROM activities a GROUP BY 1, 2) g
    JOIN report_rebuild_lines l ON l.id = g.org_unit_id
   CROSS JOIN LATERAL unnest(l.line) u
   GROUP BY 1, 2;
  DROP TABLE report_rebuild_lines;
  RETURN n;
END;
$$;
--> statement-breakpoint
ALTER FUNCTION report_rollups_rebuild(text) SET work_mem = '256MB';
