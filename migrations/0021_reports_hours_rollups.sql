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
