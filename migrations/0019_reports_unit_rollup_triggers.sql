-- Unit rollup (report_unit_months): the points of report_member_months summed per home unit and month,
-- kept at COMMIT by a deferred trigger (see src/db/schema/reports.ts for the lock reasoning), moved with a
-- member who changes unit, and rebuilt with the member rollup.
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
  RETURN NULL;
END;
$$;
--> statement-breakpoint
-- DEFERRABLE INITIALLY DEFERRED: fires at commit, when the posting transaction holds every member lock it
-- will take, so a unit row is never held while waiting for a member account.
CREATE CONSTRAINT TRIGGER report_rollup_unit_posting
  AFTER INSERT ON ledger_transactions
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.kind IN ('award','deduction','adjustment','reversal','post'))
  EXECUTE FUNCTION report_rollup_unit_posting();
--> statement-breakpoint
-- A member changing home unit takes their points along: out of the old unit's months, into the new one's
-- (report_member_months has exactly what they contributed). Runs before the member rows are relabelled.
-- The member's account row is locked first: a posting for this member in flight commits before (its
-- member and unit rows then include it and move with the rest), a later one waits and lands in the new unit.
CREATE OR REPLACE FUNCTION report_rollup_member_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM ledger_accounts WHERE member_id = NEW.id FOR UPDATE;
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
  UPDATE report_member_months SET org_unit_id = NEW.org_unit_id WHERE member_id = NEW.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_rollups_rebuild(p_time_zone text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  tz text;
  n bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'report_rollups_rebuild() must run in READ COMMITTED' USING ERRCODE = '25000';
  END IF;
  LOCK TABLE report_member_months, report_unit_months IN EXCLUSIVE MODE;
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
  RETURN n;
END;
$$;
