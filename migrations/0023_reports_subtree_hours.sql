-- Hours and volunteers per SUBTREE and day (issue 8): a city's summary read the hours rollups of its
-- 15,000 units one index probe each (five times: hours in, hours of members out, volunteers, the 双报到
-- pairs, points), 0.7-1 s in all. Org units never move (org_units_guard_update), so a record can be
-- added, once and for all, to every unit above where it happened and above its member's home: a
-- subtree's figures for a year are then ~365 rows of its own, whatever its size.
--
-- report_subtree_hours_days: verified hours of a day counted for a unit's subtree, i.e. of records whose
-- work unit or member's home unit lies in it (each record once per unit of anc(work) U anc(home)).
-- visiting_records: those of them whose member's home is outside the subtree (双报到 visitors); when it is
-- 0 over a period, the raw look-up of visiting volunteers is skipped. Written at verification and
-- confirmation (rare, ~6 rows per record; the city's row of a day is shared by all verifications of that
-- day, held for the instant of their commit) and when a member moves.
CREATE TABLE report_subtree_hours_days (
  unit_id uuid NOT NULL,
  day date NOT NULL,
  hours_cents bigint NOT NULL DEFAULT 0,
  records integer NOT NULL DEFAULT 0,
  requests integer NOT NULL DEFAULT 0,
  visiting_records integer NOT NULL DEFAULT 0,
  CONSTRAINT report_subtree_hours_days_pk PRIMARY KEY (unit_id, day)
    INCLUDE (hours_cents, records, requests, visiting_records)
);
--> statement-breakpoint
-- report_volunteer_days now holds each member-day once per unit above or at the member's home (was: the
-- home unit only): "volunteers homed in the subtree" is the subtree unit's own rows.
ALTER TABLE report_volunteer_days RENAME COLUMN home_unit_id TO unit_id;
--> statement-breakpoint
-- The unit and every unit above it, root first (org_units.path, which never changes).
CREATE OR REPLACE FUNCTION report_unit_line(p_unit uuid) RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT string_to_array(trim(both '/' from path), '/')::uuid[] FROM org_units WHERE id = p_unit
$$;
--> statement-breakpoint
-- As before (migration reports_hours_rollups, same lock order: member advisory locks, report_hours_days,
-- report_subtree_hours_days, report_volunteer_days, each in one sorted statement), plus the subtree rows.
CREATE OR REPLACE FUNCTION report_hours_add(p_work uuid, p_day date, p_members uuid[], p_hours bigint[],
                                            p_request boolean) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  work_line uuid[] := report_unit_line(p_work);
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
  WITH recs AS (
         SELECT coalesce(x.h, 0) AS h, report_unit_line(mm.org_unit_id) AS home_line
           FROM unnest(p_members, p_hours) AS x(m, h) JOIN members mm ON mm.id = x.m),
       contrib AS (
         SELECT s.u, r.h, s.u <> ALL (r.home_line) AS visiting
           FROM recs r CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(work_line || r.home_line) u) s)
  INSERT INTO report_subtree_hours_days AS s (unit_id, day, hours_cents, records, requests, visiting_records)
  SELECT u, p_day, sum(h), count(*), CASE WHEN p_request THEN count(*) ELSE 0 END,
         count(*) FILTER (WHERE visiting)
    FROM contrib GROUP BY u ORDER BY u
  ON CONFLICT (unit_id, day) DO UPDATE
     SET hours_cents = s.hours_cents + excluded.hours_cents, records = s.records + excluded.records,
         requests = s.requests + excluded.requests,
         visiting_records = s.visiting_records + excluded.visiting_records;
  WITH fresh AS (
         INSERT INTO report_member_days (member_id, day)
         SELECT DISTINCT m, p_day FROM unnest(p_members) m
         ON CONFLICT DO NOTHING RETURNING member_id),
       around AS (
         SELECT report_unit_line(mm.org_unit_id) AS line,
                coalesce((SELECT max(b.day) FROM report_member_days b
                           WHERE b.member_id = f.member_id AND b.day < p_day), '-infinity') AS prev,
                (SELECT min(b.day) FROM report_member_days b
                  WHERE b.member_id = f.member_id AND b.day > p_day) AS next
           FROM fresh f JOIN members mm ON mm.id = f.member_id),
       deltas AS (
         SELECT u, p_day AS day, prev, 1 AS n FROM around CROSS JOIN LATERAL unnest(line) u
         UNION ALL
         SELECT u, next, prev, -1 FROM around CROSS JOIN LATERAL unnest(line) u WHERE next IS NOT NULL
         UNION ALL
         SELECT u, next, p_day, 1 FROM around CROSS JOIN LATERAL unnest(line) u WHERE next IS NOT NULL)
  INSERT INTO report_volunteer_days AS v (unit_id, day, prev_day, n)
  SELECT u, day, prev, sum(n) FROM deltas GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (unit_id, day, prev_day) DO UPDATE SET n = v.n + excluded.n;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_hours_member_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  old_line uuid[] := report_unit_line(OLD.org_unit_id);
  new_line uuid[] := report_unit_line(NEW.org_unit_id);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('report-hours:' || NEW.id::text, 0));
  SELECT time_zone INTO tz FROM report_settings;
  CREATE TEMP TABLE report_moved_recs ON COMMIT DROP AS
  SELECT a.org_unit_id AS work, (a.starts_at AT TIME ZONE tz)::date AS day, p.hours_cents AS h, 0 AS req
    FROM activity_participants p JOIN activities a ON a.id = p.activity_id
   WHERE p.member_id = NEW.id AND a.status = 'verified'
  UNION ALL
  SELECT r.org_unit_id, (r.completed_at AT TIME ZONE tz)::date, coalesce(r.hours_cents, 0), 1
    FROM service_requests r WHERE r.member_id = NEW.id AND r.status = 'confirmed';
  WITH deltas AS (
         SELECT work, day, OLD.org_unit_id AS home, -h AS h, -1 AS n, -req AS req FROM report_moved_recs
         UNION ALL
         SELECT work, day, NEW.org_unit_id, h, 1, req FROM report_moved_recs)
  INSERT INTO report_hours_days AS r (work_unit_id, day, home_unit_id, hours_cents, records, requests)
  SELECT work, day, home, sum(h), sum(n), sum(req) FROM deltas GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
  ON CONFLICT (work_unit_id, day, home_unit_id) DO UPDATE
     SET hours_cents = r.hours_cents + excluded.hours_cents, records = r.records + excluded.records,
         requests = r.requests + excluded.requests;
  WITH deltas AS (
         SELECT s.u, x.day, -x.h AS h, -1 AS n, -x.req AS req, -(s.u <> ALL (old_line))::int AS vis
           FROM report_moved_recs x
          CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(report_unit_line(x.work) || old_line) u) s
         UNION ALL
         SELECT s.u, x.day, x.h, 1, x.req, (s.u <> ALL (new_line))::int
           FROM report_moved_recs x
          CROSS JOIN LATERAL (SELECT DISTINCT u FROM unnest(report_unit_line(x.work) || new_line) u) s)
  INSERT INTO report_subtree_hours_days AS s (unit_id, day, hours_cents, records, requests, visiting_records)
  SELECT u, day, sum(h), sum(n), sum(req), sum(vis) FROM deltas GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (unit_id, day) DO UPDATE
     SET hours_cents = s.hours_cents + excluded.hours_cents, records = s.records + excluded.records,
         requests = s.requests + excluded.requests,
         visiting_records = s.visiting_records + excluded.visiting_records;
  DROP TABLE report_moved_recs;
  WITH days AS (
         SELECT b.day, coalesce(lag(b.day) OVER (ORDER BY b.day), '-infinity') AS prev
           FROM report_member_days b WHERE b.member_id = NEW.id),
       deltas AS (
         SELECT u, day, prev, -1 AS n FROM days CROSS JOIN unnest(old_line) u
         UNION ALL
         SELECT u, day, prev, 1 FROM days CROSS JOIN unnest(new_line) u)
  INSERT INTO report_volunteer_days AS v (unit_id, day, prev_day, n)
  SELECT u, day, prev, sum(n) FROM deltas GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3
  ON CONFLICT (unit_id, day, prev_day) DO UPDATE SET n = v.n + excluded.n;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- The rebuild also recomputes the subtree rows, from report_hours_days (one row per (work, day, home),
-- ~190,000 at city scale, instead of 1.9 M records) and from the members' active days.
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
             report_member_days, report_volunteer_days, report_subtree_hours_days IN EXCLUSIVE MODE;
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
  DROP TABLE report_rebuild_lines;
  RETURN n;
END;
$$;
--> statement-breakpoint
ALTER FUNCTION report_rollups_rebuild(text) SET work_mem = '256MB';
