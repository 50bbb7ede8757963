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
