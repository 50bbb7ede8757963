-- Report rollups (issue 8): points per member per service-zone month, so that a county ranking reads
-- ~12 rows per member and a whole city's summary one small row per member-month instead of millions of
-- ledger entries. See src/db/schema/reports.ts for why the rows are per member (no new lock contention).
INSERT INTO report_settings (id, time_zone) VALUES (true, 'Asia/Shanghai') ON CONFLICT (id) DO NOTHING;
--> statement-breakpoint
-- A subtree's figures over a run of months: for each unit of the subtree one index range, answered from
-- the index alone (the sums are INCLUDEd), so a whole city never touches the heap.
CREATE INDEX IF NOT EXISTS report_member_months_unit_idx
  ON report_member_months (org_unit_id, month)
  INCLUDE (issued, deducted, earning_postings, redeemed, redemptions);
--> statement-breakpoint
-- Fired by a posting's transaction row, at the end of the posting statement (which has by then also
-- inserted the entries), in the posting's own transaction: the rollup commits or rolls back with it.
-- Holds and voids never reach this function (the trigger's WHEN), so the redemption counter path, the
-- busiest write, pays nothing.
CREATE OR REPLACE FUNCTION report_rollup_posting() RETURNS trigger LANGUAGE plpgsql AS $$
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
  INSERT INTO report_member_months AS r
         (member_id, month, org_unit_id, issued, deducted, earning_postings, redeemed, redemptions)
  VALUES (NEW.member_id, date_trunc('month', NEW.created_at AT TIME ZONE tz)::date, unit,
          CASE WHEN NEW.kind <> 'post' THEN greatest(amt, 0) ELSE 0 END,
          CASE WHEN NEW.kind <> 'post' THEN greatest(-amt, 0) ELSE 0 END,
          CASE WHEN NEW.kind <> 'post' THEN 1 ELSE 0 END,
          CASE WHEN NEW.kind = 'post' THEN -amt ELSE 0 END,
          CASE WHEN NEW.kind = 'post' THEN 1 ELSE 0 END)
  ON CONFLICT (member_id, month) DO UPDATE
     SET issued = r.issued + excluded.issued,
         deducted = r.deducted + excluded.deducted,
         earning_postings = r.earning_postings + excluded.earning_postings,
         redeemed = r.redeemed + excluded.redeemed,
         redemptions = r.redemptions + excluded.redemptions;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER report_rollup_posting
  AFTER INSERT ON ledger_transactions
  FOR EACH ROW WHEN (NEW.kind IN ('award','deduction','adjustment','reversal','post'))
  EXECUTE FUNCTION report_rollup_posting();
--> statement-breakpoint
-- A member moving to another home unit takes their rollup rows along (reports count members by their
-- current home unit, as the ranking does).
CREATE OR REPLACE FUNCTION report_rollup_member_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE report_member_months SET org_unit_id = NEW.org_unit_id WHERE member_id = NEW.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER report_rollup_member_moved
  AFTER UPDATE OF org_unit_id ON members
  FOR EACH ROW WHEN (OLD.org_unit_id IS DISTINCT FROM NEW.org_unit_id)
  EXECUTE FUNCTION report_rollup_member_moved();
--> statement-breakpoint
-- The documented rebuild job: recomputes every rollup row from the ledger. Run it after loading history
-- with triggers off (session_replication_role = replica, as the benchmark generator does), after any
-- change made outside the API, or with a zone to recut the months after TIMEZONE changed:
--   select report_rollups_rebuild();                  -- keep the zone
--   select report_rollups_rebuild('Asia/Shanghai');   -- set the zone, then rebuild
-- Returns the number of rollup rows written. Safe while the service runs: the EXCLUSIVE lock lets reports
-- read the old rows meanwhile, makes postings in flight commit first (their trigger holds ROW EXCLUSIVE)
-- and new postings wait for the rebuild to commit, then add on top of it. It must run in READ COMMITTED
-- (the default): the INSERT needs a snapshot taken after the lock.
CREATE OR REPLACE FUNCTION report_rollups_rebuild(p_time_zone text DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  n bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'report_rollups_rebuild() must run in READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  LOCK TABLE report_member_months IN EXCLUSIVE MODE;
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
  RETURN n;
END;
$$;
