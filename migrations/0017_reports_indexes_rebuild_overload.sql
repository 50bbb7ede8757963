
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
