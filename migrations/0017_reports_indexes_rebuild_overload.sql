-- report_rollups_rebuild as two functions, () and (zone), instead of one with a default argument: jobs
-- and loaders look for a zero-argument rebuild (the benchmark generator calls every public zero-argument
-- function named like *rollup*rebuild* after loading with triggers off).
--   select report_rollups_rebuild();                  -- keep the zone
--   select report_rollups_rebuild('Asia/Shanghai');   -- set the zone, then rebuild
DROP FUNCTION IF EXISTS report_rollups_rebuild(text);
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
--> statement-breakpoint
CREATE OR REPLACE FUNCTION report_rollups_rebuild() RETURNS bigint LANGUAGE sql AS $$
  SELECT report_rollups_rebuild(NULL::text);
$$;
--> statement-breakpoint
-- getHoursPointsByActivity: the claims that name a page of activities as evidence (the primary key leads
-- with claim_id, which is the other direction).
CREATE INDEX IF NOT EXISTS claim_evidence_ref_idx ON claim_evidence (ref_kind, ref_id);
--> statement-breakpoint
-- getRedemptionsByReward: one index range per reward of the page, answered from the index alone.
CREATE INDEX IF NOT EXISTS redemptions_reward_fulfilled_idx
  ON redemptions (reward_id, fulfilled_at) INCLUDE (quantity, amount)
  WHERE status = 'fulfilled';
--> statement-breakpoint
-- getHoursPointsByTeam: a team's activities in a period.
CREATE INDEX IF NOT EXISTS activities_team_starts_idx
  ON activities (team_id, starts_at) WHERE team_id IS NOT NULL;
