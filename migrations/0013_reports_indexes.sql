-- Reports (issue 8). The ranking sums one unit subtree's members' earning postings in one year; without
-- this index PostgreSQL would scan every ledger transaction of every year (10M at city scale) to find a
-- county's 2,000 members. Partial on the earning kinds, so redemption holds/posts/voids (most of the
-- rows of a busy office) are not in it; (member_id, created_at) serves "these members, this year".
CREATE INDEX IF NOT EXISTS ledger_transactions_member_earned_idx
  ON ledger_transactions (member_id, created_at)
  WHERE kind IN ('award','deduction','adjustment','reversal');
--> statement-breakpoint
-- The summary's "points redeemed" reads fulfilled redemptions of the subtree's members in a period.
CREATE INDEX IF NOT EXISTS redemptions_member_fulfilled_idx
  ON redemptions (member_id, fulfilled_at)
  WHERE status = 'fulfilled';
