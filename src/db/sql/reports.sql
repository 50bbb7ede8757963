-- Functions, triggers and views of the report rollups (src/db/schema/reports.ts).
-- Repeatable SQL, applied by migrate() (src/db/migrate.ts, "Repeatable SQL") after the migrations whenever
-- this text changes: edit a definition here, in place, never in a migration. Every statement runs again on
-- each change, so each is idempotent (CREATE OR REPLACE, DROP TRIGGER IF EXISTS before CREATE TRIGGER).

-- What one posting adds to the points rollups, by its kind and its member entry's amount: scoring results,
-- deductions, adjustments and reversals are issued (the positive amount), deducted (the negative, negated) and
-- counted as earning postings; a settled redemption hold ('post') is redeemed and counted as a redemption. The one
-- definition of the figures: the posting triggers, the member's move and the rebuild all add or sum this. SQL
-- without a FROM: inlined into the statement that calls it.
CREATE OR REPLACE FUNCTION report_points(p_kind text, p_amount bigint)
RETURNS TABLE (issued bigint, deducted bigint, earning_postings integer, redeemed bigint, redemptions integer)
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN p_kind <> 'post' THEN greatest(p_amount, 0) ELSE 0 END,
         CASE WHEN p_kind <> 'post' THEN greatest(-p_amount, 0) ELSE 0 END,
         CASE WHEN p_kind <> 'post' THEN 1 ELSE 0 END,
         CASE WHEN p_kind = 'post' THEN -p_amount ELSE 0 END,
         CASE WHEN p_kind = 'post' THEN 1 ELSE 0 END
$$;

-- One posting's points as its two triggers add them: the member's home unit, the service-zone month and day of
-- the posting, and report_points of its member entry. No row for an entry of 0 (nothing to add). One statement,
-- inlined into the trigger's (it reads the entry, the member and the zone once).
CREATE OR REPLACE FUNCTION report_posting_points(t ledger_transactions)
RETURNS TABLE (org_unit_id uuid, month date, day date, issued bigint, deducted bigint, earning_postings integer,
               redeemed bigint, redemptions integer)
LANGUAGE sql STABLE AS $$
  SELECT (SELECT m.org_unit_id FROM members m WHERE m.id = t.member_id),
         date_trunc('month', z.at)::date, z.at::date, p.*
    FROM ledger_entries e,
         LATERAL (SELECT t.created_at AT TIME ZONE (SELECT time_zone FROM report_settings) AS at) z,
         LATERAL report_points(t.kind, e.amount) p
   WHERE e.transaction_id = t.id AND e.account_id = t.account_id AND e.amount <> 0
$$;

-- Fired by a posting's transaction row, at the end of the posting statement (which has by then also
-- inserted the entries), in the posting's own transaction: the rollup commits or rolls back with it.
-- Holds and voids never reach this function (the trigger's WHEN), so the redemption counter path, the
-- busiest write, pays nothing.
CREATE OR REPLACE FUNCTION report_rollup_posting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p record;
BEGIN
  SELECT * INTO p FROM report_posting_points(NEW);
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO report_member_months AS r
         (member_id, month, org_unit_id, issued, deducted, earning_postings, redeemed, redemptions)
  VALUES (NEW.member_id, p.month, p.org_unit_id, p.issued, p.deducted, p.earning_postings, p.redeemed,
          p.redemptions)
  ON CONFLICT (member_id, month) DO UPDATE
     SET issued = r.issued + excluded.issued,
         deducted = r.deducted + excluded.deducted,
         earning_postings = r.earning_postings + excluded.earning_postings,
         redeemed = r.redeemed + excluded.redeemed,
         redemptions = r.redemptions + excluded.redemptions;
  -- The member's year (the ranking's one row per member); a settled redemption earns nothing there.
  IF p.earning_postings > 0 THEN
    INSERT INTO report_member_years AS y (member_id, year, org_unit_id, issued, deducted)
    VALUES (NEW.member_id, extract(year FROM p.month)::integer, p.org_unit_id, p.issued, p.deducted)
    ON CONFLICT (member_id, year) DO UPDATE
       SET issued = y.issued + excluded.issued, deducted = y.deducted + excluded.deducted;
  END IF;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS report_rollup_posting ON ledger_transactions;
CREATE TRIGGER report_rollup_posting
  AFTER INSERT ON ledger_transactions
  FOR EACH ROW WHEN (NEW.kind IN ('award','deduction','adjustment','reversal','post'))
  EXECUTE FUNCTION report_rollup_posting();

-- A member changing home unit takes their points along: out of the old unit's months and days, into the new
-- one's. Runs before the member rows are relabelled. The member's account row is locked first: a posting for this
-- member in flight commits before (its member and unit rows then include it and move with the rest), a later one
-- waits and lands in the new unit. The months move what report_member_months has of the member; it has no days, so
-- the days are read raw (one account's history, by its (account_id, chain_seq) index), in one sorted statement (no
-- lock cycle).
CREATE OR REPLACE FUNCTION report_rollup_member_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  acct uuid;
BEGIN
  SELECT id INTO acct FROM ledger_accounts WHERE member_id = NEW.id FOR UPDATE;
  UPDATE report_unit_months u
     SET issued = u.issued - m.issued, deducted = u.deducted - m.deducted,
         earning_postings = u.earning_postings - m.earning_postings,
         redeemed = u.redeemed - m.redeemed, redemptions = u.redemptions - m.redemptions
    FROM report_member_months m
   WHERE m.member_id = NEW.id AND u.org_unit_id = OLD.org_unit_id AND u.month = m.month;
  INSERT INTO report_unit_months AS u
         (org_unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT NEW.org_unit_id, m.month, m.issued, m.deducted, m.earning_postings, m.redeemed, m.redemptions
    FROM report_member_months m WHERE m.member_id = NEW.id
   ORDER BY m.month
  ON CONFLICT (org_unit_id, month) DO UPDATE
     SET issued = u.issued + excluded.issued,
         deducted = u.deducted + excluded.deducted,
         earning_postings = u.earning_postings + excluded.earning_postings,
         redeemed = u.redeemed + excluded.redeemed,
         redemptions = u.redemptions + excluded.redemptions;
  -- The months folded or being folded (before points_fold_cutoff) as deltas: out of the old unit's line, into the
  -- new one's (the units above both cancel out). The cutoff is read after the unit rows above, which wait for a
  -- fold's begin in progress.
  INSERT INTO report_subtree_month_deltas
         (unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT u, m.month, sum(s.sign * m.issued), sum(s.sign * m.deducted), sum(s.sign * m.earning_postings),
         sum(s.sign * m.redeemed), sum(s.sign * m.redemptions)
    FROM report_member_months m
   CROSS JOIN LATERAL (VALUES (-1, report_unit_line(OLD.org_unit_id)), (1, report_unit_line(NEW.org_unit_id)))
         AS s(sign, line)
   CROSS JOIN LATERAL unnest(s.line) u
   WHERE m.member_id = NEW.id AND m.month < (SELECT points_fold_cutoff FROM report_settings)
   GROUP BY 1, 2
  HAVING sum(s.sign * m.issued) <> 0 OR sum(s.sign * m.deducted) <> 0 OR sum(s.sign * m.earning_postings) <> 0
      OR sum(s.sign * m.redeemed) <> 0 OR sum(s.sign * m.redemptions) <> 0;
  UPDATE report_member_months SET org_unit_id = NEW.org_unit_id WHERE member_id = NEW.id;
  UPDATE report_member_years SET org_unit_id = NEW.org_unit_id WHERE member_id = NEW.id;
  SELECT time_zone INTO tz FROM report_settings;
  WITH mine AS (
         SELECT (t.created_at AT TIME ZONE tz)::date AS day, sum(p.issued) AS issued, sum(p.deducted) AS deducted,
                sum(p.earning_postings) AS postings, sum(p.redeemed) AS redeemed, sum(p.redemptions) AS redemptions
           FROM ledger_transactions t
           JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id = t.account_id
          CROSS JOIN LATERAL report_points(t.kind, e.amount) p
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

DROP TRIGGER IF EXISTS report_rollup_member_moved ON members;
CREATE TRIGGER report_rollup_member_moved
  AFTER UPDATE OF org_unit_id ON members
  FOR EACH ROW WHEN (OLD.org_unit_id IS DISTINCT FROM NEW.org_unit_id)
  EXECUTE FUNCTION report_rollup_member_moved();

-- Its days were a trigger of their own before (report_unit_days_member_moved), now part of the one above.
DROP TRIGGER IF EXISTS report_unit_days_member_moved ON members;
DROP FUNCTION IF EXISTS report_unit_days_member_moved();

-- report_unit_months summed per subtree for the months in [p_from, p_to): each unit's row to every unit of its line.
-- Writes report_subtree_months rows that must not exist yet. The deltas of those months are deleted in the same
-- statement (one snapshot): they are of late postings and moves, which are in the unit rows too, so each is counted
-- once, in the folded row if this statement sees it and as a delta if it commits after. No posting adds to these
-- months without a delta meanwhile: they are before points_fold_cutoff (report_points_fold_finish), or the caller
-- holds report_unit_months locked (the rebuild, EXCLUSIVE).
CREATE OR REPLACE FUNCTION report_points_fold_months(p_from date, p_to date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  WITH counted AS (DELETE FROM report_subtree_month_deltas WHERE month >= p_from AND month < p_to RETURNING 1)
  INSERT INTO report_subtree_months (unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT u, r.month, sum(r.issued), sum(r.deducted), sum(r.earning_postings), sum(r.redeemed), sum(r.redemptions)
    FROM report_unit_months r
    JOIN org_units o ON o.id = r.org_unit_id
   CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from o.path), '/')::uuid[]) u
   WHERE r.month >= p_from AND r.month < p_to
   GROUP BY 1, 2;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END;
$$;

-- The fold: the months that are over (before p_before; NULL: before the current service-zone month) into
-- report_subtree_months, once, and the deltas appended since into their rows. The service runs it at start and
-- every hour (foldPoints, src/modules/reports/fold.ts) as two transactions, so that postings never wait for it:
--
-- 1. report_points_fold_begin moves points_fold_cutoff, the postings' side: from its commit on, a posting (or a
--    member's move) in a month before it also appends report_subtree_month_deltas. Its lock on report_unit_months
--    (SHARE ROW EXCLUSIVE) waits only for the postings in flight, whose commit already added to the unit rows: each
--    posting therefore either committed before the cutoff moved, or reads the new cutoff (its trigger reads it
--    after its unit-row upsert, which waits for this lock) and appends deltas. Held for milliseconds.
-- 2. report_points_fold_finish folds [points_folded_before, points_fold_cutoff) from the unit rows, with no lock
--    a posting waits on, and moves points_folded_before, the readers' side, up to the cutoff. The unit rows of those
--    months hold every posting, and the deltas of those months only the late ones, also in the unit rows: one
--    statement folds the unit rows and deletes the deltas its snapshot sees, so a late posting is counted once,
--    in the folded row if the statement saw it and as a delta if it committed after.
--
-- Readers (pointsGrouped, src/modules/reports/repo.ts) sum the folded rows and their deltas before
-- points_folded_before and the unit rows from it on, so between the two steps they read unit rows, as before a fold.
-- Safe in any number of processes: one fold at a time (the advisory lock; a second finds it taken and returns, the
-- next interval finds the months done). Nothing depends on it for correctness: an unfolded month is only slower to
-- sum. A month's fold at city scale is about half a second (0.53 s measured, 15,752 rows). Both steps need READ
-- COMMITTED, as every transaction of the service runs (src/db/client.ts): the posting trigger's read of the cutoff
-- must see a begin that committed while it waited, and each statement needs a snapshot taken after its locks.
-- Each step's first call: one fold at a time across processes (false when another holds it, until its transaction
-- ends), and READ COMMITTED, or nothing.
CREATE OR REPLACE FUNCTION report_points_fold_lock() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'the fold (report_points_fold_begin, _finish) must run in READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  RETURN pg_try_advisory_xact_lock(727005);
END;
$$;

CREATE OR REPLACE FUNCTION report_points_fold_begin(p_before date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  cutoff date;
  upto date;
BEGIN
  IF NOT report_points_fold_lock() THEN
    RETURN false; -- another process is folding
  END IF;
  SELECT time_zone, points_fold_cutoff INTO tz, cutoff FROM report_settings;
  upto := coalesce(p_before, date_trunc('month', now() AT TIME ZONE tz)::date);
  IF upto > cutoff THEN
    LOCK TABLE report_unit_months IN SHARE ROW EXCLUSIVE MODE;
    UPDATE report_settings SET points_fold_cutoff = upto WHERE points_fold_cutoff < upto;
  END IF;
  RETURN true;
END;
$$;

CREATE OR REPLACE FUNCTION report_points_fold_finish() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  done date;
  cutoff date;
  n bigint := 0;
  m bigint;
BEGIN
  IF NOT report_points_fold_lock() THEN
    RETURN 0;
  END IF;
  -- The tables before the settings row, in the rebuild's order (it locks them all, then updates the row).
  LOCK TABLE report_subtree_months, report_subtree_month_deltas IN ROW EXCLUSIVE MODE;
  SELECT points_folded_before, points_fold_cutoff INTO done, cutoff FROM report_settings FOR UPDATE;
  IF cutoff > done THEN
    n := report_points_fold_months(done, cutoff);
    UPDATE report_settings SET points_folded_before = cutoff;
    done := cutoff;
  END IF;
  -- The deltas of the folded months into their rows in one statement: a report sees each either as a delta or in
  -- its row.
  WITH d AS (DELETE FROM report_subtree_month_deltas WHERE month < done RETURNING *)
  INSERT INTO report_subtree_months AS s (unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  SELECT unit_id, month, sum(issued), sum(deducted), sum(earning_postings), sum(redeemed), sum(redemptions)
    FROM d GROUP BY 1, 2 ORDER BY 1, 2
  ON CONFLICT (unit_id, month) DO UPDATE
     SET issued = s.issued + excluded.issued,
         deducted = s.deducted + excluded.deducted,
         earning_postings = s.earning_postings + excluded.earning_postings,
         redeemed = s.redeemed + excluded.redeemed,
         redemptions = s.redemptions + excluded.redemptions;
  GET DIAGNOSTICS m = ROW_COUNT;
  RETURN n + m;
END;
$$;

-- Both steps in one transaction, for psql by hand (`select report_points_fold();`): correct, but the begin's lock
-- is then held until the fold commits, so postings wait for the whole fold. The service runs the steps apart.
CREATE OR REPLACE FUNCTION report_points_fold(p_before date) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  IF NOT report_points_fold_begin(p_before) THEN
    RETURN 0;
  END IF;
  RETURN report_points_fold_finish();
END;
$$;

CREATE OR REPLACE FUNCTION report_points_fold() RETURNS bigint LANGUAGE sql AS $$
  SELECT report_points_fold(NULL::date);
$$;

-- The documented rebuild job: recomputes every rollup row from the ledger. Run it after loading history
-- with triggers off (session_replication_role = replica, as the benchmark generator does), after any
-- change made outside the API, or with a zone to recut the months after TIMEZONE changed:
--   select report_rollups_rebuild();                  -- keep the zone
--   select report_rollups_rebuild('Asia/Shanghai');   -- set the zone, then rebuild
-- Returns the number of rollup rows written. Safe while the service runs: the EXCLUSIVE lock lets reports
-- read the old rows meanwhile, makes postings in flight commit first (their trigger holds ROW EXCLUSIVE)
-- and new postings wait for the rebuild to commit, then add on top of it. It must run in READ COMMITTED
-- (the default): the INSERT needs a snapshot taken after the lock. Verifications likewise wait at their
-- commit for the rebuild to commit, then add on top of it.
-- What it rebuilds: the points, reading the ledger once into points per (member, day) and deriving the member
-- months, the unit months and the unit days from that; the hours rollups from the activities and requests;
-- the subtree rows from report_hours_days (one row per (work, day, home), ~190,000 at city scale, instead of
-- 1.9 M records) and from the members' active days; the activities per subtree and day.
-- Two functions, () and (zone), instead of one with a default argument: jobs and loaders look for a
-- zero-argument rebuild (the benchmark generator calls every public zero-argument function named like
-- *rollup*rebuild* after loading with triggers off). work_mem: the rebuild sorts the whole ledger.
CREATE OR REPLACE FUNCTION report_rollups_rebuild(p_time_zone text) RETURNS bigint
LANGUAGE plpgsql SET work_mem = '256MB' AS $$
DECLARE
  tz text;
  n bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'report_rollups_rebuild() must run in READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  LOCK TABLE report_member_months, report_member_years, report_unit_months, report_unit_days,
             report_subtree_months, report_subtree_month_deltas,
             report_hours_days, report_member_days, report_volunteer_days, report_subtree_hours_days,
             report_subtree_activity_days, report_member_hours, report_member_year_hours IN EXCLUSIVE MODE;
  IF p_time_zone IS NOT NULL THEN
    PERFORM now() AT TIME ZONE p_time_zone; -- an unknown zone fails here, before anything changes
    UPDATE report_settings SET time_zone = p_time_zone;
  END IF;
  SELECT time_zone INTO tz FROM report_settings;
  CREATE TEMP TABLE report_rebuild_points ON COMMIT DROP AS
  SELECT t.member_id, (t.created_at AT TIME ZONE tz)::date AS day, sum(p.issued) AS issued,
         sum(p.deducted) AS deducted, sum(p.earning_postings) AS postings, sum(p.redeemed) AS redeemed,
         sum(p.redemptions) AS redemptions
    FROM ledger_transactions t
    JOIN ledger_entries e ON e.transaction_id = t.id AND e.account_id = t.account_id
   CROSS JOIN LATERAL report_points(t.kind, e.amount) p
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
  DELETE FROM report_member_years;
  INSERT INTO report_member_years (member_id, year, org_unit_id, issued, deducted)
  SELECT member_id, extract(year FROM month)::integer, org_unit_id, sum(issued), sum(deducted)
    FROM report_member_months WHERE earning_postings > 0 GROUP BY 1, 2, 3;
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
  -- The months that are over, folded per subtree again (in the zone just set).
  DELETE FROM report_subtree_month_deltas;
  DELETE FROM report_subtree_months;
  UPDATE report_settings SET points_folded_before = date_trunc('month', now() AT TIME ZONE tz)::date,
                             points_fold_cutoff = date_trunc('month', now() AT TIME ZONE tz)::date;
  PERFORM report_points_fold_months('-infinity'::date, date_trunc('month', now() AT TIME ZONE tz)::date);

  DELETE FROM report_hours_days;
  DELETE FROM report_member_days;
  DELETE FROM report_volunteer_days;
  CREATE TEMP TABLE report_rebuild_recs ON COMMIT DROP AS
  SELECT v.member_id, v.org_unit_id AS work, (v.occurred_at AT TIME ZONE tz)::date AS day,
         coalesce(v.hours_cents, 0) AS h, (v.source = 'service_request')::int AS req
    FROM verified_service_hours v;
  INSERT INTO report_hours_days (work_unit_id, day, home_unit_id, hours_cents, records, requests)
  SELECT x.work, x.day, m.org_unit_id, sum(x.h), count(*), sum(x.req)
    FROM report_rebuild_recs x JOIN members m ON m.id = x.member_id
   GROUP BY 1, 2, 3;
  INSERT INTO report_member_days (member_id, day, hours_cents)
  SELECT member_id, day, sum(h) FROM report_rebuild_recs GROUP BY 1, 2;
  DELETE FROM report_member_year_hours;
  INSERT INTO report_member_year_hours (member_id, year, org_unit_id, hours_cents)
  SELECT d.member_id, extract(year FROM d.day)::integer, m.org_unit_id, sum(d.hours_cents)
    FROM report_member_days d JOIN members m ON m.id = d.member_id GROUP BY 1, 2, 3;
  DELETE FROM report_member_hours;
  INSERT INTO report_member_hours (member_id, hours_cents)
  SELECT member_id, sum(h) FROM report_rebuild_recs GROUP BY 1;
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

CREATE OR REPLACE FUNCTION report_rollups_rebuild() RETURNS bigint LANGUAGE sql AS $$
  SELECT report_rollups_rebuild(NULL::text);
$$;

-- Unit rollup (report_unit_months): the points of report_member_months summed per home unit and month,
-- kept at COMMIT by a deferred trigger (see src/db/schema/reports.ts for the lock reasoning), moved with a
-- member who changes unit, and rebuilt with the member rollup.
CREATE OR REPLACE FUNCTION report_rollup_unit_posting() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p record;
BEGIN
  SELECT * INTO p FROM report_posting_points(NEW);
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  INSERT INTO report_unit_months AS r
         (org_unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
  VALUES (p.org_unit_id, p.month, p.issued, p.deducted, p.earning_postings, p.redeemed, p.redemptions)
  ON CONFLICT (org_unit_id, month) DO UPDATE
     SET issued = r.issued + excluded.issued,
         deducted = r.deducted + excluded.deducted,
         earning_postings = r.earning_postings + excluded.earning_postings,
         redeemed = r.redeemed + excluded.redeemed,
         redemptions = r.redemptions + excluded.redemptions;
  INSERT INTO report_unit_days AS r
         (org_unit_id, day, issued, deducted, earning_postings, redeemed, redemptions)
  VALUES (p.org_unit_id, p.day, p.issued, p.deducted, p.earning_postings, p.redeemed, p.redemptions)
  ON CONFLICT (org_unit_id, day) DO UPDATE
     SET issued = r.issued + excluded.issued,
         deducted = r.deducted + excluded.deducted,
         earning_postings = r.earning_postings + excluded.earning_postings,
         redeemed = r.redeemed + excluded.redeemed,
         redemptions = r.redemptions + excluded.redemptions;
  -- A month folded or being folded into report_subtree_months (this posting began before its month ended and
  -- commits after the fold began): its subtrees get the points as appended deltas too, which no other writer waits
  -- on. The cutoff is read after the unit row above: that upsert waits for a fold's begin in progress
  -- (report_points_fold_begin locks report_unit_months), so either the posting committed before the cutoff moved
  -- or this reads the new cutoff.
  IF p.month < (SELECT points_fold_cutoff FROM report_settings) THEN
    INSERT INTO report_subtree_month_deltas
           (unit_id, month, issued, deducted, earning_postings, redeemed, redemptions)
    SELECT u, p.month, p.issued, p.deducted, p.earning_postings, p.redeemed, p.redemptions
      FROM unnest(report_unit_line(p.org_unit_id)) u;
  END IF;
  RETURN NULL;
END;
$$;

-- DEFERRABLE INITIALLY DEFERRED: fires at commit, when the posting transaction holds every member lock it
-- will take, so a unit row is never held while waiting for a member account.
DROP TRIGGER IF EXISTS report_rollup_unit_posting ON ledger_transactions;
CREATE CONSTRAINT TRIGGER report_rollup_unit_posting
  AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.kind IN ('award','deduction','adjustment','reversal','post'))
  EXECUTE FUNCTION report_rollup_unit_posting();

-- Adds final records (one activity's participations, or one confirmed request) to the three tables.
-- Called at COMMIT by deferred triggers. Lock order, the same for every writer (this and the member move):
-- the members' advisory locks (sorted), then report_hours_days rows (one sorted statement), then
-- report_volunteer_days rows (one sorted statement): no cycle, so no deadlock. The advisory lock per member
-- serialises two verifications of one member (their previous/next day lookups) and a member's move; rows
-- of a branch and day are shared by its members, so verifications of one branch on one day queue for each
-- other for the instant of their commit, nothing else does.
-- The full lock order: member advisory locks, report_hours_days, report_member_hours, report_member_year_hours,
-- report_subtree_hours_days, report_volunteer_days, each in one sorted statement.
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
  -- Each member's own total (the balance's volunteer star): rows only these members' locks above cover.
  INSERT INTO report_member_hours AS r (member_id, hours_cents)
  SELECT x.m, sum(coalesce(x.h, 0)) FROM unnest(p_members, p_hours) AS x(m, h) GROUP BY x.m ORDER BY x.m
  ON CONFLICT (member_id) DO UPDATE SET hours_cents = r.hours_cents + excluded.hours_cents;
  -- And their year's (the ranking's): the same members' rows, under the same locks.
  INSERT INTO report_member_year_hours AS r (member_id, year, org_unit_id, hours_cents)
  SELECT x.m, extract(year FROM p_day)::integer, mm.org_unit_id, sum(coalesce(x.h, 0))
    FROM unnest(p_members, p_hours) AS x(m, h) JOIN members mm ON mm.id = x.m
   GROUP BY x.m, mm.org_unit_id ORDER BY x.m
  ON CONFLICT (member_id, year) DO UPDATE SET hours_cents = r.hours_cents + excluded.hours_cents;
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
  -- The members' hours of the day, on the rows the statement above made sure of (after it: a row made here first
  -- would hide a member's first day from it).
  UPDATE report_member_days d SET hours_cents = d.hours_cents + x.h
    FROM (SELECT m, sum(coalesce(h, 0)) AS h FROM unnest(p_members, p_hours) AS x(m, h) GROUP BY m) x
   WHERE d.member_id = x.m AND d.day = p_day;
END;
$$;

-- A record became final, so its hours count: an activity verified, a request confirmed (updated into that status,
-- or inserted in it). Its hours are read as verified_service_hours (activities.sql, the one definition of hours
-- that count) has them; TG_ARGV[0] is the view's source for the table. At COMMIT (the triggers are DEFERRABLE
-- INITIALLY DEFERRED): after the verifying transaction took every other lock it needs (a rollup row is never held
-- while it waits for anything else), and with the participations as they are final.
CREATE OR REPLACE FUNCTION report_hours_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM report_hours_add(NEW.org_unit_id,
                           (min(v.occurred_at) AT TIME ZONE (SELECT time_zone FROM report_settings))::date,
                           array_agg(v.member_id ORDER BY v.member_id),
                           array_agg(v.hours_cents ORDER BY v.member_id), TG_ARGV[0] = 'service_request')
     FROM verified_service_hours v
    WHERE v.source = TG_ARGV[0] AND v.source_id = NEW.id
   HAVING count(*) > 0;
  RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS report_hours_activity_verified ON activities;
CREATE CONSTRAINT TRIGGER report_hours_activity_verified
  AFTER UPDATE ON activities DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'verified' AND OLD.status <> 'verified')
  EXECUTE FUNCTION report_hours_final('activity');

DROP TRIGGER IF EXISTS report_hours_activity_inserted ON activities;
CREATE CONSTRAINT TRIGGER report_hours_activity_inserted
  AFTER INSERT ON activities DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'verified')
  EXECUTE FUNCTION report_hours_final('activity');

DROP TRIGGER IF EXISTS report_hours_request_confirmed ON service_requests;
CREATE CONSTRAINT TRIGGER report_hours_request_confirmed
  AFTER UPDATE ON service_requests DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'confirmed' AND OLD.status <> 'confirmed')
  EXECUTE FUNCTION report_hours_final('service_request');

DROP TRIGGER IF EXISTS report_hours_request_inserted ON service_requests;
CREATE CONSTRAINT TRIGGER report_hours_request_inserted
  AFTER INSERT ON service_requests DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.status = 'confirmed')
  EXECUTE FUNCTION report_hours_final('service_request');

-- Replaced by report_hours_final in the triggers above.
DROP FUNCTION IF EXISTS report_hours_activity_verified();
DROP FUNCTION IF EXISTS report_hours_request_confirmed();

-- A member who changes home unit takes their hours and active days along (reports count members by their
-- current home unit): their records, read raw (one member's history, by the member indexes), leave the
-- old home's rows and join the new one's, in one sorted statement per table (the lock order above).
CREATE OR REPLACE FUNCTION report_hours_member_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  old_line uuid[] := report_unit_line(OLD.org_unit_id);
  new_line uuid[] := report_unit_line(NEW.org_unit_id);
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('report-hours:' || NEW.id::text, 0));
  UPDATE report_member_year_hours SET org_unit_id = NEW.org_unit_id WHERE member_id = NEW.id;
  SELECT time_zone INTO tz FROM report_settings;
  CREATE TEMP TABLE report_moved_recs ON COMMIT DROP AS
  SELECT v.org_unit_id AS work, (v.occurred_at AT TIME ZONE tz)::date AS day, coalesce(v.hours_cents, 0) AS h,
         (v.source = 'service_request')::int AS req
    FROM verified_service_hours v WHERE v.member_id = NEW.id;
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

DROP TRIGGER IF EXISTS report_hours_member_moved ON members;
CREATE TRIGGER report_hours_member_moved
  AFTER UPDATE OF org_unit_id ON members
  FOR EACH ROW WHEN (OLD.org_unit_id IS DISTINCT FROM NEW.org_unit_id)
  EXECUTE FUNCTION report_hours_member_moved();

-- The unit and every unit above it, root first (org_units.path, which never changes).
CREATE OR REPLACE FUNCTION report_unit_line(p_unit uuid) RETURNS uuid[] LANGUAGE sql STABLE AS $$
  SELECT string_to_array(trim(both '/' from path), '/')::uuid[] FROM org_units WHERE id = p_unit
$$;

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

DROP TRIGGER IF EXISTS report_activity_created ON activities;
CREATE CONSTRAINT TRIGGER report_activity_created
  AFTER INSERT ON activities DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION report_activity_created();

-- Rollups follow the functions that keep them: whenever this file runs (it changed, it is new to the database,
-- or something it defines was missing), the rows are recomputed by the definitions above. On an empty database
-- this costs nothing; on a loaded one it is the documented rebuild, under the migration lock.
SELECT report_rollups_rebuild();
